/** The local side of the file commands: which files the arguments name, their ids, sizes and mtimes. */
import { lstat, readdir, stat } from 'node:fs/promises';
import { statSync, type Stats } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FileFacts } from '../publish.js';
import { UsageError } from './failures.js';
import { pathToId, type Repository } from './repository.js';

/** Folders never published: the repository's own. */
const SKIPPED = new Set(['.damas']);

/** Ids of paths that need not exist locally (show, rm, lock…): a trailing `/` for directories. */
export function idsOf(repository: Repository, cwd: string, paths: readonly string[]): string[] {
  return unique(
    paths.map((path) => {
      const found = statSync(resolve(cwd, path), { throwIfNoEntry: false });
      return pathToId(repository, cwd, path, found ? found.isDirectory() : path.endsWith('/'));
    }),
  );
}

/**
 * Existing files named by the arguments. A directory is one folder package (its size is the sum of
 * its files), or with `recursive` every file under it. mtimes are whole ms. A missing path is a usage error.
 */
export async function localFiles(
  repository: Repository,
  cwd: string,
  paths: readonly string[],
  recursive: boolean,
): Promise<FileFacts[]> {
  const files = new Map<string, FileFacts>();
  for (const path of paths) {
    const absolute = resolve(cwd, path);
    const info = await stat(absolute).catch(() => {
      throw new UsageError(`${path}: no such file or directory`);
    });
    if (!info.isDirectory()) {
      const id = pathToId(repository, cwd, absolute, false);
      files.set(id, { id, size: info.size, mtime: mtimeOf(info) });
    } else if (recursive) {
      for await (const [file, fileInfo] of walk(absolute)) {
        const id = pathToId(repository, cwd, file, false);
        files.set(id, { id, size: fileInfo.size, mtime: mtimeOf(fileInfo) });
      }
    } else {
      const id = pathToId(repository, cwd, absolute, true);
      if (id === '/') throw new UsageError('the repository root cannot be a package; use add -r');
      let size = 0;
      for await (const [, fileInfo] of walk(absolute)) size += fileInfo.size;
      files.set(id, { id, size, mtime: mtimeOf(info) });
    }
  }
  return [...files.values()];
}

/** Every regular file under `dir`, by name (symbolic links to files included; linked folders not followed). */
async function* walk(dir: string): AsyncGenerator<[string, Stats]> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED.has(entry.name)) yield* walk(path);
    } else if (entry.isFile()) {
      yield [path, await lstat(path)];
    } else if (entry.isSymbolicLink()) {
      const target = await stat(path).catch(() => undefined);
      if (target?.isFile()) yield [path, target];
    }
  }
}

const mtimeOf = (info: Stats) => Math.floor(info.mtimeMs);

function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}
