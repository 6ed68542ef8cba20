/** Bad input to claims and results: a damas-style 4xx, and nothing written. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalTracker } from '../../local/runtime.js';
import { call } from '../support/tracker.js';
import { claim, publish, read, report, startSyncTracker, untilPending } from './helpers.js';

let t: LocalTracker;
beforeAll(async () => {
  t = await startSyncTracker();
  await publish(t, 'A', [{ _id: '/in/leased' }, { _id: '/in/free' }]);
  await untilPending(t, 'C', ['/in/free', '/in/leased']);
  await untilPending(t, 'B', ['/in/free', '/in/leased']);
  expect((await claim(t, 'B', { limit: 2 })).map((p) => p._id)).toEqual(['/in/free', '/in/leased']);
});
afterAll(() => t?.close());

const claimed = async () => [(await read(t, '/in/leased')).syncing_B, (await read(t, '/in/free')).syncing_C];

describe('bad claims', () => {
  it.each([
    [{ site: 'Z' }, 404, "Claim error: unknown site 'Z' (no volume has that name)"],
    [{}, 400, 'Claim error: claim: site: '],
    [{ site: 'bad site' }, 400, 'Claim error: claim: site: must be a site name'],
    [{ site: 'C', limit: 0 }, 400, 'Claim error: claim: limit: '],
    [{ site: 'C', limit: 101 }, 400, 'Claim error: claim: limit: '],
    [{ site: 'C', limit: '5' }, 400, 'Claim error: claim: limit: '],
    [{ site: 'C', lease: 5 }, 400, 'Claim error: claim: lease: '],
    [{ site: 'C', lease: 86_401 }, 400, 'Claim error: claim: lease: '],
    [{ site: 'C', direction: 'sideways' }, 400, 'Claim error: claim: direction: '],
    [['C'], 400, 'Claim error: claim: '],
  ])('%j → %i, nothing claimed', async (body, status, text) => {
    const reply = await call(t, 'POST', 'claim', body);
    expect(reply.status).toBe(status);
    expect(reply.text.startsWith(text), reply.text).toBe(true);
    expect(reply.contentType).toMatch(/^text\/plain/);
    expect(await claimed()).toEqual([expect.any(Number), undefined]);
  });

  it('refuses GET', async () => {
    expect((await call(t, 'GET', 'claim')).status).toBe(405);
  });
});

describe('bad results', () => {
  const ok = { _id: '/in/leased', ok: true };
  it.each([
    [{ site: 'Z', results: [ok] }, 404, "Results error: unknown site 'Z'"],
    [{ site: 'B' }, 400, 'Results error: results: results: '],
    [{ site: 'B', results: [] }, 400, 'Results error: results: results: '],
    [
      { site: 'B', results: [ok, { _id: '/in/free' }] },
      400,
      'Results error: results: results.1: give either',
    ],
    [
      { site: 'B', results: [ok, { _id: '/in/free', ok: true, error: 23 }] },
      400,
      'Results error: results: results.1',
    ],
    [
      { site: 'B', results: [ok, { _id: '/in/free', ok: false }] },
      400,
      'Results error: results: results.1.ok',
    ],
    [
      { site: 'B', results: [ok, { _id: '/in/free', error: 'x' }] },
      400,
      'Results error: results: results.1.error',
    ],
    [{ site: 'B', results: [ok, { _id: 7, ok: true }] }, 400, 'Results error: results: results.1._id'],
    [
      { site: 'B', results: Array.from({ length: 1001 }, () => ok) },
      400,
      'Results error: results: results: at most 1000 results per request',
    ],
  ])('%j → %i, nothing written', async (body, status, text) => {
    const reply = await call(t, 'POST', 'results', body);
    expect(reply.status).toBe(status);
    expect(reply.text.startsWith(text), reply.text).toBe(true);
    const node = await read(t, '/in/leased');
    expect(node.synced_B).toBeUndefined();
    expect(node.syncing_B).toEqual(expect.any(Number));
  });

  it('refuses a result for a pair the site never claimed (C never claimed /in/leased)', async () => {
    const reply = await report(t, 'C', [{ _id: '/in/leased', ok: true }]);
    expect(reply.status).toBe(409);
    expect((await read(t, '/in/leased')).synced_C).toBeUndefined();
  });
});
