/** The local index on a real file: save and load round trip, a missing file, a torn one. */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Entry, LocalIndex } from '../../../agent/local-index.js';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-index-'));
  file = join(dir, 'index');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const KEYS = [
  'a.txt',
  'shots/010/plate v2.exr',
  ' leading and trailing ',
  'new\nline.txt',
  'carriage\rreturn',
  'tab\there',
  'double"quote',
  "single'quote",
  'back\\slash',
  '12 34 m "looks like a line"',
  'été/ファイル.exr',
  'separators\u2028\u2029\u0085',
  'pkg/',
  'shots/plates/',
];

describe('LocalIndex', () => {
  it('loads what it saved: sizes, mtimes and the missing flag, for any path', async () => {
    const saved = new LocalIndex(file);
    saved.round = 7;
    KEYS.forEach((key, i) => saved.set(key, i * 1000, 1_700_000_000_000 + i));
    saved.set('big.mov', 2 ** 40 + 5, 1_720_000_000_123);
    saved.setMissing('tab\there', true);
    saved.setMissing('pkg/', true);
    expect(saved.get('a.txt')).toEqual(new Entry(0, 1_700_000_000_000, 7, false));
    await saved.save();

    const loaded = new LocalIndex(file);
    await loaded.load();
    expect([...loaded.entries.keys()].sort()).toEqual([...KEYS, 'big.mov'].sort());
    KEYS.forEach((key, i) => {
      const missing = key === 'tab\there' || key === 'pkg/';
      expect(loaded.get(key), key).toEqual(new Entry(i * 1000, 1_700_000_000_000 + i, 0, missing));
    });
    expect(loaded.get('big.mov')).toEqual(new Entry(2 ** 40 + 5, 1_720_000_000_123, 0, false));
  });

  it('writes one line per path and leaves no temporary file', async () => {
    const index = new LocalIndex(file);
    for (const key of KEYS) index.set(key, 1, 2);
    await index.save();
    expect((await readFile(file, 'utf8')).split('\n')).toHaveLength(KEYS.length + 1);
    expect(await readdir(dir)).toEqual(['index']);
  });

  it('replaces the previous index on save (a removed entry stays removed)', async () => {
    const index = new LocalIndex(file);
    index.set('keep', 1, 1);
    index.set('drop', 2, 2);
    await index.save();
    index.delete('drop');
    index.set('keep', 10, 1);
    await index.save();
    const loaded = new LocalIndex(file);
    await loaded.load();
    expect([...loaded.entries.keys()]).toEqual(['keep']);
    expect(loaded.get('keep')?.size).toBe(10);
  });

  it('writes only when something changed since the load or the last save', async () => {
    const line = '5 1700000000000 - "a.txt"\n';
    await writeFile(file, line);
    const index = new LocalIndex(file);
    await index.load();
    const untouched = async () => {
      await writeFile(file, 'not rewritten');
      await index.save();
      return readFile(file, 'utf8');
    };
    expect(await untouched()).toBe('not rewritten');
    index.get('a.txt')!.seen = 3; // the scan round is not saved
    index.setMissing('a.txt', false);
    index.delete('never.txt');
    expect(await untouched()).toBe('not rewritten');

    index.setMissing('a.txt', true);
    await index.save();
    expect(await readFile(file, 'utf8')).toBe('5 1700000000000 m "a.txt"\n');
    expect(await untouched()).toBe('not rewritten');
    index.delete('a.txt');
    await index.save();
    expect(await readFile(file, 'utf8')).toBe('');
    index.set('b.txt', 1, 2);
    await index.save();
    expect(await readFile(file, 'utf8')).toBe('1 2 - "b.txt"\n');
  });

  it('saves an empty index and loads it empty', async () => {
    await new LocalIndex(file).save();
    expect(await readFile(file, 'utf8')).toBe('');
    const loaded = new LocalIndex(file);
    await loaded.load();
    expect(loaded.entries.size).toBe(0);
  });

  it('loads nothing, without an error, when the file does not exist', async () => {
    const index = new LocalIndex(join(dir, 'never-written'));
    await expect(index.load()).resolves.toBeUndefined();
    expect(index.entries.size).toBe(0);
  });

  // The index is written to a temporary file and renamed without an fsync: after a power loss some
  // filesystems leave the renamed file truncated. `runAgent` awaits `index.load()` before anything
  // else, so an index that fails to load keeps the agent from starting until someone deletes it;
  // the outbox, in the same state dir, ignores its torn last line.
  it('keeps the complete lines of a torn index', async () => {
    await writeFile(file, '5 1700000000000 - "a.txt"\n6 1700000000001 m "b c.txt"\n7 17000000');
    const index = new LocalIndex(file);
    await expect(index.load()).resolves.toBeUndefined();
    expect(index.get('a.txt')).toEqual(new Entry(5, 1_700_000_000_000, 0, false));
    expect(index.get('b c.txt')).toEqual(new Entry(6, 1_700_000_000_001, 0, true));
  });
});
