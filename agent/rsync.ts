/**
 * One rsync over ssh for many files (`--files-from` on stdin, NUL-separated; never a shell), and
 * what became of each file: rsync's per-file output names the files it finished, its stderr the
 * ones that failed (23: not found at the source, 24: vanished), its exit code the rest.
 */
import { spawn } from 'node:child_process';

/** Where a volume is reached: `ssh://user@host:port/path/`. */
export interface Remote {
  user: string;
  host: string;
  port: number;
  /** Absolute, ending with `/`. */
  path: string;
}

/** A volume url or ssh setting rsync cannot be run with (reported on the files as error 1). */
export class SetupRefused extends Error {
  override readonly name = 'SetupRefused';
}

/** The url's path, percent-decoded (`/my%20shots/` → `/my shots/`). */
function decodePath(url: string, path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw new SetupRefused(`volume url ${JSON.stringify(url)} has a malformed percent escape`);
  }
}

export function parseVolumeUrl(url: string): Remote {
  // A user or host starting with `-` would reach ssh or rsync as an option: refused.
  const match =
    /^ssh:\/\/([^-@/\s:][^@/\s:]*)@([^-@/\s:][^@/\s:]*|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?(\/(?:\S*\/)?)$/.exec(
      url,
    );
  if (!match)
    throw new Error(`volume url ${JSON.stringify(url)} must look like ssh://user@host[:port]/path/`);
  return {
    user: match[1]!,
    host: match[2]!,
    port: Number(match[3] ?? 22),
    path: decodePath(url, match[4]!),
  };
}

export interface SshSettings {
  /** Private key file (`--ssh-key`). */
  key?: string | undefined;
  /** Pinned host keys: first use recorded, a changed key refused. */
  knownHosts: string;
  /**
   * A private folder (0700) for ssh's control sockets: the first rsync to a peer opens a connection
   * the next ones reuse (ssh `ControlMaster`), so a burst of rounds pays for one ssh handshake. The
   * caller ends the masters with `closeSshMasters` when the burst is over.
   */
  controlDir?: string | undefined;
}

/** A unix socket path must fit in 108 bytes: ssh's `%C` is 40 characters. */
export const MAX_CONTROL_DIR = 60;
/** An agent that dies without closing its masters leaves them for at most this idle time. */
const CONTROL_PERSIST_S = 30;
const CLOSE_TIMEOUT_MS = 10_000;

const quote = (path: string) => {
  if (path.includes("'")) throw new SetupRefused(`ssh path ${path} must not contain a single quote`);
  return `'${path}'`;
};

/** Where ssh keeps a peer's shared connection; none when the folder is unset or too long for a socket. */
const controlPath = (ssh: SshSettings): string | undefined =>
  ssh.controlDir && ssh.controlDir.length <= MAX_CONTROL_DIR ? `${ssh.controlDir}/%C` : undefined;

/** The `-e` value: ssh in batch mode with the key and pinned host keys (quoted for rsync's splitter). */
export function sshCommand(remote: Remote, ssh: SshSettings): string {
  const control = controlPath(ssh);
  return [
    'ssh',
    '-p',
    String(remote.port),
    '-l',
    remote.user,
    '-o',
    'BatchMode=yes',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'StrictHostKeyChecking=accept-new',
    '-o',
    `UserKnownHostsFile=${quote(ssh.knownHosts)}`,
    '-o',
    'ConnectTimeout=20',
    '-o',
    'ServerAliveInterval=15',
    '-o',
    'ServerAliveCountMax=4',
    ...(ssh.key ? ['-o', 'IdentitiesOnly=yes', '-i', quote(ssh.key)] : []),
    ...(control
      ? [
          '-o',
          `ControlPath=${quote(control)}`,
          '-o',
          'ControlMaster=auto',
          '-o',
          `ControlPersist=${CONTROL_PERSIST_S}`,
        ]
      : []),
  ].join(' ');
}

/**
 * Ends the shared connections to these peers (`ssh -O exit`), so the next burst connects afresh and
 * checks the pinned host key again. A peer without a master is skipped by ssh itself.
 */
export async function closeSshMasters(remotes: Iterable<Remote>, ssh: SshSettings): Promise<void> {
  const control = controlPath(ssh);
  if (!control) return;
  await Promise.all(
    [...remotes].map(
      (remote) =>
        new Promise<void>((done) => {
          const host = remote.host.replace(/^\[(.*)\]$/, '$1'); // as rsync hands it to ssh
          const args = [
            '-o',
            `ControlPath=${control}`,
            '-O',
            'exit',
            '-p',
            String(remote.port),
            '-l',
            remote.user,
            '--',
            host,
          ];
          // A master stuck on a dead link still answers on its socket; the timeout is a last resort.
          spawn('ssh', args, { stdio: 'ignore', timeout: CLOSE_TIMEOUT_MS })
            .on('close', () => done())
            .on('error', () => done());
        }),
    ),
  );
}

export interface RsyncJob {
  remote: Remote;
  /** pull: the remote volume → `local`; push: `local` → the remote volume. */
  direction: 'pull' | 'push';
  /** The local folder (the staging folder for a pull, the volume root for a push). */
  local: string;
  /** Paths from the volume root; a package folder is one entry, ending with `/`. */
  paths: string[];
  /** Checked words of the volume's `rsync_args`. */
  extraArgs: string[];
  ssh: SshSettings;
  signal?: AbortSignal;
}

export interface FileFailure {
  code: number;
  message: string;
}

export interface RsyncOutcome {
  exitCode: number;
  /** Paths rsync reported as transferred (files, and packages whose every file arrived). */
  transferred: Set<string>;
  failed: Map<string, FileFailure>;
  /** The last lines of stderr. */
  stderr: string;
  /** From `--stats`: bytes rsync received and sent over the wire. */
  bytesReceived: number;
  bytesSent: number;
}

/** Codes after which the files rsync did not name are fine (already complete, or not reached but untouched). */
export const PARTIAL_CODES = new Set([0, 23, 24]);

/** Flags for a pull into a private staging folder: written in place there, so a crash leaves a resumable file. */
const PULL_FLAGS = ['--inplace', '--no-whole-file'];
/** Flags for a push: the receiver writes under temporary names and keeps interrupted files for a resume. */
const PUSH_FLAGS = ['--partial-dir=.syncplanet-partial', '--delay-updates'];

export function rsyncArgs(job: RsyncJob): string[] {
  const remote = `${job.remote.host}:${job.remote.path}`;
  const local = job.local.endsWith('/') ? job.local : `${job.local}/`;
  return [
    '-r',
    '-t',
    '-p',
    '-s',
    '--from0',
    '--files-from=-',
    '--out-format=%b %n',
    '--stats',
    '--mkpath',
    ...(job.direction === 'pull' ? PULL_FLAGS : PUSH_FLAGS),
    ...job.extraArgs,
    '-e',
    sshCommand(job.remote, job.ssh),
    '--', // operands follow: nothing after this is read as an option
    ...(job.direction === 'pull' ? [remote, local] : [local, remote]),
  ];
}

export function runRsync(job: RsyncJob): Promise<RsyncOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn('rsync', rsyncArgs(job), {
      stdio: ['pipe', 'pipe', 'pipe'],
      signal: job.signal,
      killSignal: 'SIGTERM',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr
      .setEncoding('utf8')
      .on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-65_536)));
    child.stdin.on('error', () => {}); // rsync may exit before reading the whole list
    child.stdin.end(job.paths.join('\0'));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const exitCode = code ?? (signal === 'SIGTERM' || signal === 'SIGINT' ? 20 : 255);
      resolve(readOutcome(job, exitCode, stdout, stderr));
    });
  });
}

