/**
 * Runs DynamoDB Local through `LocalDynamoDb.java`, a launcher that binds 127.0.0.1 only (the stock jar
 * listens on all interfaces and has no host flag), waits until it is ready, and stops it.
 */
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { assertPortFree, findFreePort } from '../net.js';
import { ensureDynamoDbLocal } from './install.js';

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

const READY_LINE = /^LocalDynamoDb ready (http:\/\/\S+)$/;
const JAVA_TOO_OLD = /UnsupportedClassVersionError|Could not find or load main class/;
const JAVA_MISSING =
  'DynamoDB Local needs Java 17 or newer: install a JRE (e.g. `apt-get install -y openjdk-17-jre-headless`) and try again';

type JavaProcess = ChildProcessByStdio<Writable, Readable, Readable>;

/** The last lines DynamoDB Local printed, and a hook for its ready line. */
interface LogTail {
  lines: string[];
  /** The lines as a suffix for error messages ('' when there are none). */
  text(): string;
  onReady?: (endpoint: string) => void;
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
  // DynamoDB Local drops a metadata file in its working directory: keep it out of the caller's.
  const { child, exited } = spawnJava(javaArgs(dir, port, dataDir), dataDir ?? os.tmpdir());
  const log = readLines(child, onLog);
  const stop = stopper(child, exited);
  return waitForReady(child, port, log, stop);
}

function javaArgs(dir: string, port: number, dataDir: string | undefined): string[] {
  const lib = path.join(dir, 'DynamoDBLocal_lib');
  return [
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
}

/** JAVA_HOME, when set, chooses the Java installation (as Java tools do); else `java` from PATH. */
function javaCommand(): string {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** Spawns Java, killed with SIGKILL if this process exits first; `exited` resolves on its exit. */
function spawnJava(args: string[], cwd: string): { child: JavaProcess; exited: Promise<void> } {
  // stdin stays an open pipe: the launcher exits when it closes, i.e. when this process dies.
  const child = spawn(javaCommand(), args, { stdio: ['pipe', 'pipe', 'pipe'], cwd });
  child.stdin.on('error', () => {});

  const killOnParentExit = () => {
    child.kill('SIGKILL');
  };
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      process.off('exit', killOnParentExit);
      resolve();
    });
  });
  process.on('exit', killOnParentExit);
  child.once('close', () => process.off('exit', killOnParentExit));
  return { child, exited };
}

/** Reads stdout and stderr line by line: passes lines to onLog, keeps a tail, spots the ready line. */
function readLines(child: JavaProcess, onLog: ((line: string) => void) | undefined): LogTail {
  const log: LogTail = {
    lines: [],
    text: () => (log.lines.length ? `\n${log.lines.join('\n')}` : ''),
  };
  const handleLine = (line: string) => {
    log.lines.push(line);
    if (log.lines.length > LOG_TAIL_LINES) log.lines.shift();
    onLog?.(line);
    const ready = READY_LINE.exec(line);
    if (ready?.[1]) log.onReady?.(ready[1]);
  };
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', handleLine);
  createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', handleLine);
  return log;
}

/** An idempotent stop() for the child. */
function stopper(child: ChildProcess, exited: Promise<void>): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => (stopping ??= terminate(child, exited));
}

/** SIGTERM, then SIGKILL if the child has not exited within STOP_TIMEOUT_MS. */
async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
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
}

/** Resolves on the ready line; rejects (after stopping the child) on error, early exit or timeout. */
function waitForReady(
  child: JavaProcess,
  port: number,
  log: LogTail,
  stop: () => Promise<void>,
): Promise<DynamoDbLocal> {
  return new Promise<DynamoDbLocal>((resolve, reject) => {
    let settled = false;
    /** True for the first caller only. */
    const settle = () => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      return true;
    };
    const fail = (error: Error) => {
      if (settle()) void stop().then(() => reject(error));
    };
    const timer = setTimeout(() => {
      const seconds = READY_TIMEOUT_MS / 1000;
      fail(new Error(`DynamoDB Local did not become ready on port ${port} within ${seconds} s${log.text()}`));
    }, READY_TIMEOUT_MS);

    child.on('error', (error: NodeJS.ErrnoException) => {
      fail(error.code === 'ENOENT' ? new Error(JAVA_MISSING) : error);
    });
    // 'close' comes after the output has been read, so the tail is complete.
    child.once('close', (exitCode: number | null, exitSignal: NodeJS.Signals | null) => {
      fail(earlyExitError(port, exitCode, exitSignal, log));
    });
    log.onReady = (endpoint) => {
      if (!settle()) return;
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

/** Why Java exited before printing the ready line. */
function earlyExitError(
  port: number,
  exitCode: number | null,
  exitSignal: NodeJS.Signals | null,
  log: LogTail,
): Error {
  if (exitCode === EXIT_PORT_IN_USE) {
    return new PortInUseError(`port ${port} on 127.0.0.1 is already in use`);
  }
  if (log.lines.some((line) => JAVA_TOO_OLD.test(line))) {
    return new Error(`${JAVA_MISSING}${log.text()}`);
  }
  const how = exitSignal ?? `exit code ${exitCode}`;
  return new Error(`DynamoDB Local exited before it was ready (${how})${log.text()}`);
}
