/** Contract tests of create, read, update, upsert and delete against the real local runtime. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalTracker } from '../../local/runtime.js';
import { call, startTestTracker } from '../support/tracker.js';

let t: LocalTracker;
beforeAll(async () => {
  t = await startTestTracker();
});
afterAll(() => t?.close());

describe('create', () => {
  it('stores a single node and answers it with author and time (201)', async () => {
    const before = Date.now();
    const r = await call(t, 'POST', 'create/', { _id: '/c/one', comment: 'x' });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ _id: '/c/one', comment: 'x', author: 'anonymous' });
    expect((r.json as { time: number }).time).toBeGreaterThanOrEqual(before);
  });

  it('generates 24-hex ids when _id is absent', async () => {
    const r = await call(t, 'POST', 'create', { a: 1 });
    expect(r.status).toBe(201);
    expect((r.json as { _id: string })._id).toMatch(/^[0-9a-f]{24}$/);
  });

  it('answers an array in input order, 207 with null for duplicates, 409 when all exist', async () => {
    const r = await call(t, 'POST', 'create', [{ _id: '/c/a' }, { _id: '/c/one' }, { _id: '/c/b' }]);
    expect(r.status).toBe(207);
    const nodes = r.json as ({ _id: string } | null)[];
    expect(nodes.map((n) => n?._id ?? null)).toEqual(['/c/a', null, '/c/b']);
    const all = await call(t, 'POST', 'create', [{ _id: '/c/a' }, { _id: '/c/b' }]);
    expect(all.status).toBe(409);
    expect(all.text).toMatch(/^Create error: /);
    const single = await call(t, 'POST', 'create', { _id: '/c/a' });
    expect(single.status).toBe(409);
  });

  it('expands an _id array into one node per id', async () => {
    const r = await call(t, 'POST', 'create', { _id: ['/c/x1', '/c/x2'], tag: 'same' });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject([
      { _id: '/c/x1', tag: 'same' },
      { _id: '/c/x2', tag: 'same' },
    ]);
  });

  it('treats the second copy of an id in one request as a duplicate', async () => {
    const r = await call(t, 'POST', 'create', [
      { _id: '/c/twice', n: 1 },
      { _id: '/c/twice', n: 2 },
    ]);
    expect(r.status).toBe(207);
    expect(r.json).toMatchObject([{ _id: '/c/twice', n: 1 }, null]);
  });

  it('counts the ids of _id arrays against the 1,000-element limit, writing nothing over it', async () => {
    const ids = (n: number) => Array.from({ length: 1000 }, (_, i) => `/limit/${n}/${i}`);
    for (const route of ['create', 'upsert', 'publish']) {
      const r = await call(
        t,
        'POST',
        route,
        [1, 2, 3].map((n) => ({ _id: ids(n), origin: 'paris', k: 1 })),
      );
      expect(r.status, route).toBe(400);
      expect(r.text).toMatch(/at most 1000 elements per request, counting each id of an _id array/);
    }
    const comments = await call(t, 'POST', 'comment', [
      { '#parent': ids(1).slice(0, 600), comment: 'a' },
      { '#parent': ids(2).slice(0, 600), comment: 'b' },
    ]);
    expect(comments.status).toBe(400);
    expect((await call(t, 'GET', `search/${encodeURIComponent('_id:/^\\/limit\\//')}`)).json).toEqual([]);
    // Exactly 1,000 after expansion is within the limit.
    const full = await call(t, 'POST', 'create', [{ _id: ids(4).slice(0, 999) }, { _id: '/limit/one-more' }]);
    expect(full.status).toBe(201);
    expect(full.json).toHaveLength(1000);
  });

  it('refuses a non-object element with 400 and writes nothing', async () => {
    const r = await call(t, 'POST', 'create', [{ _id: '/c/never' }, 42]);
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/^Create error: .*object/);
    expect((await call(t, 'GET', 'read/%2Fc%2Fnever')).status).toBe(404);
  });

  it('refuses a node over the DynamoDB item size with 413 and a clear message', async () => {
    const r = await call(t, 'POST', 'create', { _id: '/c/huge', blob: 'x'.repeat(500_000) });
    expect(r.status).toBe(413);
    expect(r.text).toMatch(/^Create error: node is \d+ bytes, over the \d+-byte limit/);
  });

  it('lets admins (open mode) set author and time', async () => {
    const r = await call(t, 'POST', 'create', { _id: '/c/admin', author: 'bob', time: 5 });
    expect(r.json).toMatchObject({ author: 'bob', time: 5 });
  });
});

describe('read', () => {
  it('reads by GET with comma-separated encoded ids and by POST', async () => {
    await call(t, 'POST', 'create', [{ _id: '/r/1' }, { _id: '/r/2' }]);
    const one = await call(t, 'GET', `read/${encodeURIComponent('/r/1')}`);
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ _id: '/r/1' });
    const two = await call(t, 'GET', `read/${encodeURIComponent('/r/1')},${encodeURIComponent('/r/2')}`);
    expect((two.json as { _id: string }[]).map((n) => n._id)).toEqual(['/r/1', '/r/2']);
    const posted = await call(t, 'POST', 'read', ['/r/2', '/r/1']);
    expect((posted.json as { _id: string }[]).map((n) => n._id)).toEqual(['/r/2', '/r/1']);
    const single = await call(t, 'POST', 'read', '/r/2');
    expect(single.json).toMatchObject({ _id: '/r/2' });
  });

  it('answers 207 with null for missing ids and 404 when none exist', async () => {
    const some = await call(t, 'POST', 'read', ['/r/1', '/r/missing']);
    expect(some.status).toBe(207);
    expect((some.json as unknown[])[1]).toBeNull();
    expect((await call(t, 'POST', 'read', ['/r/no', '/r/none'])).status).toBe(404);
    const missing = await call(t, 'POST', 'read', '/r/no');
    expect(missing.status).toBe(404);
    expect(missing.text).toMatch(/^Read error: /);
  });

  it('refuses non-string ids and empty requests with 400', async () => {
    expect((await call(t, 'POST', 'read', [1, 2])).status).toBe(400);
    expect((await call(t, 'POST', 'read', {})).status).toBe(400);
    expect((await call(t, 'GET', 'read/')).status).toBe(400);
  });
});

describe('update', () => {
  it('sets keys, deletes keys given null, keeps _id/author/time, answers the re-read node', async () => {
    const created = (await call(t, 'POST', 'create', { _id: '/u/1', a: 1, b: 2 })).json as Record<
      string,
      unknown
    >;
    const r = await call(t, 'PUT', 'update', { _id: '/u/1', a: 10, b: null, c: { deep: [1] } });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      _id: '/u/1',
      a: 10,
      c: { deep: [1] },
      author: created.author,
      time: created.time,
    });
  });

  it('does not create missing nodes: 404 alone, 207 in a batch', async () => {
    expect((await call(t, 'PUT', 'update', { _id: '/u/missing', a: 1 })).status).toBe(404);
    expect((await call(t, 'GET', `read/${encodeURIComponent('/u/missing')}`)).status).toBe(404);
    const r = await call(t, 'PUT', 'update', [
      { _id: '/u/1', x: 1 },
      { _id: '/u/missing', x: 1 },
    ]);
    expect(r.status).toBe(207);
    expect((r.json as unknown[])[1]).toBeNull();
  });

  it('refuses elements without _id or without any other key (400)', async () => {
    expect((await call(t, 'PUT', 'update', { a: 1 })).status).toBe(400);
    expect((await call(t, 'PUT', 'update', { _id: '/u/1' })).status).toBe(400);
  });

  it('refuses an update that would grow the node over the item size (413), leaving it unchanged', async () => {
    await call(t, 'POST', 'create', { _id: '/u/big', a: 'x'.repeat(300_000) });
    const r = await call(t, 'PUT', 'update', { _id: '/u/big', b: 'y'.repeat(200_000) });
    expect(r.status).toBe(413);
    expect(r.text).toMatch(/^Update error: .*400 KB/);
    const node = (await call(t, 'GET', `read/${encodeURIComponent('/u/big')}`)).json as Record<
      string,
      string
    >;
    expect(node.a).toHaveLength(300_000);
    expect(node).not.toHaveProperty('b');
  });

  it('expands an _id array and returns an array', async () => {
    await call(t, 'POST', 'create', [{ _id: '/u/m1' }, { _id: '/u/m2' }]);
    const r = await call(t, 'PUT', 'update', { _id: ['/u/m1', '/u/m2'], state: 'done' });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject([{ state: 'done' }, { state: 'done' }]);
  });
});

describe('upsert', () => {
  it('creates when missing and merges when present', async () => {
    const created = await call(t, 'POST', 'upsert', { _id: '/up/1', a: 1 });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ _id: '/up/1', a: 1, author: 'anonymous' });
    const merged = await call(t, 'POST', 'upsert', { _id: '/up/1', b: 2 });
    expect(merged.json).toMatchObject({ _id: '/up/1', a: 1, b: 2 });
  });

  it('generates an id for absent or "null" _id', async () => {
    const r = await call(t, 'POST', 'upsert', [{ _id: 'null', k: 1 }, { k: 2 }]);
    expect(r.status).toBe(200);
    for (const node of r.json as { _id: string }[]) expect(node._id).toMatch(/^[0-9a-f]{24}$/);
  });

  it('creates a node with only author and time for {"_id":"null"}, as damas-core does', async () => {
    const r = await call(t, 'POST', 'upsert', { _id: 'null' });
    expect(r.status).toBe(200);
    const node = r.json as { _id: string };
    expect(node._id).toMatch(/^[0-9a-f]{24}$/);
    expect(Object.keys(node).sort()).toEqual(['_id', 'author', 'time']);
    expect((await call(t, 'GET', `read/${node._id}`)).json).toEqual(node);

    const two = await call(t, 'POST', 'upsert', { _id: ['null', 'null'] });
    expect(two.status).toBe(200);
    const ids = (two.json as { _id: string }[]).map((n) => n._id);
    expect(new Set(ids).size).toBe(2);
    expect((await call(t, 'POST', 'read', ids)).status).toBe(200);
  });
});

describe('delete', () => {
  it('deletes and answers the id; 404 when missing; 207 when some are missing', async () => {
    await call(t, 'POST', 'create', [{ _id: '/d/1' }, { _id: '/d/2' }, { _id: '/d/3' }]);
    const one = await call(t, 'DELETE', 'delete', '/d/1');
    expect(one.status).toBe(200);
    expect(one.json).toBe('/d/1');
    const some = await call(t, 'DELETE', 'delete', ['/d/2', '/d/1']);
    expect(some.status).toBe(207);
    expect(some.json).toEqual(['/d/2', null]);
    expect((await call(t, 'DELETE', 'delete', '/d/1')).status).toBe(404);
    expect((await call(t, 'GET', `read/${encodeURIComponent('/d/3')}`)).status).toBe(200);
  });

  it('refuses non-string ids with 400 and deletes nothing', async () => {
    await call(t, 'POST', 'create', { _id: '/d/keep' });
    for (const body of [{}, null, 5, [5], { _id: { $gt: '' } }, [{}]]) {
      const r = await call(t, 'DELETE', 'delete', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    expect((await call(t, 'GET', `read/${encodeURIComponent('/d/keep')}`)).status).toBe(200);
  });
});

describe('routing', () => {
  it('accepts case-insensitive route names without trailing slash', async () => {
    expect((await call(t, 'POST', 'CREATE', { _id: '/rt/1' })).status).toBe(201);
    expect((await call(t, 'GET', `Read/${encodeURIComponent('/rt/1')}`)).status).toBe(200);
    expect((await call(t, 'POST', 'Read/', '/rt/1')).status).toBe(200);
  });

  it('answers unknown routes 404 and wrong methods 405 with damas-style text', async () => {
    const unknown = await call(t, 'GET', 'nope');
    expect(unknown.status).toBe(404);
    expect(unknown.text).toMatch(/error: unknown route/);
    const method = await call(t, 'GET', 'create');
    expect(method.status).toBe(405);
    expect(method.text).toMatch(/^Create error: GET is not allowed/);
  });

  it('treats a missing or unknown content type as an empty object', async () => {
    const r = await call(t, 'POST', 'create', undefined, {
      raw: '{"_id":"/ct/1"}',
      contentType: 'text/plain',
    });
    expect(r.status).toBe(201);
    expect((r.json as { _id: string })._id).toMatch(/^[0-9a-f]{24}$/);
  });

  it('accepts form-encoded bodies', async () => {
    const r = await call(t, 'POST', 'create', undefined, {
      raw: 'comment=from+a+form&_id=%2Fform%2F1',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ _id: '/form/1', comment: 'from a form' });
  });
});
