/**
 * Embedded DynamoDB Local (AWS's Java implementation) for development, tests and benchmarks.
 *
 * - `ensureDynamoDbLocal()` fetches DynamoDB Local once into `<repo>/.cache/dynamodb-local/` from the
 *   npm registry (it ships inside `amplify-dynamodb-simulator`; only its `emulator/` folder is kept).
 * - `startDynamoDbLocal()` runs it through `LocalDynamoDb.java`, a launcher that binds 127.0.0.1 only
 *   (the stock jar listens on all interfaces and has no host flag).
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { assertPortFree, findFreePort } from './net.js';
import { promisify } from 'node:util';

export interface DynamoDbLocal {
  /** e.g. `http://127.0.0.1:8000` */
  endpoint: string;
  port: number;
  pid: number;
  /** SIGTERM, then SIGKILL if it has not exited after a while. Idempotent. */
  stop(): Promise<void>;
}

export interface StartDynamoDbLocalOptions {
  /** 0 or undefined picks a free port. */
  port?: number;
  /** Folder for the database files (created if missing); undefined keeps everything in memory. */
  dataDir?: string;
  /** Receives every line DynamoDB Local prints (stdout and stderr). */
  onLog?: (line: string) => void;
}

const PACKAGE = 'amplify-dynamodb-simulator';
const VERSION = '2.9.30'; // ships DynamoDB Local 1.25.1
const INTEGRITY =
  'sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ==';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE_ROOT = path.join(REPO_ROOT, '.cache', 'dynamodb-local');
const INSTALL_DIR = path.join(CACHE_ROOT, `${PACKAGE}-${VERSION}`);
const LAUNCHER = fileURLToPath(new URL('./LocalDynamoDb.java', import.meta.url));

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const LOG_TAIL_LINES = 30;
/** Exit code of LocalDynamoDb.java when the port is taken. */
const EXIT_PORT_IN_USE = 98;
/**
 * Measured on the 2-core dev machine, 4 starts each: default flags ready in ~2.45 s; serial GC + C1
 * only (TieredStopAtLevel=1) ready in ~1.7 s, first 8,000 mixed Put/GetItem ops at 2,200–2,800/s
 * instead of 1,000–1,350/s, and the same ~3,300/s afterwards (client-bound). On many-core machines C2
 * may win for long benchmarks.
 */
const JVM_FLAGS = ['-Xmx1g', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];

const JAVA_MISSING =
  'DynamoDB Local needs Java 17 or newer: install a JRE (e.g. `apt-get install -y openjdk-17-jre-headless`) and try again';

const execFileAsync = promisify(execFile);

let ensuring: Promise<string> | undefined;

/** Directory holding `DynamoDBLocal.jar` and `DynamoDBLocal_lib/`, fetched on first use. */
export function ensureDynamoDbLocal(): Promise<string> {
  ensuring ??= install().catch((error: unknown) => {
    ensuring = undefined;
    throw error;
  });
  return ensuring;
}

async function isInstalled(dir: string): Promise<boolean> {
  try {
    const [jar, lib] = await Promise.all([
      stat(path.join(dir, 'DynamoDBLocal.jar')),
      stat(path.join(dir, 'DynamoDBLocal_lib')),
    ]);
    return jar.isFile() && lib.isDirectory();
  } catch {
    return false;
  }
}

async function install(): Promise<string> {
  if (await isInstalled(INSTALL_DIR)) return INSTALL_DIR;
  await mkdir(CACHE_ROOT, { recursive: true });
  await removeAbandonedStagingDirs();
  process.stderr.write('fetching DynamoDB Local (one time)…\n');

  const packDir = await mkdtemp(path.join(os.tmpdir(), 'dynamodb-local-pack-'));
  // Extract next to the final place (same file system) so that rename() moves it in atomically.
  const staging = path.join(CACHE_ROOT, `.staging-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await execFileAsync('npm', ['pack', `${PACKAGE}@${VERSION}`, '--pack-destination', packDir, '--silent'], {
      cwd: REPO_ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
    const tarball = (await readdir(packDir)).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${PACKAGE}@${VERSION} produced no tarball`);
    const tarballPath = path.join(packDir, tarball);
    const integrity = await sha512Integrity(tarballPath);
    if (integrity !== INTEGRITY) {
      throw new Error(
        `${PACKAGE}@${VERSION} tarball integrity mismatch: got ${integrity}, expected ${INTEGRITY}`,
      );
    }

    await mkdir(staging);
    await execFileAsync('tar', [
      '-xzf',
      tarballPath,
      '-C',
      staging,
      '--strip-components=2',
      '--no-same-owner',
      'package/emulator/',
    ]);
    if (!(await isInstalled(staging))) {
      throw new Error(
        `${PACKAGE}@${VERSION} has no emulator/DynamoDBLocal.jar and emulator/DynamoDBLocal_lib/`,
      );
    }

    try {
      await rename(staging, INSTALL_DIR);
    } catch (error) {
      // Another process moved its copy in first: use that one.
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'EEXIST' && code !== 'ENOTEMPTY') || !(await isInstalled(INSTALL_DIR))) {
        throw new Error(
          `could not move DynamoDB Local into ${INSTALL_DIR} (delete it and retry): ${String(error)}`,
          {
            cause: error,
          },
        );
      }
    }
    return INSTALL_DIR;
  } finally {
    await Promise.all([
      rm(packDir, { recursive: true, force: true }),
      rm(staging, { recursive: true, force: true }),
    ]);
  }
}

