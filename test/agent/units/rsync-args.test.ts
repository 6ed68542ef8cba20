/** A volume's `rsync_args`: split like a shell would, then every word checked against the allow-list. */
import { describe, expect, it } from 'vitest';
import { parseRsyncArgs, RsyncArgsRefused } from '../../../agent/rsync-args.js';

const refusal = (text: string, options?: { allowDeletion?: boolean }): RsyncArgsRefused => {
  try {
    parseRsyncArgs(text, options);
  } catch (error) {
    expect(error).toBeInstanceOf(RsyncArgsRefused);
    return error as RsyncArgsRefused;
  }
  throw new Error(`${JSON.stringify(text)} was accepted`);
};

describe('parseRsyncArgs', () => {
  it.each([undefined, '', '   ', '\n\t '])('answers no words for %j', (text) => {
    expect(parseRsyncArgs(text)).toEqual([]);
  });

  it.each([
    ['--compress', ['--compress']],
    ['--checksum --partial --no-motd', ['--checksum', '--partial', '--no-motd']],
    ['--bwlimit=20m', ['--bwlimit=20m']],
    ['--bwlimit=20m --timeout=120 --contimeout=10', ['--bwlimit=20m', '--timeout=120', '--contimeout=10']],
    ['--compress-level=9 --skip-compress=exr/mov', ['--compress-level=9', '--skip-compress=exr/mov']],
    ['-z', ['-z']],
    ['-zv', ['-zv']],
    ['-zcvp', ['-zcvp']],
    ['-4 -W', ['-4', '-W']],
    ['  -z   --stats  ', ['-z', '--stats']],
    ['--chmod=D755,F644', ['--chmod=D755,F644']],
  ])('accepts %j', (text, words) => {
    expect(parseRsyncArgs(text)).toEqual(words);
  });

  it('parses shell quoting into one word', () => {
    expect(parseRsyncArgs("--chmod='D755,F644'")).toEqual(['--chmod=D755,F644']);
    expect(parseRsyncArgs('--chmod="D755,F644" -z')).toEqual(['--chmod=D755,F644', '-z']);
    expect(parseRsyncArgs("'--bwlimit=20m'")).toEqual(['--bwlimit=20m']);
    expect(parseRsyncArgs('--skip-compress="a b"')).toEqual(['--skip-compress=a b']);
  });

  // [text, the bad word the message must name (as JSON), why]
  it.each([
    ['-e ssh', '"-e"', 'is not an allowed option'],
    ['-z -e ssh', '"-e"', 'is not an allowed option'],
    ['-ze', '"-ze"', 'is not an allowed option'],
    ['--rsh=x', '"--rsh=x"', 'is not an allowed option'],
    ['--rsh x', '"--rsh"', 'is not an allowed option'],
    ['--rsync-path=x', '"--rsync-path=x"', 'is not an allowed option'],
    ['--rsync-path="sudo rsync"', '"--rsync-path=sudo rsync"', 'is not an allowed option'],
    ['--delete', '"--delete"', 'enableDeletion'],
    ['--delete-after', '"--delete-after"', 'enableDeletion'],
    ['--del', '"--del"', 'enableDeletion'],
    ['--remove-source-files', '"--remove-source-files"', 'is not an allowed option'],
    ['-i', '"-i"', 'is not an allowed option'], // would change the per-file output the agent reads
    ['--progress', '"--progress"', 'is not an allowed option'],
    ['--bwlimit', '"--bwlimit"', 'needs a value written --name=value'],
    ['--bwlimit=', '"--bwlimit="', 'needs a value written --name=value'],
    ['--bwlimit 20m', '"--bwlimit"', 'needs a value written --name=value'],
    ['--compress=yes', '"--compress=yes"', 'is not an allowed option'],
    ['--files-from=x', '"--files-from=x"', 'is not an allowed option'],
    ['--temp-dir=/x', '"--temp-dir=/x"', 'is not an allowed option'],
    ['--partial-dir=x', '"--partial-dir=x"', 'is not an allowed option'],
    ['--log-file=x', '"--log-file=x"', 'is not an allowed option'],
    ['--write-batch=x', '"--write-batch=x"', 'is not an allowed option'],
    ['--only-write-batch=x', '"--only-write-batch=x"', 'is not an allowed option'],
    ['--read-batch=x', '"--read-batch=x"', 'is not an allowed option'],
    ['--backup-dir=/x', '"--backup-dir=/x"', 'is not an allowed option'],
    ['--out-format=%n', '"--out-format=%n"', 'is not an allowed option'],
    ['--daemon', '"--daemon"', 'is not an allowed option'],
    ['--server', '"--server"', 'is not an allowed option'],
    ['/etc/passwd', '"/etc/passwd"', 'paths and commands are not allowed'],
    ['-z host:/etc/', '"host:/etc/"', 'paths and commands are not allowed'],
    ['x', '"x"', 'paths and commands are not allowed'],
    ['`touch x`', '"`touch"', 'paths and commands are not allowed'],
    ['-z `id`', '"`id`"', 'paths and commands are not allowed'],
    ['$(x)', '"$"', 'paths and commands are not allowed'],
    ['-z; rm -rf /', '{"op":";"}', 'shell syntax is not allowed'],
    ['; rm -rf /', '{"op":";"}', 'shell syntax is not allowed'],
    ['-z | sh', '{"op":"|"}', 'shell syntax is not allowed'],
    ['-z && x', '{"op":"&&"}', 'shell syntax is not allowed'],
    ['-z > /tmp/x', '{"op":">"}', 'shell syntax is not allowed'],
    ['--bwlimit=$(id)', '{"op":"("}', 'shell syntax is not allowed'],
    ['-z *', '"pattern":"*"', 'shell syntax is not allowed'],
    ['-z # a comment', '"comment"', 'shell syntax is not allowed'],
    ['-z\u0007', '"-z\\u0007"', 'contains a control character'],
    ['--chmod=D755\u001bF644', '"--chmod=D755\\u001bF644"', 'contains a control character'],
    ["--chmod='D7\n55'", '"--chmod=D7\\n55"', 'contains a control character'],
    ['--bwlimit=1\u007f', '"--bwlimit=1\u007f"', 'contains a control character'],
  ])('refuses %j, naming %s', (text, word, why) => {
    const error = refusal(text);
    expect(error.message).toContain(word);
    expect(error.message).toContain(why);
    expect(error.message.startsWith('rsync_args: ')).toBe(true);
  });

  it('allows removal options only when the volume enables deletion, and then without a value', () => {
    expect(parseRsyncArgs('--delete', { allowDeletion: true })).toEqual(['--delete']);
    expect(parseRsyncArgs('-z --delete-after', { allowDeletion: true })).toEqual(['-z', '--delete-after']);
    expect(refusal('--delete', { allowDeletion: false }).message).toContain('"--delete"');
    expect(refusal('--delete=x', { allowDeletion: true }).message).toContain('"--delete=x"');
    // enabling deletion does not open anything else
    expect(refusal('--delete -e ssh', { allowDeletion: true }).message).toContain('"-e"');
  });

  it('names the first bad word when there are several', () => {
    expect(refusal('-z --log-file=a --rsh=b').message).toContain('"--log-file=a"');
    expect(refusal('-z --log-file=a --rsh=b').message).not.toContain('--rsh');
  });
});
