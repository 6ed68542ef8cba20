/**
 * Claims through the HTTP API on the local tracker: publish → pending pairs in priority order,
 * concurrent claimers get disjoint pairs, expired leases are claimable again, emission.
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

describe('claims', () => {
  it('queue a file published at A for B and C, and answer claims in priority order', async () => {
    await publish(t, 'A', [
      { _id: '/q/low', sync_priority: -1, file_size: 10 },
      { _id: '/q/mid' },
      { _id: '/q/high2', sync_priority: 5 },
      { _id: '/q/high1', sync_priority: 5 },
    ]);
    const order = ['/q/high1', '/q/high2', '/q/mid', '/q/low'];
    await untilPending(t, 'B', order, true);
    await untilPending(t, 'C', order, true);
    expect(await t.tracker.sync.pending('A', 10)).toEqual([]);

    const pairs = await claim(t, 'B', { limit: 3 });
    expect(pairs.map((p) => p._id)).toEqual(order.slice(0, 3));
    expect(pairs[0]).toMatchObject({
      priority: 5,
      source: { site: 'A', url: 'ssh://sync@a:22/data/' },
      destination: { site: 'B', url: 'ssh://sync@b:22/data/' },
    });
    expect(pairs[0]!.leaseUntil - Date.now()).toBeGreaterThan(590_000);
    expect((await claim(t, 'B')).map((p) => p._id)).toEqual(['/q/low']);
    expect((await claim(t, 'B'))[0]).toBeUndefined();
    expect((await claim(t, 'C', { limit: 10 })).map((p) => p._id)).toEqual(order);
  });

  it('give two concurrent claimers disjoint pairs, every pair once', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `/c/f${String(i).padStart(2, '0')}`);
    await publish(
      t,
      'A',
      ids.map((_id) => ({ _id })),
    );
    await untilPending(t, 'B', ids);
    const drain = async () => {
      const got: string[] = [];
      for (
        let pairs = await claim(t, 'B', { limit: 7 });
        pairs.length > 0;
        pairs = await claim(t, 'B', { limit: 7 })
      )
        got.push(...pairs.map((p) => p._id));
      return got;
    };
    const [first, second] = await Promise.all([drain(), drain()]);
    const rest = await drain();
    const all = [...first, ...second, ...rest];
    expect(all.length).toBe(30);
    expect(new Set(all).size).toBe(30);
    expect(first.length + second.length).toBeGreaterThan(0);
  });

  it('make a pair claimable again once its lease expired', async () => {
    await publish(t, 'A', [{ _id: '/l/one' }]);
    await untilPending(t, 'B', ['/l/one']);
    // A minute's lease, then a claim dated past its end: the store takes the clock as an argument,
    // so the expiry needs no sleep and the live claim in between cannot outlast the lease.
    const start = Date.now();
    const [leased] = await t.tracker.sync.claim('B', 10, 60_000, start, 'reception');
    expect(leased?._id).toBe('/l/one');
    expect(await claim(t, 'B')).toEqual([]);
    const again = await until(async () => {
      const pairs = await t.tracker.sync.claim('B', 10, 60_000, start + 61_000, 'reception');
      return pairs.length > 0 && pairs;
    }, 'the expired lease to be claimable');
    expect(again.map((p) => p._id)).toEqual(['/l/one']);
    expect(again[0]!.leaseUntil).toBeGreaterThan(leased!.leaseUntil);
  });

  it('fetch from another current copy once the origin’s scan found the file gone', async () => {
    await publish(t, 'A', [{ _id: '/m/plate.exr' }]);
    await untilPending(t, 'C', ['/m/plate.exr']);
    const [toC] = await claim(t, 'C');
    expect(toC?.source.site).toBe('A');
    expect((await report(t, 'C', [{ _id: '/m/plate.exr', ok: true }])).status).toBe(200);
    const gone = await call(t, 'POST', 'scanned', {
      site: 'A',
      files: [{ _id: '/m/plate.exr', change: 'missing' }],
    });
    expect(gone.status, gone.text).toBe(200);
    await untilPending(t, 'B', ['/m/plate.exr']);
    const [toB] = await claim(t, 'B');
    expect(toB).toMatchObject({ _id: '/m/plate.exr', source: { site: 'C', url: 'ssh://sync@c:22/data/' } });
  });

  it('let the source site claim emission: pairs of the other sites whose source it is', async () => {
    await publish(t, 'A', [{ _id: '/e/from-a' }]);
    await publish(t, 'B', [{ _id: '/e/from-b' }]);
    await untilPending(t, 'C', ['/e/from-a', '/e/from-b']);
    const pushed = await claim(t, 'A', { direction: 'emission', limit: 10 });
    expect(pushed.map((p) => `${p._id} ${p.source.site}→${p.destination.site}`).sort()).toEqual([
      '/e/from-a A→B',
      '/e/from-a A→C',
    ]);
    // Whichever agent claims first does the copy: C's reception no longer gets /e/from-a.
    expect((await claim(t, 'C')).map((p) => p._id)).toEqual(['/e/from-b']);

    // A reports its pushes, naming each destination; a site that does not hold the file may not.
    const notHolder = await report(t, 'C', [{ _id: '/e/from-a', destination: 'B', ok: true }]);
    expect(notHolder.status, notHolder.text).toBe(409);
    const pushedResults = await report(t, 'A', [
      { _id: '/e/from-a', destination: 'B', ok: true },
      { _id: '/e/from-a', destination: 'C', error: 10 },
    ]);
    expect(pushedResults.status, pushedResults.text).toBe(200);
    const node = await read(t, '/e/from-a');
    expect(node.synced_B).toBe(pushed[0]!.leaseUntil - 600_000); // the claim time
    expect(node).toMatchObject({ syncError_C: 10, syncAttempts_C: 1 });
  });
});
