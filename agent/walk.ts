/**
 * Walks the volume: regular files the rules include, and package folders as one entry (total size,
 * newest mtime). Symlinks are neither followed nor published. Synchronous directory reads are the
 * fastest way to stat a large tree from Node; the walk yields to the event loop every few hundred
 * entries so heartbeats and events keep flowing.
 */
import { lstatSync, readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import type { ScanRules } from './rules.js';

export interface Found {
  /** Path from the root (no leading or trailing slash). */
  rel: string;
  size: number;
  /** Modification time, whole ms. */
  mtime: number;
  package: boolean;
}

const YIELD_EVERY = 500;
const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Calls `visit` for each file and package under `root`; `isPackage` also sees the index's packages. */
export async function walk(
  root: string,
  rules: ScanRules,
  visit: (found: Found) => void,
  isPackage: (rel: string) => boolean = rules.isPackage,
): Promise<void> {
  const folders = [''];
  let sinceYield = 0;
  while (folders.length > 0) {
    const folder = folders.pop()!;
    for (const entry of readFolder(join(root, folder))) {
      const rel = folder ? `${folder}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (rules.skipsFolder(rel)) continue;
        if (isPackage(rel)) visit(packageOf(root, rel));
        else folders.push(rel);
      } else if (entry.isFile() && rules.includes(rel)) {
        const stats = lstatSync(join(root, rel), { throwIfNoEntry: false });
        if (stats?.isFile())
          visit({ rel, size: stats.size, mtime: Math.floor(stats.mtimeMs), package: false });
      }
      if (++sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await nextTick();
      }
    }
  }
}

/** A folder's entries; a folder that vanished or cannot be read is empty. */
function readFolder(path: string): Dirent[] {
  try {
    return readdirSync(path, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** A package: the sum of its files' sizes and the newest mtime among them. */
export function packageOf(root: string, rel: string): Found {
  const found: Found = { rel, size: 0, mtime: 0, package: true };
  const folders = [rel];
  while (folders.length > 0) {
    const folder = folders.pop()!;
    for (const entry of readFolder(join(root, folder))) {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory()) folders.push(path);
      else if (entry.isFile()) {
        const stats = lstatSync(join(root, path), { throwIfNoEntry: false });
        if (!stats) continue;
        found.size += stats.size;
        found.mtime = Math.max(found.mtime, Math.floor(stats.mtimeMs));
      }
    }
  }
  return found;
}
