/** File ids → paths under the volume root: what `relativePath` accepts and what `finalPath` refuses on disk. */
import fc from 'fast-check';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileId, finalPath, PathRefused, PRIVATE_DIR, relativePath } from '../../../agent/paths.js';

describe('relativePath', () => {
  it.each([
    ['/a/b.txt', 'a/b.txt'],
    ['/a.txt', 'a.txt'],
    ['/pkg/', 'pkg'],
    ['/shots/plates/', 'shots/plates'],
    ['/my shots/été 2024/ファイル.exr', 'my shots/été 2024/ファイル.exr'],
    ['/ leading and trailing spaces ', ' leading and trailing spaces '],
    ['/...', '...'],
    ['/..hidden/.file', '..hidden/.file'],
    ['/.syncplanet-partial/a', '.syncplanet-partial/a'],
    ['/a/.syncplanet/b', 'a/.syncplanet/b'],
  ])('accepts %j → %j', (id, rel) => {
    expect(relativePath(id)).toBe(rel);
  });

  it.each([
    ['a/b.txt', 'not a file path'],
    ['', 'not a file path'],
    ['/', 'empty'],
    ['//', 'empty'],
    ['/a//b', 'empty'],
    ['//a', 'empty'],
    ['/a/b//', 'empty'],
    ['/..', "'..'"],
    ['/../etc/passwd', "'..'"],
    ['/a/../../b', "'..'"],
    ['/a/..', "'..'"],
    ['/a/../', "'..'"],
    ['/.', "'.'"],
    ['/./a', "'.'"],
    ['/a/./b', "'.'"],
    ['/a\0b', 'NUL'],
    ['/a/b\0', 'NUL'],
    ['/.syncplanet', 'private folder'],
    ['/.syncplanet/', 'private folder'],
    ['/.syncplanet/index', 'private folder'],
    ['/.syncplanet/incoming/a.exr', 'private folder'],
  ])('refuses %j', (id, reason) => {
    expect(() => relativePath(id)).toThrow(PathRefused);
    expect(() => relativePath(id)).toThrow(reason);
  });

  it('refuses a value that is not a string', () => {
    expect(() => relativePath(undefined as unknown as string)).toThrow(PathRefused);
    expect(() => relativePath(42 as unknown as string)).toThrow(PathRefused);
  });

  it('is the inverse of fileId for files and packages', () => {
    expect(fileId('a/b.txt')).toBe('/a/b.txt');
    expect(fileId('pkg', true)).toBe('/pkg/');
    expect(relativePath(fileId('a/b c.txt'))).toBe('a/b c.txt');
    expect(relativePath(fileId('shots/pkg', true))).toBe('shots/pkg');
  });

  const root = '/srv/volume';
  const segment = fc.oneof(
    fc.constantFrom('..', '.', '', PRIVATE_DIR, '...', '..a', 'a..', ' ', '\0', '\\..', '..\\', 'é'),
    fc.string({ unit: 'binary', maxLength: 6 }),
  );
  const ids = fc
    .tuple(fc.array(segment, { minLength: 1, maxLength: 6 }), fc.boolean())
    .map(([segments, pkg]) => `/${segments.join('/')}${pkg ? '/' : ''}`);

  it('any accepted id stays strictly inside the root, outside the private folder (property)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(ids, (id) => {
        let rel: string;
        try {
          rel = relativePath(id);
        } catch (error) {
          expect(error).toBeInstanceOf(PathRefused);
          return;
        }
        accepted++;
        const inside = relative(root, join(root, rel));
        expect(inside).not.toBe('');
        expect(isAbsolute(inside)).toBe(false);
        expect(inside === '..' || inside.startsWith(`..${sep}`)).toBe(false);
        expect(inside.split(sep)[0]).not.toBe(PRIVATE_DIR);
        expect(inside).toBe(rel);
        expect(relativePath(fileId(rel, id.endsWith('/')))).toBe(rel);
      }),
      { numRuns: 2000 },
    );
    expect(accepted).toBeGreaterThan(100); // the generator does reach accepted ids
  });
});

