/**
 * Results through the HTTP API: success and failure set the node's keys, a failed pair waits for its
 * retry, a file modified after its claim stays pending, results for unclaimed pairs are refused.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalTracker } from '../../local/runtime.js';
import { call } from '../support/tracker.js';
import { claim, publish, read, report, startSyncTracker, until, untilPending } from './helpers.js';

let t: LocalTracker;
beforeEach(async () => {
  t = await startSyncTracker();
});
afterEach(() => t?.close());

const SYNC_KEYS = /^(synced|syncing|syncLease|syncError|syncLastAttempt|syncAttempts|syncErrorMessage)_/;
const syncKeys = (node: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(node).filter(([key]) => SYNC_KEYS.test(key)));

describe('results', () => {
  it('record a success and a failure; the failed pair is not claimable before its retry is due', async () => {
    await publish(t, 'A', [{ _id: '/r/ok' }, { _id: '/r/bad' }]);
    await untilPending(t, 'B', ['/r/bad', '/r/ok']);
    const pairs = await claim(t, 'B');
    expect(pairs).toHaveLength(2);
    const claimedAt = (await read(t, '/r/ok')).syncing_B as number;
    expect(typeof claimedAt).toBe('number');

    const before = Date.now();
    const reply = await report(t, 'B', [
      { _id: '/r/ok', ok: true },
      { _id: '/r/bad', error: 23, message: 'rsync: link_stat failed: No such file' },
    ]);
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json).toEqual(['/r/ok', '/r/bad']);
    expect(syncKeys(await read(t, '/r/ok'))).toEqual({ synced_B: claimedAt });
    const bad = syncKeys(await read(t, '/r/bad'));
    expect(bad).toMatchObject({
      syncError_B: 23,
      syncAttempts_B: 1,
      syncErrorMessage_B: 'rsync: link_stat failed: No such file',
    });
    expect(bad.syncLastAttempt_B).toBeGreaterThanOrEqual(before);
    expect(bad.syncing_B).toBeUndefined();
    expect(bad.syncLease_B).toBeUndefined();

    expect(await claim(t, 'B')).toEqual([]);
    await until(async () => (await t.tracker.sync.pending('B', 10)).length === 0, 'B to have no ready pair');
    expect(await claim(t, 'B')).toEqual([]);
    // Retried once due (a minute after the first failure): the store claims with a later clock.
    const later = await until(async () => {
      const got = await t.tracker.sync.claim('B', 10, 60_000, Date.now() + 61_000, 'reception');
      return got.length > 0 && got;
    }, 'the retry to be due');
    expect(later.map((p) => p._id)).toEqual(['/r/bad']);
  });

  it('count failures in a row and clear them on success', async () => {
    await publish(t, 'A', [{ _id: '/r/flaky' }]);
    await untilPending(t, 'B', ['/r/flaky']);
    await claim(t, 'B');
    expect((await report(t, 'B', [{ _id: '/r/flaky', error: 12 }])).status).toBe(200);
    const due = Date.now() + 61_000;
    await until(
      async () => (await t.tracker.sync.claim('B', 1, 60_000, due, 'reception')).length === 1,
      'a retry',
    );
    expect((await report(t, 'B', [{ _id: '/r/flaky', error: 12 }])).status).toBe(200);
    expect(syncKeys(await read(t, '/r/flaky'))).toMatchObject({ syncError_B: 12, syncAttempts_B: 2 });
    await until(
      async () => (await t.tracker.sync.claim('B', 1, 60_000, due + 121_000, 'reception')).length === 1,
      'a second retry two minutes later',
    );
    expect((await report(t, 'B', [{ _id: '/r/flaky', ok: true }])).status).toBe(200);
    expect(Object.keys(syncKeys(await read(t, '/r/flaky')))).toEqual(['synced_B']);
  });

  it('leave a file modified after its claim pending after a success', async () => {
    await publish(t, 'A', [{ _id: '/r/changed' }]);
    await untilPending(t, 'B', ['/r/changed']);
    await claim(t, 'B');
    const modified = await call(t, 'PUT', 'update', {
      _id: '/r/changed',
      time: Date.now() + 5,
      file_size: 2,
    });
    expect(modified.status, modified.text).toBe(200);
    expect((await report(t, 'B', [{ _id: '/r/changed', ok: true }])).status).toBe(200);
    const node = await read(t, '/r/changed');
    expect(node.synced_B).toBeLessThan(node.time as number);
    const again = await until(async () => {
      const pairs = await claim(t, 'B');
      return pairs.length > 0 && pairs;
    }, 'the modified file to be pending again');
    expect(again.map((p) => [p._id, p.time, p.file_size])).toEqual([['/r/changed', node.time, 2]]);
  });

  it('refuse results for pairs the site never claimed, writing nothing', async () => {
    await publish(t, 'A', [{ _id: '/r/unclaimed' }, { _id: '/r/claimed' }]);
    await untilPending(t, 'C', ['/r/claimed', '/r/unclaimed']);
    await until(async () => (await t.tracker.sync.pending('B', 10)).length === 2, 'B’s pairs');
    const [pair] = await claim(t, 'C', { limit: 1 });
    expect(pair?._id).toBe('/r/claimed');

    const refused = await report(t, 'B', [{ _id: '/r/claimed', ok: true }]);
    expect(refused.status).toBe(409);
    expect(refused.text).toMatch(/^Results error: site B holds no claim on \/r\/claimed/);
    const missing = await report(t, 'C', [{ _id: '/r/nowhere', ok: true }]);
    expect(missing.status).toBe(404);
    expect(missing.text).toBe('Results error: /r/nowhere does not exist');

    const partial = await report(t, 'C', [
      { _id: '/r/unclaimed', ok: true },
      { _id: '/r/claimed', ok: true },
    ]);
    expect(partial.status).toBe(207);
    expect(partial.json).toEqual([null, '/r/claimed']);
    expect(syncKeys(await read(t, '/r/unclaimed'))).toEqual({});
    expect(Object.keys(syncKeys(await read(t, '/r/claimed')))).toEqual(['synced_C']);
  });
});
