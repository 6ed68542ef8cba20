/** Volumes through the node routes (jwt mode): validated keys, admin only, nothing written on refusal. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalTracker } from '../../local/runtime.js';
import { call, startTestTracker } from '../support/tracker.js';
import { signedIn, waitForSites } from './helpers.js';

let t: LocalTracker;
let tokens: Record<string, string>;
const volume = { _id: 'vol-a', name: 'A', url: 'ssh://sync@a:22/data/', enableReception: true };
const read = (id: string) =>
  call(t, 'GET', `read/${encodeURIComponent(id)}`, undefined, { token: tokens.ada });

beforeAll(async () => {
  t = await startTestTracker({ auth: 'jwt' });
  tokens = await signedIn(t, [
    ['ada', 'admin'],
    ['ed', 'editor'],
  ]);
  expect((await call(t, 'POST', 'create', volume, { token: tokens.ada })).status).toBe(201);
});
afterAll(() => t?.close());

describe('volume keys', () => {
  it('refuses a bad name or url with 400 and writes nothing', async () => {
    const bad = await call(
      t,
      'POST',
      'create',
      { ...volume, _id: 'vol-x', name: 'a b' },
      { token: tokens.ada },
    );
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/^Create error: volume vol-x: name must be 1-64 letters/);
    const url = await call(
      t,
      'POST',
      'create',
      { ...volume, _id: 'vol-x', url: 'ftp://a/' },
      { token: tokens.ada },
    );
    expect(url.text).toMatch(/url must look like ssh:\/\/user@host\[:port\]\/path\//);
    expect((await read('vol-x')).status).toBe(404);
  });

  it('validates an update of one switch against the stored volume', async () => {
    const r = await call(t, 'PUT', 'update', { _id: 'vol-a', enableReception: 'no' }, { token: tokens.ada });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/^Update error: volume vol-a: enableReception/);
    const removed = await call(t, 'PUT', 'update', { _id: 'vol-a', url: null }, { token: tokens.ada });
    expect(removed.status).toBe(400);
    expect((await read('vol-a')).json).toMatchObject({ enableReception: true, url: volume.url });
    const ok = await call(
      t,
      'PUT',
      'update',
      { _id: 'vol-a', syncAmountReception: 4 },
      { token: tokens.ada },
    );
    expect(ok.status).toBe(200);
  });

  it('validates upserts and the global parameters', async () => {
    const upsert = await call(
      t,
      'POST',
      'upsert',
      { ...volume, _id: 'vol-u', syncAmountEmission: 1.5 },
      {
        token: tokens.ada,
      },
    );
    expect(upsert.status).toBe(400);
    expect((await read('vol-u')).status).toBe(404);
    const globals = { _id: 'rsyncGlobalParameters', syncEverywhere: 'yes' };
    const g = await call(t, 'POST', 'upsert', globals, { token: tokens.ada });
    expect(g.status).toBe(400);
    expect(g.text).toMatch(/rsyncGlobalParameters: syncEverywhere/);
    const good = { ...globals, syncEverywhere: false, sleepBetweenScans: 30 };
    expect((await call(t, 'POST', 'upsert', good, { token: tokens.ada })).status).toBe(200);
  });
});

describe('site names', () => {
  it('refuses a second volume with the name of another (409)', async () => {
    await waitForSites(t, (sites) => sites.some((s) => s.name === 'A'), tokens.ada);
    const twin = await call(t, 'POST', 'create', { ...volume, _id: 'vol-a2' }, { token: tokens.ada });
    expect(twin.status).toBe(409);
    expect(twin.text).toBe('Create error: site name A is already used by volume vol-a');
    const pair = [
      { ...volume, _id: 'vol-p', name: 'P' },
      { ...volume, _id: 'vol-q', name: 'P' },
    ];
    expect((await call(t, 'POST', 'create', pair, { token: tokens.ada })).status).toBe(409);
    await call(t, 'POST', 'create', { ...volume, _id: 'vol-r', name: 'R' }, { token: tokens.ada });
    await waitForSites(t, (sites) => sites.some((s) => s.name === 'R'), tokens.ada);
    const rename = await call(t, 'PUT', 'update', { _id: 'vol-r', name: 'A' }, { token: tokens.ada });
    expect(rename.status).toBe(409);
    expect((await call(t, 'PUT', 'update', { _id: 'vol-r', name: 'R2' }, { token: tokens.ada })).status).toBe(
      200,
    );
  });
});

describe('volumes are admin-only', () => {
  it('refuses an editor creating, changing or deleting a volume (403)', async () => {
    const create = await call(t, 'POST', 'create', { ...volume, _id: 'vol-e' }, { token: tokens.ed });
    expect(create.status).toBe(403);
    expect(create.text).toBe('Create error: only admins may create, change or delete volumes');
    const update = await call(
      t,
      'PUT',
      'update',
      { _id: 'vol-a', enableEmission: false },
      { token: tokens.ed },
    );
    expect(update.status).toBe(403);
    const upsert = await call(
      t,
      'POST',
      'upsert',
      { _id: 'vol-a', enableEmission: false },
      { token: tokens.ed },
    );
    expect(upsert.status).toBe(403);
    expect((await call(t, 'DELETE', 'delete', 'vol-a', { token: tokens.ed })).status).toBe(403);
    expect((await read('vol-a')).json).not.toHaveProperty('enableEmission');
    expect((await read('vol-e')).status).toBe(404);
  });

  it('still lets an editor write other nodes that are not paths', async () => {
    const note = { _id: 'note-1', name: 'not a volume without url' };
    expect((await call(t, 'POST', 'create', note, { token: tokens.ed })).status).toBe(201);
    expect((await call(t, 'PUT', 'update', { _id: 'note-1', x: 1 }, { token: tokens.ed })).status).toBe(200);
  });

  it('lets an admin delete a volume', async () => {
    await call(t, 'POST', 'create', { ...volume, _id: 'vol-d', name: 'D' }, { token: tokens.ada });
    expect((await call(t, 'DELETE', 'delete', 'vol-d', { token: tokens.ada })).json).toBe('vol-d');
  });
});
