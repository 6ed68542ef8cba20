/**
 * `POST scanned` on the local tracker: modified files become outdated elsewhere and get a history
 * child, missing and present toggle `missing_<site>`, 207/404 for files the tracker lacks, bad input
 * writes nothing, concurrent results keep their keys; then who may report for which site (jwt mode).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrackerClient, type ScannedFile } from '../../client/api-client.js';
import type { Node } from '../../functions/core/nodes.js';
import type { LocalTracker } from '../../local/runtime.js';
import { createVolumes, signedIn } from '../sites/helpers.js';
import { call, startTestTracker } from '../support/tracker.js';
import { publish, read, startSyncTracker, until, volume } from './helpers.js';

let t: LocalTracker;
let client: TrackerClient;
beforeAll(async () => {
  t = await startSyncTracker();
  client = new TrackerClient({ server: t.url });
});
afterAll(() => t?.close());

const scan = (site: string, files: unknown) => call(t, 'POST', 'scanned', { site, files });

/** The ids `GET queue/<site>` lists. */
async function queued(site: string): Promise<string[]> {
  const reply = await call(t, 'GET', `queue/${site}?limit=1000`);
  expect(reply.status, reply.text).toBe(200);
  return (reply.json as { _id: string }[]).map((pair) => pair._id);
}

const untilQueued = (site: string, id: string, listed: boolean) =>
  until(
    async () => (await queued(site)).includes(id) === listed,
    `${id} ${listed ? 'in' : 'out of'} ${site}'s queue`,
  );

/** The history children of a file, oldest first. */
async function history(id: string): Promise<Node[]> {
  const found = await client.searchMongo({ query: { '#parent': id } });
  const nodes = (await client.read(found.body.ids)).body;
  return (nodes as Node[]).sort((a, b) => (a.time as number) - (b.time as number));
}

/** Publishes at A, lets B claim and copy it, and waits until B's queue no longer lists it. */
async function syncedToB(id: string): Promise<Node> {
  await publish(t, 'A', [{ _id: id, file_size: 1 }]);
  await until(async () => (await queuedIds('B')).includes(id), `${id} pending at B`);
  const pairs = (await client.claim({ site: 'B', limit: 100 })).body;
  expect(pairs.map((p) => p._id)).toContain(id);
  expect((await client.results({ site: 'B', results: [{ _id: id, ok: true }] })).body).toEqual([id]);
  await untilQueued('B', id, false);
  return read(t, id) as Promise<Node>;
}
const queuedIds = async (site: string) => (await t.tracker.sync.pending(site, 1000)).map((i) => i.fileId);

describe('modified', () => {
  it('sets time, modified_<site>, size, mtime and comment, clears missing_<site>, and outdates the other copies', async () => {
    const id = '/scan/mod.exr';
    const synced = await syncedToB(id);
    expect(synced.synced_B).toBeGreaterThanOrEqual(synced.time as number);
    expect((await client.scanned('A', [{ _id: id, change: 'missing' }])).status).toBe(200);

    const before = Date.now();
    const files: ScannedFile[] = [
      { _id: id, change: 'modified', file_size: 42, file_mtime: 1_700_000_000_123 },
    ];
    const reply = await client.scanned('A', files);
    expect(reply.status).toBe(200);
    const [node] = reply.body as Node[];
    expect(node).toMatchObject({
      _id: id,
      origin: 'A',
      file_size: 42,
      file_mtime: 1_700_000_000_123,
      comment: 'modified at A',
      synced_B: synced.synced_B,
    });
    expect(node!.time).toBeGreaterThanOrEqual(before);
    expect(node!.modified_A).toBe(node!.time);
    expect(node).not.toHaveProperty('missing_A');
    expect(await read(t, id)).toEqual(node);

    // B's copy is outdated: the queue lists the file again, with the new time and size.
    await untilQueued('B', id, true);
    const pair = ((await call(t, 'GET', 'queue/B?limit=1000')).json as Record<string, unknown>[]).find(
      (p) => p._id === id,
    );
    expect(pair).toMatchObject({ time: node!.time, file_size: 42, state: 'pending' });
    expect(await queued('A')).not.toContain(id);

    // The publish entry, then the modification's, each with the file's keys of the time.
    const [published, modified] = await history(id);
    expect(published).toMatchObject({ '#parent': id, comment: 'test', file_size: 1, time: synced.time });
    expect(modified).toMatchObject({ ...node, _id: modified!._id, '#parent': id });
    expect(modified!._id).toMatch(/^[0-9a-f]{24}$/);
  });

  it('at a site other than the origin outdates the origin’s copy', async () => {
    const id = '/scan/mod-at-b.exr';
    await syncedToB(id);
    const reply = await client.scanned('B', [{ _id: id, change: 'modified', file_size: 7, file_mtime: 5 }]);
    expect(reply.body).toEqual([expect.objectContaining({ comment: 'modified at B', file_size: 7 })]);
    await untilQueued('A', id, true);
    expect(await queued('B')).not.toContain(id);
  });
});

