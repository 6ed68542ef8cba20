/**
 * A volume's `rsync_args` parsed into words and checked against an allow-list: options that change
 * how bytes travel (compression, bandwidth, timeouts, checksums) pass; anything that runs another
 * program (`-e`, `--rsync-path`), reads or writes other paths, or removes files does not. Pure.
 */
import { parse } from 'shell-quote';

/**
 * Long options without a value. Left out on purpose: options that change rsync's output, which the
 * agent reads per file (`--quiet`, `--itemize-changes`, `--progress`, `--human-readable`, `--info`).
 */
const FLAGS = new Set([
  'compress',
  'checksum',
  'verbose',
  'no-perms',
  'perms',
  'executability',
  'ipv4',
  'ipv6',
  'whole-file',
  'no-whole-file',
  'size-only',
  'ignore-times',
  'stats',
  'no-compress',
  'sparse',
  'preallocate',
  'omit-dir-times',
  'no-motd',
  'acls',
  'xattrs',
  'hard-links',
  'update',
  'ignore-existing',
  'no-owner',
  'no-group',
  'owner',
  'group',
  'numeric-ids',
  'fsync',
  'partial',
]);
/** Long options that take a value (`--name=value`). */
const WITH_VALUE = new Set([
  'compress-level',
  'compress-choice',
  'zc',
  'zl',
  'bwlimit',
  'timeout',
  'contimeout',
  'chmod',
  'block-size',
  'checksum-choice',
  'cc',
  'modify-window',
  'max-size',
  'min-size',
  'iconv',
  'skip-compress',
  'checksum-seed',
  'chown',
  'usermap',
  'groupmap',
  'outbuf',
]);
/** Single-letter options without a value. */
const SHORT = new Set('zcvpEW46ISHAXugUo'.split(''));
/** Removal options at the receiver, allowed only when the volume enables deletion (never `--remove-source-files`). */
const DELETION = new Set([
  'delete',
  'del',
  'delete-before',
  'delete-during',
  'delete-delay',
  'delete-after',
  'delete-excluded',
  'delete-missing-args',
]);

export class RsyncArgsRefused extends Error {
  override readonly name = 'RsyncArgsRefused';
}

/** The words of `rsync_args`, each checked. Throws RsyncArgsRefused naming the first bad word. */
export function parseRsyncArgs(
  text: string | undefined,
  options: { allowDeletion?: boolean } = {},
): string[] {
  if (!text?.trim()) return [];
  const words = parse(text, (name) => `$${name}`);
  return words.map((word) => {
    if (typeof word !== 'string')
      throw new RsyncArgsRefused(`rsync_args: shell syntax is not allowed (${JSON.stringify(word)})`);
    checkWord(word, options.allowDeletion === true);
    return word;
  });
}

function checkWord(word: string, allowDeletion: boolean): void {
  const refuse = (why: string) => new RsyncArgsRefused(`rsync_args: ${JSON.stringify(word)} ${why}`);
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  if (/[\0-\x1f\x7f]/.test(word)) throw refuse('contains a control character');
  if (word.startsWith('--')) {
    const [name, value] = splitLong(word.slice(2));
    if (DELETION.has(name)) {
      if (allowDeletion && value === undefined) return;
      throw refuse('removes files: allowed only when the volume sets enableDeletion');
    }
    if (FLAGS.has(name) && value === undefined) return;
    if (WITH_VALUE.has(name) && value !== undefined && value !== '') return;
    throw refuse(WITH_VALUE.has(name) ? 'needs a value written --name=value' : 'is not an allowed option');
  }
  if (/^-[A-Za-z0-9]+$/.test(word) && [...word.slice(1)].every((letter) => SHORT.has(letter))) return;
  throw refuse(
    word.startsWith('-')
      ? 'is not an allowed option'
      : 'is not an option (paths and commands are not allowed)',
  );
}

function splitLong(text: string): [string, string | undefined] {
  const at = text.indexOf('=');
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}
