/**
 * A damas repository: a folder with `.damas/config`, in damas.sh's format (shell assignments,
 * `URL="http://host:8090/api/"`), plus our optional `SITE="paris"`. Paths map to ids from its root.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { NotRepositoryError, UsageError } from './failures.js';

export interface RepositoryConfig {
  /** As written in the file: `http://host:8090/api/`. */
  url?: string;
  site?: string;
}

export interface Repository {
  root: string;
  config: RepositoryConfig;
}

const CONFIG_KEYS = { URL: 'url', SITE: 'site' } as const;

/** The repository at DAMAS_DIR, else the nearest folder from `cwd` up holding `.damas/`. */
export function findRepository(cwd: string, damasDir: string | undefined): Repository | undefined {
  if (damasDir) {
    const root = resolve(cwd, damasDir);
    return isRepository(root) ? load(root) : undefined;
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (isRepository(dir)) return load(dir);
    if (dirname(dir) === dir) return undefined;
  }
}

export function requireRepository(cwd: string, damasDir: string | undefined): Repository {
  const repository = findRepository(cwd, damasDir);
  if (repository) return repository;
  throw new NotRepositoryError(
    damasDir
      ? `not a damas repository: ${damasDir} (DAMAS_DIR) has no .damas/ folder`
      : 'not a damas repository (or any parent); run damas init',
  );
}

function isRepository(dir: string): boolean {
  try {
    return statSync(join(dir, '.damas')).isDirectory();
  } catch {
    return false;
  }
}

function load(dir: string): Repository {
  const root = physical(dir);
  const file = join(root, '.damas', 'config');
  return { root, config: existsSync(file) ? parseConfig(readFileSync(file, 'utf8')) : {} };
}

/** The path without symbolic links (`/tmp` → `/private/tmp` on macOS), also for a file that does not exist. */
function physical(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(physical(parent), basename(path));
  }
}

/** `KEY="value"`, `KEY='value'` or `KEY=value` lines; comments and other keys are ignored. */
function parseConfig(text: string): RepositoryConfig {
  const config: RepositoryConfig = {};
  for (const line of text.split('\n')) {
    const match = /^\s*(?:export\s+)?([A-Z_]+)=(?:"([^"]*)"|'([^']*)'|(\S*))\s*(?:#.*)?$/.exec(line);
    const key = match && CONFIG_KEYS[match[1] as keyof typeof CONFIG_KEYS];
    if (key) config[key] = match[2] ?? match[3] ?? match[4] ?? '';
  }
  return config;
}

/** Writes `.damas/config` in damas.sh's format, so the old shell CLI keeps working here. */
export function writeConfig(root: string, config: RepositoryConfig): void {
  mkdirSync(join(root, '.damas'), { recursive: true });
  const lines = [`URL="${config.url ?? ''}"`];
  if (config.site) lines.push(`SITE="${config.site}"`);
  writeFileSync(join(root, '.damas', 'config'), `${lines.join('\n')}\n`);
}

/**
 * The id of a path: `/` + its path from the root in UNIX style, with a trailing `/` for a
 * directory. The root itself is `/`. A path outside the repository is a usage error.
 */
export function pathToId(repository: Repository, cwd: string, path: string, isDirectory: boolean): string {
  const absolute = physical(resolve(cwd, path));
  const rel = relative(repository.root, absolute);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new UsageError(`${path} is outside the repository ${repository.root}`);
  }
  const id = `/${rel.split(sep).join('/')}`;
  return isDirectory && id !== '/' ? `${id}/` : id;
}