describe('missing and present', () => {
  it('set missing_<site> to now, then remove it; other keys stay', async () => {
    const id = '/scan/gone.exr';
    await publish(t, 'A', [{ _id: id, note: 'keep' }]);
    const stored = await read(t, id);
    const before = Date.now();
    const missing = await client.scanned('C', [{ _id: id, change: 'missing' }]);
    expect(missing.status).toBe(200);
    const [marked] = missing.body as Node[];
    expect(marked!.missing_C).toBeGreaterThanOrEqual(before);
    expect(marked).toMatchObject({ ...stored, missing_C: marked!.missing_C });
    expect(marked!.time).toBe(stored.time);

    const present = await client.scanned('C', [{ _id: id, change: 'present' }]);
    expect(present.body).toEqual([stored]);
    // Present again without having been missing changes nothing.
    expect((await client.scanned('C', [{ _id: id, change: 'present' }])).body).toEqual([stored]);
    expect(await history(id)).toHaveLength(1);
  });
});

describe('files the tracker does not have', () => {
  it('answers 207 with null in place, 404 when none exist', async () => {
    await publish(t, 'A', [{ _id: '/scan/here' }]);
    const mixed = await scan('A', [
      { _id: '/scan/nowhere', change: 'present' },
      { _id: '/scan/here', change: 'missing' },
      { _id: '/scan/nowhere/either', change: 'modified', file_size: 1, file_mtime: 1 },
    ]);
    expect(mixed.status, mixed.text).toBe(207);
    expect(mixed.json).toEqual([null, expect.objectContaining({ _id: '/scan/here' }), null]);
    expect((await call(t, 'GET', `read/${encodeURIComponent('/scan/nowhere')}`)).status).toBe(404);
    expect((await call(t, 'GET', `read/${encodeURIComponent('/scan/nowhere/either')}`)).status).toBe(404);

    const one = await scan('A', [{ _id: '/scan/nowhere', change: 'missing' }]);
    expect([one.status, one.text]).toEqual([404, 'Scanned error: /scan/nowhere does not exist']);
    const none = await scan('A', [
      { _id: '/scan/no1', change: 'missing' },
      { _id: '/scan/no2', change: 'present' },
    ]);
    expect([none.status, none.text]).toEqual([404, 'Scanned error: none of the files exist']);
  });

  it('answers 404 for an unknown site, writing nothing', async () => {
    await publish(t, 'A', [{ _id: '/scan/unknown-site' }]);
    const stored = await read(t, '/scan/unknown-site');
    const r = await scan('Z', [{ _id: '/scan/unknown-site', change: 'missing' }]);
    expect([r.status, r.text]).toEqual([404, 'Scanned error: unknown site Z']);
    expect(await read(t, '/scan/unknown-site')).toEqual(stored);
  });
});

describe('bad input', () => {
  const id = '/scan/bad';
  const ok = { _id: id, change: 'missing' };
  const cases: [string, unknown, RegExp][] = [
    ['no files', { site: 'A' }, /^Scanned error: scanned: files: /],
    ['an empty list', { site: 'A', files: [] }, /files: give at least one file$/],
    [
      'too many files',
      { site: 'A', files: Array.from({ length: 1001 }, (_, i) => ({ _id: `/x/${i}`, change: 'missing' })) },
      /files: at most 1000 files per request; split it$/,
    ],
    ['a bad site', { site: 'a/b', files: [ok] }, /^Scanned error: scanned: site: must be a site name/],
    [
      'a volume id',
      { site: 'A', files: [ok, { _id: 'vol-a', change: 'missing' }] },
      /^Scanned error: scanned: files\[1\] \(vol-a\)\._id: must be a file path starting with \//,
    ],
    [
      'a user id',
      { site: 'A', files: [{ _id: '@ada', change: 'present' }] },
      /files\[0\] \(@ada\)\._id: must be a file path/,
    ],
    [
      'an unknown change',
      { site: 'A', files: [{ _id: id, change: 'deleted' }] },
      /files\[0\] \(\/scan\/bad\)\.change: must be "modified", "missing" or "present"$/,
    ],
    [
      'a modification without its size',
      { site: 'A', files: [{ _id: id, change: 'modified', file_mtime: 1 }] },
      /files\[0\] \(\/scan\/bad\)\.file_size: /,
    ],
    [
      'a negative size',
      { site: 'A', files: [{ _id: id, change: 'modified', file_size: -1, file_mtime: 1 }] },
      /files\[0\] \(\/scan\/bad\)\.file_size: /,
    ],
    [
      'a fractional mtime',
      { site: 'A', files: [{ _id: id, change: 'modified', file_size: 1, file_mtime: 1.5 }] },
      /file_mtime: /,
    ],
    [
      'a key the server sets',
      { site: 'A', files: [{ _id: id, change: 'modified', file_size: 1, file_mtime: 1, time: 9 }] },
      /files\[0\] \(\/scan\/bad\): Unrecognized key: "time"/,
    ],
    ['an entry that is not an object', { site: 'A', files: [ok, 5] }, /files\[1\]: .*expected object/],
    [
      'the same file twice',
      { site: 'A', files: [ok, { _id: '/scan/other', change: 'present' }, { ...ok, change: 'present' }] },
      /^Scanned error: scanned: files\[2\] \(\/scan\/bad\) repeats files\[0\]; give each file once$/,
    ],
  ];

  beforeAll(() => publish(t, 'A', [{ _id: id }]));

  it.each(cases)('refuses %s with 400, writing nothing', async (_, body, message) => {
    const stored = await read(t, id);
    const r = await call(t, 'POST', 'scanned', body);
    expect(r.status, r.text).toBe(400);
    expect(r.text).toMatch(message);
    expect(await read(t, id)).toEqual(stored);
  });

  it('is refused on GET (405)', async () => {
    expect((await call(t, 'GET', 'scanned')).status).toBe(405);
  });
});