/** Staging folders left behind by a fetch whose process was killed. */
async function removeAbandonedStagingDirs(): Promise<void> {
  for (const name of await readdir(CACHE_ROOT)) {
    const pid = /^\.staging-(\d+)-/.exec(name)?.[1];
    if (pid !== undefined && !isProcessAlive(Number(pid))) {
      await rm(path.join(CACHE_ROOT, name), { recursive: true, force: true });
    }
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function sha512Integrity(file: string): Promise<string> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha512-${hash.digest('base64')}`;
}

class PortInUseError extends Error {}

/** Starts DynamoDB Local on 127.0.0.1 with `-sharedDb -disableTelemetry`. */
export async function startDynamoDbLocal(options: StartDynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const requested = options.port ?? 0;
  if (!Number.isInteger(requested) || requested < 0 || requested > 65535) {
    throw new Error(`invalid port ${requested}`);
  }
  if (requested !== 0) await assertPortFree('127.0.0.1', requested);
  const dir = await ensureDynamoDbLocal();
  const dataDir = options.dataDir === undefined ? undefined : path.resolve(options.dataDir);
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });

  // A port picked by us can be taken by someone else before Java binds it: pick again.
  for (let attempt = 1; ; attempt++) {
    const port = requested || (await findFreePort());
    try {
      return await launch(dir, port, dataDir, options.onLog);
    } catch (error) {
      if (!(requested === 0 && error instanceof PortInUseError && attempt < 3)) throw error;
    }
  }
}

function launch(
  dir: string,
  port: number,
  dataDir: string | undefined,
  onLog: ((line: string) => void) | undefined,
): Promise<DynamoDbLocal> {
  const lib = path.join(dir, 'DynamoDBLocal_lib');
  const args = [
    ...JVM_FLAGS,
    '-Dlocalddb.watchStdin=true',
    '-cp',
    `${path.join(dir, 'DynamoDBLocal.jar')}:${lib}/*`,
    `-Djava.library.path=${lib}`,
    LAUNCHER,
    '-port',
    String(port),
    ...(dataDir === undefined ? ['-inMemory'] : ['-dbPath', dataDir]),
    '-sharedDb',
    '-disableTelemetry',
  ];
  // stdin stays an open pipe: the launcher exits when it closes, i.e. when this process dies.
  // DynamoDB Local drops a metadata file in its working directory: keep it out of the caller's.
  // JAVA_HOME, when set, chooses the Java installation (as Java tools do); else `java` from PATH.
  const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const child = spawn(java, args, { stdio: ['pipe', 'pipe', 'pipe'], cwd: dataDir ?? os.tmpdir() });
  child.stdin.on('error', () => {});

  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      process.off('exit', killOnParentExit);
      resolve();
    });
  });
  const killOnParentExit = () => {
    child.kill('SIGKILL');
  };
  process.on('exit', killOnParentExit);
  child.once('close', () => process.off('exit', killOnParentExit));

  const tail: string[] = [];
  let onReady: ((endpoint: string) => void) | undefined;
  const handleLine = (line: string) => {
    tail.push(line);
    if (tail.length > LOG_TAIL_LINES) tail.shift();
    onLog?.(line);
    const ready = /^LocalDynamoDb ready (http:\/\/\S+)$/.exec(line);
    if (ready?.[1]) onReady?.(ready[1]);
  };
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', handleLine);
  createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', handleLine);
  const tailText = () => (tail.length ? `\n${tail.join('\n')}` : '');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // Not spawned (ENOENT) or already gone.
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS, true).unref()),
      ]);
      if (timedOut) {
        child.kill('SIGKILL');
        await exited;
      }
    })());

  return new Promise<DynamoDbLocal>((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop().then(() => reject(error));
    };
    const timer = setTimeout(() => {
      fail(
        new Error(
          `DynamoDB Local did not become ready on port ${port} within ${READY_TIMEOUT_MS / 1000} s${tailText()}`,
        ),
      );
    }, READY_TIMEOUT_MS);

    child.on('error', (error: NodeJS.ErrnoException) => {
      fail(error.code === 'ENOENT' ? new Error(JAVA_MISSING) : error);
    });
    // 'close' comes after the output has been read, so the tail is complete.
    child.once('close', (exitCode: number | null, exitSignal: NodeJS.Signals | null) => {
      if (exitCode === EXIT_PORT_IN_USE) {
        fail(new PortInUseError(`port ${port} on 127.0.0.1 is already in use`));
      } else if (
        tail.some((line) => /UnsupportedClassVersionError|Could not find or load main class/.test(line))
      ) {
        fail(new Error(`${JAVA_MISSING}${tailText()}`));
      } else {
        fail(
          new Error(
            `DynamoDB Local exited before it was ready (${exitSignal ?? `exit code ${exitCode}`})${tailText()}`,
          ),
        );
      }
    });
    onReady = (endpoint) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const expected = `http://127.0.0.1:${port}`;
      if (endpoint !== expected || child.pid === undefined) {
        void stop();
        reject(new Error(`DynamoDB Local reported ${endpoint}, expected ${expected}`));
        return;
      }
      resolve({ endpoint, port, pid: child.pid, stop });
    };
  });
}