/** rsync writes unusual bytes in names as `\#ooo` (octal): runs of them are UTF-8 together. */
const unescape = (name: string) =>
  name.replace(/(?:\\#[0-7]{3})+/g, (run) =>
    Buffer.from(
      run
        .split('\\#')
        .slice(1)
        .map((octal) => parseInt(octal, 8)),
    ).toString('utf8'),
  );

export function readOutcome(job: RsyncJob, exitCode: number, stdout: string, stderr: string): RsyncOutcome {
  const lines = stdout.split('\n');
  const statsAt = lines.findIndex((line) => line.startsWith('Number of files:'));
  // `--out-format=%b %n`: the byte count makes rsync print a line once its file is complete.
  const names = new Set(
    lines
      .slice(0, statsAt < 0 ? undefined : statsAt)
      .flatMap((line) => /^\d+ (.+)$/.exec(line)?.[1] ?? [])
      .map((name) => unescape(name).replace(/\/$/, '')),
  );
  const stat = (label: string) =>
    Number(/: ([\d,]+)/.exec(lines.find((l) => l.startsWith(label)) ?? '')?.[1]?.replace(/,/g, '') ?? 0);
  const failed = new Map<string, FileFailure>();
  for (const line of stderr.split('\n')) {
    const quoted = /"(.*)"/.exec(line)?.[1];
    if (!quoted) continue;
    const code = /^file has vanished/.test(line)
      ? 24
      : /link_stat|No such file/.test(line)
        ? 23
        : exitCode || 23;
    const path = owningPath(job, unescape(quoted));
    if (path !== undefined && !failed.has(path)) failed.set(path, { code, message: line.trim() });
  }
  // A package's folder line comes when rsync creates the folder: only a run without a fatal error
  // proves its files all arrived.
  const complete = (p: string) => (p.endsWith('/') ? PARTIAL_CODES.has(exitCode) : true);
  const transferred = new Set(
    job.paths.filter((p) => !failed.has(p) && names.has(p.replace(/\/$/, '')) && complete(p)),
  );
  return {
    exitCode,
    transferred,
    failed,
    stderr: stderr.trim().split('\n').slice(-5).join('\n'),
    bytesReceived: stat('Total bytes received'),
    bytesSent: stat('Total bytes sent'),
  };
}

/** The requested path a message's path belongs to (a package owns the files under it). */
function owningPath(job: RsyncJob, quoted: string): string | undefined {
  const root = job.direction === 'pull' ? job.remote.path : job.local;
  const prefix = root.endsWith('/') ? root : `${root}/`;
  const rel = (quoted.startsWith(prefix) ? quoted.slice(prefix.length) : quoted).replace(/\/$/, '');
  return job.paths.find((p) => (p.endsWith('/') ? rel === p.slice(0, -1) || rel.startsWith(p) : rel === p));
}
