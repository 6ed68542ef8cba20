/**
 * File ids → paths inside the volume root. The agent writes nowhere else: an id that could escape
 * the root (`..`, NUL, empty segments, a parent that is a symlink leading out) is refused.
 */
import { lstat, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';

/** A refused id or path: reported on the file's node as an error, never touched. */
export class PathRefused extends Error {
  override readonly name = 'PathRefused';
}

/** The agent's own folder at the volume root: never scanned nor published. */
export const PRIVATE_DIR = '.syncplanet';

/** `/shots/a.exr` → `shots/a.exr`; a package `/shots/plates/` → `shots/plates`. Throws PathRefused. */
export function relativePath(id: string): string {
  if (typeof id !== 'string' || !id.startsWith('/')) throw new PathRefused(`${String(id)}: not a file path`);
  if (id.includes('\0')) throw new PathRefused(`${JSON.stringify(id)}: contains NUL`);
  const rel = id.slice(1, id.endsWith('/') ? -1 : undefined);
  const segments = rel.split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new PathRefused(`${id}: empty, '.' or '..' path segment`);
    }
  }
  // Compared without case: on a case-insensitive volume `.SyncPlanet` is the same folder.
  if (segments[0]!.toLowerCase() === PRIVATE_DIR) throw new PathRefused(`${id}: the agent's private folder`);
  return rel;
}

/** The id of a path relative to the root (`pkg` = a package folder). */
export const fileId = (rel: string, pkg = false): string => `/${rel}${pkg ? '/' : ''}`;

const isInside = (root: string, path: string) => {
  const rel = relative(root, path);
  return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
};

/**
 * The absolute final path of `rel` under `root`, after checking every existing ancestor: a symlink
 * must resolve inside the root, anything else must be a directory. The final entry itself must not
 * be a symlink. Missing ancestors are fine (the caller creates them). Throws PathRefused.
 */
export async function finalPath(root: string, rel: string): Promise<string> {
  const segments = rel.split('/');
  let path = root;
  for (const [i, segment] of segments.entries()) {
    path = join(path, segment);
    const stats = await lstat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (!stats) break;
    const last = i === segments.length - 1;
    if (stats.isSymbolicLink()) {
      if (last) throw new PathRefused(`/${rel}: the final path is a symlink`);
      const target = await realpath(path).catch(() => null);
      const where = segments.slice(0, i + 1).join('/');
      // The root's own real path, read only here: most paths meet no symlink.
      if (!target || !isInside(await realpath(root), target)) {
        throw new PathRefused(`/${rel}: ${where} is a symlink leading out of the root`);
      }
      if (!(await stat(target)).isDirectory()) throw new PathRefused(`/${rel}: ${where} is not a folder`);
    } else if (!last && !stats.isDirectory()) {
      throw new PathRefused(`/${rel}: ${segments.slice(0, i + 1).join('/')} is not a folder`);
    }
  }
  return join(root, rel);
}