describe('concurrent writers', () => {
  it('a scan and a transfer result on the same files keep both sets of keys', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `/scan/race/${i}`);
    await publish(
      t,
      'A',
      ids.map((_id) => ({ _id })),
    );
    await until(async () => {
      const pending = new Set(await queuedIds('B'));
      return ids.every((id) => pending.has(id));
    }, 'B to queue the race files');
    const claimed = (await client.claim({ site: 'B', limit: 100 })).body.filter((p) => ids.includes(p._id));
    expect(claimed).toHaveLength(ids.length);
    const leases = Object.fromEntries(
      await Promise.all(ids.map(async (id) => [id, (await read(t, id)).syncing_B] as const)),
    );

    const [scans, results] = await Promise.all([
      Promise.all(
        ids.map((_id, i) =>
          client.scanned('A', [{ _id, change: 'modified', file_size: 100 + i, file_mtime: i }]),
        ),
      ),
      Promise.all(ids.map((_id) => client.results({ site: 'B', results: [{ _id, ok: true }] }))),
    ]);
    expect(scans.map((r) => r.status)).toEqual(ids.map(() => 200));
    expect(results.map((r) => r.body)).toEqual(ids.map((id) => [id]));

    for (const [i, id] of ids.entries()) {
      const node = await read(t, id);
      expect(node).toMatchObject({ file_size: 100 + i, comment: 'modified at A', synced_B: leases[id] });
      expect(node.modified_A).toBe(node.time);
      expect(node).not.toHaveProperty('syncing_B');
      expect(node).not.toHaveProperty('syncLease_B');
      // B copied the version it claimed, older than the modification: it needs the new one.
      expect(node.synced_B).toBeLessThan(node.time as number);
    }
    await until(async () => {
      const pending = new Set(await queued('B'));
      return ids.every((id) => pending.has(id));
    }, 'B to queue the modified files again');
  });
});

describe('who may report scans (jwt mode)', () => {
  let j: LocalTracker;
  let tokens: Record<string, string>;
  beforeAll(async () => {
    j = await startTestTracker({ auth: 'jwt' });
    tokens = await signedIn(j, [
      ['ada', 'admin'],
      ['uma', 'user'],
      ['gus', 'guest'],
    ]);
    tokens.agentB = (await j.tracker.auth.createApiToken('uma', 'agent B', 'B')).token;
    await createVolumes(j, [volume('A'), volume('B')], tokens.ada);
    const file = await call(j, 'POST', 'publish', { _id: '/j/f', origin: 'A' }, { token: tokens.ada });
    expect(file.status, file.text).toBe(201);
  });
  afterAll(() => j?.close());

  const as = (who: string | undefined, site: string, change = 'missing') =>
    call(
      j,
      'POST',
      'scanned',
      { site, files: [{ _id: '/j/f', change }] },
      who ? { token: tokens[who]! } : {},
    );

  it('a token scoped to B reports for B only', async () => {
    const other = await as('agentB', 'A');
    expect([other.status, other.text]).toEqual([
      403,
      'Scanned error: this token may act only for site B, not A',
    ]);
    expect((await as('agentB', 'B')).status).toBe(200);
    const scoped = new TrackerClient({ server: j.url, token: tokens.agentB });
    expect(
      (await scoped.scanned('B', [{ _id: '/j/f', change: 'modified', file_size: 3, file_mtime: 4 }])).body,
    ).toEqual([expect.objectContaining({ modified_B: expect.any(Number), comment: 'modified at B' })]);
  });

  it('a plain user may report for any site; guests and anonymous callers may not', async () => {
    expect((await as('uma', 'A')).status).toBe(200);
    expect((await as('uma', 'A', 'present')).status).toBe(200);
    const guest = await as('gus', 'A');
    expect([guest.status, guest.text]).toEqual([403, "Scanned error: scanned requires class 'user'"]);
    expect((await as(undefined, 'A')).status).toBe(401);
    const node = (await call(j, 'GET', 'read/%2Fj%2Ff', undefined, { token: tokens.gus })).json;
    expect(node).not.toHaveProperty('missing_A');
  });

  it('a scoped token is checked before the site exists', async () => {
    expect((await as('agentB', 'Z')).status).toBe(403);
    expect((await as('uma', 'Z')).status).toBe(404);
  });
});
