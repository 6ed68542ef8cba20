/** The queues' backlog as sites, stats and metrics show it: pending pairs and bytes, syncing, errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalTracker } from '../../local/runtime.js';
import { call } from '../support/tracker.js';
import { claim, publish, report, startSyncTracker, until, untilPending } from './helpers.js';

let t: LocalTracker;
beforeAll(async () => {
  t = await startSyncTracker();
});
afterAll(() => t?.close());

type Stats = {
  sites: {
    site: string;
    pending?: number;
    bytes?: number;
    syncing?: number;
    errors?: Record<string, number>;
  }[];
};
const statsOf = async (site: string) =>
  ((await call(t, 'GET', 'stats')).json as Stats).sites.find((s) => s.site === site)!;

describe('backlog', () => {
  it('counts pending pairs and bytes per site, leased ones as syncing, failures by code', async () => {
    await publish(t, 'A', [
      { _id: '/bk/1', file_size: 100 },
      { _id: '/bk/2', file_size: 250 },
    ]);
    await untilPending(t, 'B', ['/bk/1', '/bk/2']);
    await until(async () => (await statsOf('B')).pending === 2 || undefined, 'B pending 2');
    expect(await statsOf('B')).toMatchObject({ pending: 2, bytes: 350, syncing: 0 });
    const sites = (await call(t, 'GET', 'sites')).json as {
      name: string;
      backlog?: { pending: number; bytes: number };
    }[];
    expect(sites.find((s) => s.name === 'C')?.backlog).toEqual({ pending: 2, bytes: 350 });

    const [first] = await claim(t, 'B', { limit: 1 });
    await report(t, 'B', [{ _id: first!._id, error: 23, message: 'file not found' }]);
    await until(
      async () => ((await statsOf('B')).errors?.['23'] === 1 ? true : undefined),
      'the failure counted',
    );
    expect(await statsOf('B')).toMatchObject({ pending: 2, errors: { 23: 1 } });

    const metrics = (await call(t, 'GET', 'metrics')).text;
    expect(metrics).toMatch(/syncplanet_site_sync_errors\{site="B",code="23"\} 1/);
  });
});
