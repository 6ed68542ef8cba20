/** The sshd fixture itself: key login, host key pinning, no passwords, rsync over it. */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, type Sshd } from '../support/sshd.js';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(file: string, args: string[]): Promise<Result> {
  return new Promise((done) => {
    execFile(file, args, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

describe('sshd fixture', () => {
  let dir: string;
  let sshd: Sshd;
  let knownHosts: string;
  const sshOptions = () => [
    '-p',
    String(sshd.port),
    '-i',
    sshd.clientKey,
    '-o',
    'BatchMode=yes',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'StrictHostKeyChecking=accept-new',
  ];
  const target = () => `${sshd.user}@127.0.0.1`;
  const keyBody = (publicKey: string) => publicKey.split(' ')[1]!;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sshd-fixture-'));
    knownHosts = join(dir, 'known_hosts');
    await mkdir(join(dir, 'sshd'));
    sshd = await startSshd(join(dir, 'sshd'));
  });

  afterAll(async () => {
    await sshd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('logs in with the client key and pins the host key on first contact', async () => {
    const result = await exec('ssh', [...sshOptions(), target(), 'true']);
    expect(result).toMatchObject({ code: 0 });
    expect(await readFile(knownHosts, 'utf8')).toContain(keyBody(sshd.hostPublicKey));
  });

  it('refuses password and keyboard-interactive logins', async () => {
    const result = await exec('ssh', [
      ...sshOptions(),
      '-o',
      'PubkeyAuthentication=no',
      '-o',
      'PreferredAuthentications=password,keyboard-interactive',
      target(),
      'true',
    ]);
    expect(result.code).toBe(255);
    expect(result.stderr).toContain('Permission denied (publickey)');
  });

  it('carries rsync', async () => {
    const src = join(dir, 'src');
    const dest = join(dir, 'dest');
    await mkdir(join(src, 'sub'), { recursive: true });
    await writeFile(join(src, 'sub', 'a.txt'), 'hello over ssh\n');
    const shell = ['ssh', ...sshOptions()].join(' '); // temp paths hold no spaces
    const result = await exec('rsync', ['-r', '-t', '-e', shell, `${target()}:${src}/`, dest]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(await readFile(join(dest, 'sub', 'a.txt'), 'utf8')).toBe('hello over ssh\n');
  });

  it('is refused once the host key changes under a pinned known_hosts', async () => {
    const before = sshd.hostPublicKey;
    await sshd.restartWithNewHostKey();
    expect(keyBody(sshd.hostPublicKey)).not.toBe(keyBody(before));
    const result = await exec('ssh', [...sshOptions(), target(), 'true']);
    expect(result.code).toBe(255);
    expect(result.stderr).toContain('Host key verification failed.');
  });
});
