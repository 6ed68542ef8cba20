/**
 * A throwaway OpenSSH server on 127.0.0.1 for transfer tests: its own host key, one client key pair
 * (no passphrase), public-key login only, everything kept inside `dir`. sshd logs to `dir/sshd.log`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SshdOptions {
  hostKeyType?: 'ed25519' | 'ecdsa';
}

export interface Sshd {
  readonly port: number;
  readonly user: string;
  /** Private key path, accepted for `user`. */
  readonly clientKey: string;
  /** The current host public key, as in a `.pub` file: `<type> <base64> <comment>`. */
  readonly hostPublicKey: string;
  /** Stops sshd, makes a new host key and starts again on the same port. */
  restartWithNewHostKey(): Promise<void>;
  stop(): Promise<void>;
}

const BANNER_ATTEMPTS = 100; // ~10 s at 100 ms apart

export async function startSshd(dir: string, opts: SshdOptions = {}): Promise<Sshd> {
  dir = resolve(dir);
  const type = opts.hostKeyType ?? 'ed25519';
  const hostKey = join(dir, 'host_key');
  const clientKey = join(dir, 'client_key');
  const config = join(dir, 'sshd_config');
  const log = join(dir, 'sshd.log');

  await keygen(clientKey, 'ed25519');
  await writeFile(join(dir, 'authorized_keys'), await readFile(`${clientKey}.pub`));
  const port = await freePort();
  await writeFile(
    config,
    [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'LogLevel VERBOSE',
      // A sync account's home, not this machine's: root's ~/.bashrc here runs `pyenv init`, ~0.5 s
      // per ssh session (bash reads it for commands run over ssh), which would dwarf rsync itself.
      `SetEnv HOME=${dir}`,
      '',
    ].join('\n'),
  );
  await mkdir('/run/sshd', { recursive: true }); // privilege separation directory, needed as root

  let child: ChildProcess | undefined;
  let hostPublicKey = '';

  async function start() {
    await rm(hostKey, { force: true });
    await rm(`${hostKey}.pub`, { force: true });
    await keygen(hostKey, type);
    hostPublicKey = (await readFile(`${hostKey}.pub`, 'utf8')).trim();
    const logFile = await open(log, 'a');
    try {
      child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], {
        stdio: ['ignore', 'ignore', logFile.fd],
      });
    } finally {
      await logFile.close(); // the child holds its own copy of the descriptor
    }
    await waitForBanner(child, port, log);
  }

  async function stop() {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGTERM');
    await exited;
  }

  await start();
  return {
    port,
    user: userInfo().username,
    clientKey,
    get hostPublicKey() {
      return hostPublicKey;
    },
    async restartWithNewHostKey() {
      await stop();
      await start();
    },
    stop,
  };
}

function keygen(path: string, type: 'ed25519' | 'ecdsa') {
  return run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'syncplanet-test', '-f', path]);
}

/** A port the kernel just handed out, released again for sshd to take. */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Polls until the port answers with an SSH banner; fails early if sshd exits. */
async function waitForBanner(child: ChildProcess, port: number, log: string) {
  for (let attempt = 0; attempt < BANNER_ATTEMPTS; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (await readsBanner(port)) return;
    await sleep(100);
  }
  child.kill('SIGKILL');
  const tail = (await readFile(log, 'utf8').catch(() => '')).slice(-2000);
  throw new Error(`sshd did not come up on 127.0.0.1:${port}\n${tail}`);
}

function readsBanner(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (received.includes('SSH-2.0')) finish(true);
    });
  });
}