describe('finalPath', () => {
  let base: string;
  let root: string;
  let outside: string;

  beforeAll(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'agent-paths-')));
    root = join(base, 'root');
    outside = join(base, 'outside');
    await mkdir(join(root, 'real', 'deep'), { recursive: true });
    await mkdir(join(root, '..foo'), { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(join(root, 'file.txt'), 'x');
    await writeFile(join(root, 'real', 'inner.txt'), 'x');
    await writeFile(join(outside, 'secret.txt'), 'x');
    await symlink(outside, join(root, 'out')); // absolute, leading out
    await symlink('../outside', join(root, 'out-relative')); // relative, leading out
    await symlink('real', join(root, 'alias')); // stays inside
    await symlink('real/deep', join(root, 'deep-alias'));
    await symlink('.', join(root, 'self')); // the root itself
    await symlink('..', join(root, 'parent')); // the root's parent
    await symlink('nowhere', join(root, 'dangling'));
    await symlink('loop-b', join(root, 'loop-a'));
    await symlink('loop-a', join(root, 'loop-b'));
    await symlink('file.txt', join(root, 'file-link')); // final entry: a symlink inside the root
    await symlink(join(outside, 'secret.txt'), join(root, 'secret-link'));
    await symlink('..foo', join(root, 'dotdot-alias')); // a folder named `..foo` is inside the root
    await symlink(root, join(base, 'root-link')); // the root reached through a symlink
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('answers the path under the root for plain and missing paths', async () => {
    await expect(finalPath(root, 'file.txt')).resolves.toBe(join(root, 'file.txt'));
    await expect(finalPath(root, 'real/inner.txt')).resolves.toBe(join(root, 'real/inner.txt'));
    await expect(finalPath(root, 'new.txt')).resolves.toBe(join(root, 'new.txt'));
    await expect(finalPath(root, 'missing/parents/all/the/way.txt')).resolves.toBe(
      join(root, 'missing/parents/all/the/way.txt'),
    );
    await expect(finalPath(root, 'real/missing/a.txt')).resolves.toBe(join(root, 'real/missing/a.txt'));
    await expect(finalPath(root, 'real')).resolves.toBe(join(root, 'real')); // a package folder
  });

  it.each([
    ['out/secret.txt', 'leading out of the root'],
    ['out/new/a.txt', 'leading out of the root'],
    ['out-relative/secret.txt', 'leading out of the root'],
    ['parent/outside/secret.txt', 'leading out of the root'],
    ['dangling/a.txt', 'leading out of the root'],
    ['loop-a/a.txt', 'leading out of the root'],
  ])('refuses %j: a parent symlink that does not resolve inside the root', async (rel, reason) => {
    const refused = finalPath(root, rel);
    await expect(refused).rejects.toBeInstanceOf(PathRefused);
    await expect(finalPath(root, rel)).rejects.toThrow(reason);
  });

  it.each([
    ['alias/inner.txt', 'alias/inner.txt'],
    ['alias/new/a.txt', 'alias/new/a.txt'],
    ['deep-alias/a.txt', 'deep-alias/a.txt'],
    ['self/real/inner.txt', 'self/real/inner.txt'],
  ])('accepts %j: parent symlinks resolving inside the root', async (rel, expected) => {
    await expect(finalPath(root, rel)).resolves.toBe(join(root, expected));
  });

  it('accepts a root reached through a symlink', async () => {
    const linked = join(base, 'root-link');
    await expect(finalPath(linked, 'alias/inner.txt')).resolves.toBe(join(linked, 'alias/inner.txt'));
    await expect(finalPath(linked, 'out/secret.txt')).rejects.toBeInstanceOf(PathRefused);
  });

  it.each(['file-link', 'secret-link', 'out', 'alias', 'dangling'])(
    'refuses %j: the final entry is a symlink',
    async (rel) => {
      await expect(finalPath(root, rel)).rejects.toBeInstanceOf(PathRefused);
      await expect(finalPath(root, rel)).rejects.toThrow('symlink');
    },
  );

  it.each(['file.txt/a', 'file.txt/a/b.txt', 'real/inner.txt/x'])(
    'refuses %j: a regular file in the middle of the path',
    async (rel) => {
      await expect(finalPath(root, rel)).rejects.toBeInstanceOf(PathRefused);
      await expect(finalPath(root, rel)).rejects.toThrow('is not a folder');
    },
  );

  // A folder whose name starts with `..` is inside the root: `relativePath` accepts `/..foo/x`.
  it('accepts a parent symlink to a folder named `..foo` inside the root', async () => {
    await expect(finalPath(root, '..foo/a.txt')).resolves.toBe(join(root, '..foo/a.txt'));
    await expect(finalPath(root, 'dotdot-alias/a.txt')).resolves.toBe(join(root, 'dotdot-alias/a.txt'));
  });

  // A parent that is a symlink to a regular file inside the root is no folder: refused like a file.
  it('refuses, as PathRefused, a parent symlink that resolves to a file inside the root', async () => {
    await expect(finalPath(root, 'file-link/a.txt')).rejects.toBeInstanceOf(PathRefused);
  });
});
