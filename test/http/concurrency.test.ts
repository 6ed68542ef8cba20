/** Concurrent writers against real DynamoDB Local: one lock winner, no lost keys, one creator. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalTracker } from '../../local/runtime.js';
import { call, startTestTracker } from '../support/tracker.js';

let t: LocalTracker;
const LOCKERS = 24;
const WRITERS = 40;
const tokens: string[] = [];

beforeAll(async () => {
  t = await startTestTracker({ auth: 'jwt' });
  const { store, auth } = t.tracker;
  // Users with API tokens (no password hashing needed for this test).
  await store.create(
    Array.from({ length: LOCKERS }, (_, i) => [
      { _id: `@locker${i}`, username: `locker${i}`, class: 'editor' },
    ]),
  );
  for (let i = 0; i < LOCKERS; i++) tokens.push((await auth.createApiToken(`locker${i}`, 'race')).token);
});
afterAll(() => t?.close());

describe('concurrent writers', () => {
  it('lets exactly one of many concurrent lockers win', async () => {
    await call(t, 'POST', 'create', { _id: '/race/file' }, { token: tokens[0] });
    const replies = await Promise.all(tokens.map((token) => call(t, 'PUT', 'lock', '/race/file', { token })));
    const winners = replies.map((r, i) => (r.status === 200 ? i : -1)).filter((i) => i >= 0);
    expect(winners).toHaveLength(1);
    expect(replies.filter((r) => r.status === 409)).toHaveLength(LOCKERS - 1);
    const node = await call(t, 'POST', 'read', '/race/file', { token: tokens[0] });
    expect((node.json as { lock: string }).lock).toBe(`locker${winners[0]}`);
  });

  it('keeps every key when many writers update different keys of one node at once', async () => {
    await call(t, 'POST', 'create', { _id: '/race/keys', base: true }, { token: tokens[0] });
    const replies = await Promise.all(
      Array.from({ length: WRITERS }, (_, i) =>
        call(t, 'PUT', 'update', { _id: '/race/keys', [`key${i}`]: i }, { token: tokens[i % LOCKERS] }),
      ),
    );
    expect(replies.every((r) => r.status === 200)).toBe(true);
    const node = (await call(t, 'POST', 'read', '/race/keys', { token: tokens[0] })).json as Record<
      string,
      unknown
    >;
    for (let i = 0; i < WRITERS; i++) expect(node[`key${i}`]).toBe(i);
    expect(node.base).toBe(true);
  });

  it('lets exactly one of many concurrent creators of one id succeed', async () => {
    const replies = await Promise.all(
      tokens.map((token, i) => call(t, 'POST', 'create', { _id: '/race/created', by: i }, { token })),
    );
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    expect(replies.filter((r) => r.status === 409)).toHaveLength(LOCKERS - 1);
  });

  it('lets exactly one of many concurrent publishers of one path succeed, with one history child', async () => {
    const replies = await Promise.all(
      tokens.map((token) =>
        call(t, 'POST', 'publish', { _id: '/race/pub', origin: 'a', comment: 'c' }, { token }),
      ),
    );
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    const children = await call(t, 'GET', `search/${encodeURIComponent('#parent:/race/pub')}`, undefined, {
      token: tokens[0],
    });
    expect(children.json).toHaveLength(1);
  });
});
