/**
 * Change events end to end on the local tracker: REST writes → DynamoDB Local's real stream → the
 * stream poller → the fan-out handler → the management API → WebSocket subscribers; replay with
 * `since` from the event log; the protocol's answers to bad frames.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstIdAt } from '../../functions/core/events.js';
import { addUser } from '../../functions/core/ops/accounts.js';
import type { LocalTracker } from '../../local/runtime.js';
import { call, startTestTracker } from '../support/tracker.js';
import { openSocket, type Frame, type TestSocket } from '../support/ws-client.js';

let t: LocalTracker;
const sockets: TestSocket[] = [];

async function subscriber(
  filter: Record<string, unknown>,
  base = t.url,
  token?: string,
): Promise<TestSocket> {
  const socket = await openSocket(base, token);
  sockets.push(socket);
  socket.send({ action: 'subscribe', ...filter });
  await socket.until((f) => f.some((x) => x.type === 'subscribed'), 'subscribed');
  return socket;
}

const ids = (frames: Frame[]) => frames.map((f) => `${f.op} ${f._id}`);

beforeAll(async () => {
  t = await startTestTracker();
});
afterAll(async () => {
  await Promise.all(sockets.map((s) => s.close()));
  await t?.close();
});

describe('subscriptions', () => {
  it('gets create, update and delete events for its prefix, and none outside it', async () => {
    const socket = await subscriber({ prefix: '/ev/a/' });
    await call(t, 'POST', 'create', { _id: '/ev/b/outside' });
    await call(t, 'POST', 'create', { _id: '/ev/a/one', v: 1 });
    await call(t, 'PUT', 'update', { _id: '/ev/a/one', v: 2 });
    await call(t, 'DELETE', 'delete', '/ev/a/one');
    await socket.until((f) => f.filter((x) => x.type === 'event').length >= 3, 'three events');
    await call(t, 'POST', 'create', { _id: '/ev/a/marker' });
    await socket.until((f) => f.some((x) => x._id === '/ev/a/marker'), 'the marker');
    const events = socket.events();
    expect(ids(events)).toEqual([
      'create /ev/a/one',
      'update /ev/a/one',
      'delete /ev/a/one',
      'create /ev/a/marker',
    ]);
    expect(events[1]!.node).toMatchObject({ _id: '/ev/a/one', v: 2 });
    expect(events[2]!.node).toBeNull();
    const eventIds = events.map((e) => e.id!);
    expect([...eventIds].sort()).toEqual(eventIds);
  });

  it('filters by damas query and by ops', async () => {
    const byQuery = await subscriber({ prefix: '/ev/q/', query: 'kind:plate' });
    const deletes = await subscriber({ prefix: '/ev/q/', ops: ['delete'] });
    await call(t, 'POST', 'create', [
      { _id: '/ev/q/1', kind: 'plate' },
      { _id: '/ev/q/2', kind: 'comp' },
    ]);
    await call(t, 'DELETE', 'delete', ['/ev/q/1', '/ev/q/2']);
    await deletes.until((f) => f.filter((x) => x.type === 'event').length >= 2, 'two deletes');
    // A delete matches the query on the node as it was.
    await byQuery.until((f) => f.filter((x) => x.type === 'event').length >= 2, 'plate events');
    expect(ids(byQuery.events())).toEqual(['create /ev/q/1', 'delete /ev/q/1']);
    expect(ids(deletes.events()).sort()).toEqual(['delete /ev/q/1', 'delete /ev/q/2']);
  });
});

describe('replay', () => {
  it('gives a client that reconnects with since exactly the events it missed, in order', async () => {
    const first = await subscriber({ prefix: '/ev/r/' });
    const witness = await subscriber({ prefix: '/ev/r/' });
    await call(t, 'POST', 'create', { _id: '/ev/r/seen' });
    await first.until((f) => f.some((x) => x._id === '/ev/r/seen'), 'the first event');
    const since = first.events().at(-1)!.id!;
    await first.close();

    for (const n of [1, 2, 3]) await call(t, 'POST', 'create', { _id: `/ev/r/missed${n}` });
    await call(t, 'PUT', 'update', { _id: '/ev/r/missed1', again: true });
    // Reconnect once everything is logged (the witness saw it all), so it all comes from the log.
    await witness.until((f) => f.filter((x) => x.type === 'event').length >= 5, 'the witness events');

    const back = await subscriber({ prefix: '/ev/r/', since });
    await back.until(
      (f) => f.filter((x) => x.type === 'event' && x.id! > since).length >= 4,
      'the missed events',
    );
    await call(t, 'POST', 'create', { _id: '/ev/r/live' });
    await back.until((f) => f.some((x) => x._id === '/ev/r/live'), 'a live event after the replay');
    const after = back.events().filter((e) => e.id! > since && e._id !== '/ev/r/live');
    expect(ids(after)).toEqual([
      'create /ev/r/missed1',
      'create /ev/r/missed2',
      'create /ev/r/missed3',
      'update /ev/r/missed1',
    ]);
    // The grace window may repeat what came just before `since`, never `since` itself; nothing twice.
    const all = back.events().map((e) => e.id);
    expect(new Set(all).size).toBe(all.length);
    expect(all).not.toContain(since);
  });

  it('answers gone for a since older than the log keeps', async () => {
    const socket = await openSocket(t.url);
    sockets.push(socket);
    socket.send({ action: 'subscribe', since: firstIdAt(Date.now() - 8 * 86_400_000) });
    await socket.until((f) => f.some((x) => x.type === 'error'), 'an error frame');
    expect(socket.frames.find((x) => x.type === 'error')).toMatchObject({ code: 'gone' });
  });
});

describe('bad frames', () => {
  it('answers each with an error frame and keeps the connection and the others going', async () => {
    const other = await subscriber({ prefix: '/ev/x/' });
    const socket = await openSocket(t.url);
    sockets.push(socket);
    const bad: [string | Buffer, string][] = [
      ['not json', 'bad_request'],
      ['[1,2]', 'bad_request'],
      [JSON.stringify({ action: 'dance' }), 'bad_request'],
      [JSON.stringify({ action: 'subscribe', query: 'name:/(a+)+$/' }), 'bad_request'],
      [JSON.stringify({ action: 'subscribe', ops: ['explode'] }), 'bad_request'],
      [JSON.stringify({ action: 'subscribe', since: 'yesterday' }), 'bad_request'],
      [JSON.stringify({ action: 'subscribe', prefix: 'x'.repeat(9000) }), 'bad_request'],
      [Buffer.from([0, 1, 2]), 'bad_request'],
    ];
    for (const [frame, code] of bad) {
      const before = socket.frames.length;
      socket.sendRaw(frame);
      await socket.until((f) => f.length > before, `an answer to ${String(frame).slice(0, 40)}`);
      expect(socket.frames.at(-1), String(frame).slice(0, 60)).toMatchObject({ type: 'error', code });
    }
    socket.send({ action: 'ping' });
    await socket.until((f) => f.at(-1)?.type === 'pong', 'pong');
    expect(socket.closed).toBe(false);
    await call(t, 'POST', 'create', { _id: '/ev/x/still-served' });
    await other.until((f) => f.some((x) => x._id === '/ev/x/still-served'), 'the other subscriber’s event');
  });
});

describe('jwt mode', () => {
  let jwt: LocalTracker;
  beforeAll(async () => {
    jwt = await startTestTracker({ auth: 'jwt' });
    await addUser(jwt.tracker.store, jwt.tracker.auth, {
      username: 'gus',
      userClass: 'guest',
      password: 'pw-gus',
    });
  });
  afterAll(() => jwt?.close());

  it('refuses a missing or bad token at connect and lets a guest subscribe', async () => {
    await expect(openSocket(jwt.url)).rejects.toThrow(/refused: 401/);
    await expect(openSocket(jwt.url, 'garbage')).rejects.toThrow(/refused: 401/);
    const { token } = await jwt.tracker.auth.createApiToken('gus', 'watch');
    const guest = await subscriber({ prefix: '/jwt/' }, jwt.url, token);
    const session = (await call(jwt, 'POST', 'signIn', { username: 'gus', password: 'pw-gus' })).json as {
      token: string;
    };
    const viaSession = await subscriber({ prefix: '/jwt/' }, jwt.url, session.token);
    await jwt.tracker.adminContext().store.create([[{ _id: '/jwt/file', author: 'admin', time: 1 }]]);
    await guest.until((f) => f.some((x) => x._id === '/jwt/file'), 'the event (API token)');
    await viaSession.until((f) => f.some((x) => x._id === '/jwt/file'), 'the event (session)');
  });
});
