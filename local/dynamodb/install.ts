/**
 * Fetches AWS's DynamoDB Local once into `<repo>/.cache/dynamodb-local/` from the npm registry (it ships
 * inside `amplify-dynamodb-simulator`; only its `emulator/` folder is kept).
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const PACKAGE = 'amplify-dynamodb-simulator';
const VERSION = '2.9.30'; // ships DynamoDB Local 1.25.1
const INTEGRITY =
  'sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ==';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CACHE_ROOT = path.join(REPO_ROOT, '.cache', 'dynamodb-local');
const INSTALL_DIR = path.join(CACHE_ROOT, `${PACKAGE}-${VERSION}`);

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
    const tarball = await packVerified(packDir);
    await extractEmulator(tarball, staging);
    await moveIntoPlace(staging);
    return INSTALL_DIR;
  } finally {
    await Promise.all([
      rm(packDir, { recursive: true, force: true }),
      rm(staging, { recursive: true, force: true }),
    ]);
  }
}

/** `npm pack`s the package into packDir, checks its integrity and answers the tarball's path. */
async function packVerified(packDir: string): Promise<string> {
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
  return tarballPath;
}

/** Extracts the tarball's `emulator/` folder into staging (created here). */
async function extractEmulator(tarball: string, staging: string): Promise<void> {
  await mkdir(staging);
  await execFileAsync('tar', [
    '-xzf',
    tarball,
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
}

async function moveIntoPlace(staging: string): Promise<void> {
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
