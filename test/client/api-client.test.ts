/** The typed client against the real local tracker: every route, typed errors, jwt sign-in and API tokens. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrackerClient } from '../../client/api-client.js';
import { ApiError, UnreachableError } from '../../client/errors.js';
import { publishFiles } from '../../client/publish.js';
import { addUser } from '../../functions/core/ops/accounts.js';
import type { LocalTracker } from '../../local/runtime.js';
import { startTestTracker } from '../support/tracker.js';

let open: LocalTracker;
let jwt: LocalTracker;

beforeAll(async () => {
  [open, jwt] = await Promise.all([startTestTracker(), startTestTracker({ auth: 'jwt' })]);
  await addUser(jwt.tracker.store, jwt.tracker.auth, {
    username: 'ada',
    userClass: 'admin',
    password: 'ada-pw',
  });
  await addUser(jwt.tracker.store, jwt.tracker.auth, {
    username: 'uma',
    userClass: 'user',
    password: 'uma-pw',
  });
});
afterAll(async () => {
  await Promise.all([open?.close(), jwt?.close()]);
});

describe('damas routes (open mode)', () => {
  const client = () => new TrackerClient({ server: open.url });

  it('create, read, update, upsert, delete', async () => {
    const c = client();
    expect(await c.create({ _id: '/c/a', n: 1 })).toMatchObject({ status: 201, body: { _id: '/c/a', n: 1 } });
    expect((await c.create([{ _id: '/c/b' }, { _id: '/c/a' }])).status).toBe(207);
    expect((await c.read('/c/a')).body).toMatchObject({ _id: '/c/a' });
    expect(await c.read(['/c/a', '/c/none'])).toMatchObject({ status: 207, body: [{ _id: '/c/a' }, null] });
    expect((await c.update({ _id: '/c/a', n: 2 })).body).toMatchObject({ n: 2 });
    expect((await c.upsert({ _id: '/c/u', k: 1 })).body).toMatchObject({ _id: '/c/u', k: 1 });
    expect(await c.delete('/c/u')).toEqual({ status: 200, body: '/c/u' });
    expect(await c.delete(['/c/b', '/c/u'])).toEqual({ status: 207, body: ['/c/b', null] });
  });

  it('search, search_one, search_mongo and graph', async () => {
    const c = client();
    await c.create([
      { _id: '/q/1?#%', kind: 'x' },
      { _id: '/q/2', kind: 'x' },
      { _id: 'e', src_id: '/q/2', tgt_id: '/q/1?#%' },
    ]);
    expect((await c.search('kind:x')).body).toEqual(['/q/1?#%', '/q/2']);
    expect((await c.search('_id:/1\\?#%$/')).body).toEqual(['/q/1?#%']); // ? # % survive the URL
    expect((await c.searchOne('kind:none')).body).toBeNull();
    expect((await c.searchMongo({ query: { kind: 'x' }, sort: { _id: -1 }, limit: 1 })).body).toEqual({
      count: 2,
      ids: ['/q/2'],
    });
    const graph = await c.graph('/q/1?#%');
    expect(graph.body.map((n) => n?._id)).toEqual(['/q/1?#%', '/q/2', 'e']);
  });

  it('publish, lock, unlock, comment, verify, health', async () => {
    const c = client();
    const published = await c.publish({ _id: '/f/a.exr', origin: 'paris', comment: 'v1' });
    expect(published.status).toBe(201);
    expect(published.body.map((n) => n['#parent'] ?? n._id)).toEqual(['/f/a.exr', '/f/a.exr']);
    expect(await c.lock('/f/a.exr')).toEqual({ status: 200, body: true });
    expect(await c.unlock(['/f/a.exr', '/f/none'])).toEqual({ status: 207, body: [true, null] });
    expect((await c.comment({ '#parent': '/f/a.exr', comment: 'ok' })).body).toEqual([
      expect.objectContaining({ '#parent': '/f/a.exr', comment: 'ok' }),
    ]);
    expect((await c.verify()).body).toEqual({});
    expect((await c.health()).body).toEqual({ status: 'ok' });
  });

  it('errors carry the status and the server message', async () => {
    const error = await client()
      .read('/none')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 404,
      operation: 'Read',
      reason: '/none does not exist',
      exitCode: 44,
    });
    await expect(client().create({ _id: '/c/a' })).rejects.toMatchObject({
      status: 409,
      operation: 'Create',
    });
  });

  it('an unreachable server is an UnreachableError after the retries', async () => {
    const delays: number[] = [];
    const c = new TrackerClient({
      server: 'http://127.0.0.1:9',
      retries: 2,
      sleep: async (ms) => void delays.push(ms),
    });
    await expect(c.read('/a')).rejects.toBeInstanceOf(UnreachableError);
    expect(delays).toHaveLength(2);
  });

  it('publishFiles creates only new files, reports the tracked and the changed ones', async () => {
    const c = client();
    const files = Array.from({ length: 7 }, (_, i) => ({ id: `/pf/${i}`, size: i, mtime: 1000 + i }));
    const first = await publishFiles(c, files.slice(0, 4), { origin: 'paris', comment: 'scan', maxItems: 3 });
    expect(first.created.map((n) => n._id)).toEqual(['/pf/0', '/pf/1', '/pf/2', '/pf/3']);
    const moved = files.map((f) => (f.id === '/pf/1' ? { ...f, size: 99 } : f));
    const second = await publishFiles(c, moved, { origin: 'paris', comment: 'scan', maxItems: 3 });
    expect(second.created.map((n) => n._id)).toEqual(['/pf/4', '/pf/5', '/pf/6']);
    expect(second.tracked.map((f) => f.id)).toEqual(['/pf/0', '/pf/1', '/pf/2', '/pf/3']);
    expect(second.changed.map((f) => f.id)).toEqual(['/pf/1']);
  });
});

describe('sign-in and API tokens (jwt mode)', () => {
  it('signIn answers a token the client then sends; anonymous calls are 401', async () => {
    const c = new TrackerClient({ server: jwt.url });
    await expect(c.verify()).rejects.toMatchObject({ status: 401 });
    await expect(c.signIn('uma', 'wrong')).rejects.toMatchObject({ status: 401, exitCode: 41 });
    const signed = await c.signIn('uma', 'uma-pw', '1h');
    expect(signed.body).toMatchObject({ _id: '@uma', user: { username: 'uma' } });
    c.token = signed.body.token;
    expect((await c.verify()).body).toMatchObject({ _id: '@uma', class: 'user' });
    await expect(c.update({ _id: '@uma', x: 1 })).rejects.toMatchObject({ status: 403 });
  });

  it('createToken, listTokens, revokeToken', async () => {
    const admin = new TrackerClient({ server: jwt.url });
    admin.token = (await admin.signIn('ada', 'ada-pw')).body.token;
    const created = await admin.createToken('agent', 'uma');
    expect(created).toMatchObject({ status: 201, body: { username: 'uma', name: 'agent' } });
    const agent = new TrackerClient({ server: jwt.url, token: created.body.token });
    expect((await agent.verify()).body).toMatchObject({ _id: '@uma' });
    expect((await agent.listTokens()).body).toEqual([expect.objectContaining({ id: created.body.id })]);
    expect((await admin.revokeToken(created.body.id)).body).toBe(created.body.id);
    await expect(agent.verify()).rejects.toMatchObject({ status: 401 });
  });
});
