/** Contract tests of search, search_one, search_mongo and graph against the real local runtime. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalTracker } from '../../local/runtime.js';
import { call, startTestTracker } from '../support/tracker.js';

let t: LocalTracker;
const search = (q: string) => call(t, 'GET', `search/${encodeURIComponent(q)}`);

beforeAll(async () => {
  t = await startTestTracker();
  await call(t, 'POST', 'create', [
    { _id: '/proj/shot01/a.exr', origin: 'paris', size: 10, tags: ['hero', 'fx'], meta: { kind: 'plate' } },
    { _id: '/proj/shot01/b.exr', origin: 'tokyo', size: 200 },
    { _id: '/proj/shot01/sub/c.exr', origin: 'paris', size: 30 },
    { _id: '/proj/shot02/d.mov', origin: 'paris', size: 40 },
    { _id: '/other/e.mov', origin: 'paris', size: 50 },
    { _id: 'edge1', src_id: '/proj/shot02/d.mov', tgt_id: '/proj/shot01/a.exr' },
    { _id: 'edge2', src_id: '/other/e.mov', tgt_id: '/proj/shot02/d.mov' },
  ]);
});
afterAll(() => t?.close());

describe('search', () => {
  it('matches equality, regex, comparisons, arrays and nested keys, ANDed', async () => {
    expect((await search('origin:tokyo')).json).toEqual(['/proj/shot01/b.exr']);
    expect((await search('_id:/\\.mov$/')).json).toEqual(['/other/e.mov', '/proj/shot02/d.mov']);
    expect((await search('origin:paris size>=30 size<50')).json).toEqual([
      '/proj/shot01/sub/c.exr',
      '/proj/shot02/d.mov',
    ]);
    expect((await search('tags:hero')).json).toEqual(['/proj/shot01/a.exr']);
    expect((await search('meta.kind:plate')).json).toEqual(['/proj/shot01/a.exr']);
    expect((await search('_id:/EXR$/i origin:tokyo')).json).toEqual(['/proj/shot01/b.exr']);
  });

  it('answers prefix searches, folder listings and * with the right ids', async () => {
    expect((await search('_id:/^\\/proj\\/shot01\\//')).json).toEqual([
      '/proj/shot01/a.exr',
      '/proj/shot01/b.exr',
      '/proj/shot01/sub/c.exr',
    ]);
    expect((await search('_id:/^\\/proj\\/shot01\\/[^\\/]+$/')).json).toEqual([
      '/proj/shot01/a.exr',
      '/proj/shot01/b.exr',
    ]);
    expect(((await search('*')).json as string[]).length).toBe(7);
  });

  it('reads index capacity proportional to the result for a prefix, not a scan', async () => {
    const filler = Array.from({ length: 300 }, (_, i) => ({ _id: `/filler/${i}`, pad: 'x'.repeat(200) }));
    await call(t, 'POST', 'create', filler);
    const before = t.tracker.store.consumed.read;
    await search('_id:/^\\/proj\\/shot02\\//');
    const prefix = t.tracker.store.consumed.read - before;
    const scanBefore = t.tracker.store.consumed.read;
    await search('origin:nobody');
    const scan = t.tracker.store.consumed.read - scanBefore;
    expect(prefix).toBeLessThan(scan / 10);
    await call(
      t,
      'DELETE',
      'delete',
      filler.map((f) => f._id),
    );
  });

  it('answers 400 for an empty query or a bad regex', async () => {
    expect((await call(t, 'GET', 'search/')).status).toBe(400);
    const bad = await search('_id:/(/');
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/^Search error: /);
  });
});

describe('search_one', () => {
  it('answers the first matching node, or null', async () => {
    expect((await call(t, 'GET', `search_one/${encodeURIComponent('origin:tokyo')}`)).json).toMatchObject({
      _id: '/proj/shot01/b.exr',
    });
    const none = await call(t, 'GET', `search_one/${encodeURIComponent('origin:nowhere')}`);
    expect(none.status).toBe(200);
    expect(none.json).toBeNull();
  });
});

describe('search_mongo', () => {
  it('filters, sorts, pages and counts', async () => {
    const r = await call(t, 'POST', 'search_mongo', {
      query: { origin: 'paris', size: { $gte: 10 } },
      sort: { size: -1 },
      limit: 2,
      skip: 1,
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ count: 4, ids: ['/proj/shot02/d.mov', '/proj/shot01/sub/c.exr'] });
  });

  it('decodes REGEX_ and RX_…_RX values', async () => {
    const a = await call(t, 'POST', 'search_mongo', {
      query: { _id: 'REGEX_^/proj/shot01/' },
      sort: { _id: 1 },
      limit: 0,
      skip: 0,
    });
    expect((a.json as { count: number }).count).toBe(3);
    const b = await call(t, 'POST', 'search_mongo', {
      query: { _id: 'RX_MOV$_RXi' },
      sort: {},
      limit: 0,
      skip: 0,
    });
    expect((b.json as { ids: string[] }).ids.sort()).toEqual(['/other/e.mov', '/proj/shot02/d.mov']);
  });

  it('answers 400 for a bad query, sort, limit or a code-executing operator', async () => {
    for (const body of [
      { query: 'x' },
      { query: { $where: 'true' } },
      { query: { a: { $nope: 1 } } },
      { query: {}, limit: -1 },
      { query: {}, sort: 'time' },
      [],
    ]) {
      const r = await call(t, 'POST', 'search_mongo', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.text).toMatch(/^Search_mongo error: /);
    }
  });
});

describe('graph', () => {
  it('walks edges backwards: requested nodes, then sources, then edges', async () => {
    const r = await call(t, 'GET', `graph/0/${encodeURIComponent('/proj/shot01/a.exr')}`);
    expect(r.status).toBe(200);
    expect((r.json as { _id: string }[]).map((n) => n._id)).toEqual([
      '/proj/shot01/a.exr',
      '/proj/shot02/d.mov',
      '/other/e.mov',
      'edge1',
      'edge2',
    ]);
  });

  it('stops at the given depth, and accepts POST', async () => {
    const r = await call(t, 'POST', 'graph/1', ['/proj/shot01/a.exr']);
    expect((r.json as { _id: string }[]).map((n) => n._id)).toEqual([
      '/proj/shot01/a.exr',
      '/proj/shot02/d.mov',
      'edge1',
    ]);
  });

  it('answers 404 when no requested node exists, 207 when some do, 400 for a bad depth', async () => {
    expect((await call(t, 'POST', 'graph/0', ['/none'])).status).toBe(404);
    const some = await call(t, 'POST', 'graph/1', ['/none', '/other/e.mov']);
    expect(some.status).toBe(207);
    expect((some.json as unknown[])[0]).toBeNull();
    expect((await call(t, 'POST', 'graph/-1', ['/other/e.mov'])).status).toBe(400);
  });
});
