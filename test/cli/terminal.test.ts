/**
 * On a terminal (a pseudo-terminal from util-linux `script`): the password prompt does not echo,
 * bulk commands draw a progress bar, and status is coloured.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser } from '../../functions/core/ops/accounts.js';
import type { LocalTracker } from '../../local/runtime.js';
import { startTestTracker } from '../support/tracker.js';
import { buildTestCli, removeTempDirs, tempDir } from './helpers.js';

/** util-linux `script`: its terminal echoes what is typed unless the program turns echo off. */
const hasScript =
  spawnSync('script', ['--version'], { encoding: 'utf8' }).stdout?.includes('util-linux') ?? false;

let tracker: LocalTracker;
let cli: string;
let home: string;

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/** Runs damas on a terminal; types `answer` once `prompt` shows. Resolves with everything the terminal showed. */
function onTerminal(args: string[], cwd: string, typed?: { prompt: string; answer: string }) {
  const command = [process.execPath, cli, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd,
    env: { PATH: process.env.PATH, HOME: home, TERM: 'xterm-256color', DAMAS_SERVER: tracker.url },
  });
  let screen = '';
  let answered = false;
  child.stdout.on('data', (data) => {
    screen += data;
    if (typed && !answered && screen.includes(typed.prompt)) {
      answered = true;
      child.stdin.write(`${typed.answer}\r`);
    }
  });
  return new Promise<{ code: number | null; screen: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, screen })),
  );
}

beforeAll(async () => {
  if (!hasScript) return;
  [cli, tracker] = await Promise.all([buildTestCli(), startTestTracker({ auth: 'jwt' })]);
  home = tempDir('damas-tty-home-');
  await addUser(tracker.tracker.store, tracker.tracker.auth, {
    username: 'tess',
    userClass: 'admin',
    password: 'hidden-pass',
  });
});
afterAll(async () => {
  await tracker?.close();
  removeTempDirs();
});

describe.skipIf(!hasScript)('on a terminal', () => {
  it('signin asks for the password without echoing it', async () => {
    const { code, screen } = await onTerminal(['signin', 'tess'], home, {
      prompt: 'password: ',
      answer: 'hidden-pass',
    });
    expect(code).toBe(0);
    expect(screen).toContain('password: ');
    expect(screen).not.toContain('hidden-pass');
  });

  it('add draws a progress bar and erases it; status is coloured', async () => {
    const repo = tempDir('damas-tty-repo-');
    mkdirSync(join(repo, 'tree'));
    for (let i = 0; i < 20; i++) writeFileSync(join(repo, 'tree', `f${i}`), 'x');
    expect((await onTerminal(['init', '--site', 'paris'], repo)).code).toBe(0);
    const add = await onTerminal(['add', '-r', 'tree'], repo);
    expect(add.code).toBe(0);
    expect(add.screen).toMatch(/\radd: publishing \[#+\] 100% 20\/20/);
    expect(add.screen).toContain('\r\x1b[2K');
    const status = await onTerminal(['status', 'tree/f1'], repo);
    expect(status.code).toBe(0);
    expect(status.screen).toMatch(/\x1b\[32mcurrent/); // eslint-disable-line no-control-regex
  });
});
