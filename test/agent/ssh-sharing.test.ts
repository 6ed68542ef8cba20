/**
 * The agent's rsync runs share one ssh connection per peer while a burst lasts, and the connection is
 * closed at its end, so the next burst logs in (and checks the pinned host key) afresh.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSshMasters, runRsync, type Remote, type SshSettings } from '../../agent/rsync.js';
import { startSshd, type Sshd } from '../support/sshd.js';

describe('shared ssh connections', () => {
  let dir: string;
  let sshd: Sshd;
  let remote: Remote;
  let ssh: SshSettings;
  const logins = async () =>
    (await readFile(join(dir, 'sshd', 'sshd.log'), 'utf8'))
      .split('\n')
      .filter((l) => l.includes('Accepted publickey')).length;
  const pull = (name: string) =>
    runRsync({ remote, direction: 'pull', local: join(dir, 'dest'), paths: [name], extraArgs: [], ssh });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ssh-sharing-'));
    await mkdir(join(dir, 'sshd'));
    await mkdir(join(dir, 'src'));
    await mkdir(join(dir, 'control'), { mode: 0o700 });
    for (const name of ['a.txt', 'b.txt', 'c.txt']) await writeFile(join(dir, 'src', name), `${name}\n`);
    sshd = await startSshd(join(dir, 'sshd'));
    remote = { user: sshd.user, host: '127.0.0.1', port: sshd.port, path: `${join(dir, 'src')}/` };
    ssh = { key: sshd.clientKey, knownHosts: join(dir, 'known_hosts'), controlDir: join(dir, 'control') };
  });

  afterAll(async () => {
    if (ssh) await closeSshMasters([remote], ssh);
    await sshd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('logs in once for two runs, and again after the connection is closed', async () => {
    const before = await logins();
    expect((await pull('a.txt')).transferred).toEqual(new Set(['a.txt']));
    expect(await readdir(join(dir, 'control'))).toHaveLength(1); // the master's socket
    expect((await pull('b.txt')).transferred).toEqual(new Set(['b.txt']));
    expect(await logins()).toBe(before + 1);

    await closeSshMasters([remote], ssh);
    await expect.poll(() => readdir(join(dir, 'control'))).toHaveLength(0); // unlinked just after the exit reply
    expect((await pull('c.txt')).transferred).toEqual(new Set(['c.txt']));
    expect(await logins()).toBe(before + 2);
    expect(await readFile(join(dir, 'dest', 'c.txt'), 'utf8')).toBe('c.txt\n');
  });

  it('closing a peer that has no connection is harmless', async () => {
    await closeSshMasters([remote], ssh);
    await closeSshMasters([{ ...remote, port: 1 }], ssh);
    await expect.poll(() => readdir(join(dir, 'control'))).toHaveLength(0); // unlinked just after the exit reply
  });
});
