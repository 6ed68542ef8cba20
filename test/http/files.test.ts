/** Contract tests of publish, lock, unlock and comment against the real local runtime. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalTracker } from '../../local/runtime.js';
import { call, startTestTracker } from '../support/tracker.js';

let t: LocalTracker;
beforeAll(async () => {
  t = await startTestTracker();
});
afterAll(() => t?.close());

const read = (id: string) => call(t, 'GET', `read/${encodeURIComponent(id)}`);
type N = { _id: string; [k: string]: unknown };

describe('publish', () => {
  it('creates the file and one history child per file (201)', async () => {
    const r = await call(t, 'POST', 'publish', {
      _id: '/p/shot1.exr',
      comment: 'first',
      origin: 'paris',
      file_size: 3,
    });
    expect(r.status).toBe(201);
    const [file, child] = r.json as N[];
    expect(file).toMatchObject({ _id: '/p/shot1.exr', comment: 'first', origin: 'paris', file_size: 3 });
    expect(child).toMatchObject({
      '#parent': '/p/shot1.exr',
      comment: 'first',
      origin: 'paris',
      author: file!.author,
    });
    expect(child!._id).toMatch(/^[0-9a-f]{24}$/);
    expect((await read(child!._id)).status).toBe(200);
  });

  it('answers files first then children, 207 when some exist, 409 when all exist', async () => {
    const r = await call(t, 'POST', 'publish', [
      { _id: '/p/a', comment: 'c', origin: 'paris' },
      { _id: '/p/shot1.exr', comment: 'c', origin: 'paris' },
      { _id: '/p/b', comment: 'c', origin: 'paris' },
    ]);
    expect(r.status).toBe(207);
    const nodes = r.json as N[];
    expect(nodes.map((n) => n._id).slice(0, 2)).toEqual(['/p/a', '/p/b']);
    expect(nodes.slice(2).map((n) => n['#parent'])).toEqual(['/p/a', '/p/b']);
    const again = await call(t, 'POST', 'publish', { _id: '/p/a', comment: 'c', origin: 'paris' });
    expect(again.status).toBe(409);
    expect(again.text).toMatch(/^Publish error: /);
  });

  it('refuses ids not starting with / and missing origin (400), writing nothing', async () => {
    const bad = await call(t, 'POST', 'publish', [
      { _id: '/p/ok-but-not-written', comment: 'c', origin: 'paris' },
      { _id: 'relative', comment: 'c', origin: 'paris' },
    ]);
    expect(bad.status).toBe(400);
    expect((await read('/p/ok-but-not-written')).status).toBe(404);
    expect((await call(t, 'POST', 'publish', { _id: '/p/no-origin', comment: 'c' })).status).toBe(400);
  });
});

describe('lock and unlock', () => {
  it('locks with the caller as `lock`, and unlocks', async () => {
    await call(t, 'POST', 'create', [{ _id: '/l/1' }, { _id: '/l/2' }]);
    const locked = await call(t, 'PUT', 'lock', '/l/1');
    expect(locked.status).toBe(200);
    expect(locked.json).toBe(true);
    expect((await read('/l/1')).json).toMatchObject({ lock: 'anonymous' });
    expect((await call(t, 'PUT', 'lock', ['/l/1', '/l/2'])).json).toBe(true);
    const unlocked = await call(t, 'PUT', 'unlock', ['/l/1', '/l/2']);
    expect(unlocked.json).toBe(true);
    expect((await read('/l/1')).json).not.toHaveProperty('lock');
  });

  it('answers 404 for missing nodes and 409 for a lock held by someone else', async () => {
    expect((await call(t, 'PUT', 'lock', '/l/missing')).status).toBe(404);
    await call(t, 'PUT', 'update', { _id: '/l/2', lock: 'someone-else' });
    const r = await call(t, 'PUT', 'lock', '/l/2');
    expect(r.status).toBe(409);
    expect(r.text).toMatch(/^Lock error: .*locked by another user/);
    expect((await call(t, 'PUT', 'unlock', '/l/2')).status).toBe(409);
    expect((await read('/l/2')).json).toMatchObject({ lock: 'someone-else' });
  });

  it('refuses bad ids with 400', async () => {
    expect((await call(t, 'PUT', 'lock', { _id: 5 })).status).toBe(400);
    expect((await call(t, 'PUT', 'unlock', [])).status).toBe(400);
  });
});

describe('comment', () => {
  it('creates comment children with author and time (201, always an array)', async () => {
    await call(t, 'POST', 'create', [{ _id: '/cm/1' }, { _id: '/cm/2' }]);
    const r = await call(t, 'POST', 'comment', { '#parent': '/cm/1', comment: 'looks good' });
    expect(r.status).toBe(201);
    const [node] = r.json as N[];
    expect(node).toMatchObject({ '#parent': '/cm/1', comment: 'looks good', author: 'anonymous' });
    expect(typeof node!.time).toBe('number');
  });

  it('comments several parents; 207 when some are missing; 404 when none exist', async () => {
    const some = await call(t, 'POST', 'comment', {
      '#parent': ['/cm/1', '/cm/none', '/cm/2'],
      comment: 'x',
    });
    expect(some.status).toBe(207);
    expect((some.json as (N | null)[]).map((n) => n?.['#parent'] ?? null)).toEqual(['/cm/1', null, '/cm/2']);
    expect((await call(t, 'POST', 'comment', { '#parent': '/cm/none', comment: 'x' })).status).toBe(404);
  });

  it('refuses an empty comment or a missing parent with 400', async () => {
    expect((await call(t, 'POST', 'comment', { '#parent': '/cm/1', comment: '' })).status).toBe(400);
    expect((await call(t, 'POST', 'comment', { comment: 'x' })).status).toBe(400);
  });

  it('lists comments through the #parent index', async () => {
    const r = await call(t, 'GET', `search/${encodeURIComponent('#parent:/cm/2')}`);
    expect(r.status).toBe(200);
    expect((r.json as string[]).length).toBe(1);
  });
});
