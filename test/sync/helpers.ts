/** Helpers of the sync engine tests: a local tracker with volumes A, B and C, and bounded waits. */
import { expect } from 'vitest';
import type { ClaimedPair } from '../../functions/core/ports.js';
import type { LocalTracker } from '../../local/runtime.js';
import { call, startTestTracker, type Reply } from '../support/tracker.js';

const WAIT_MS = 20_000;

/** Polls `check` until it answers something other than undefined/false; fails after `ms` (20 s). */
export async function until<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  ms = WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const volume = (site: string, keys: Record<string, unknown> = {}) => ({
  _id: `vol-${site.toLowerCase()}`,
  name: site,
  url: `ssh://sync@${site.toLowerCase()}:22/data/`,
  ...keys,
});

/** A fresh tracker with volumes A, B and C, once the registry has them. */
export async function startSyncTracker(sites = ['A', 'B', 'C']): Promise<LocalTracker> {
  const t = await startTestTracker();
  const created = await call(
    t,
    'POST',
    'create',
    sites.map((s) => volume(s)),
  );
  expect(created.status, created.text).toBe(201);
  await until(
    async () => (await t.tracker.sync.volumes()).length === sites.length,
    'the volumes in the registry',
  );
  return t;
}

/**
 * Publishes files at `origin` (each `{_id, …keys}`), all with one `time` (the tracker stamps each
 * file with its own clock reading, so a millisecond tick between them would reorder equal priorities).
 */
export async function publish(
  t: LocalTracker,
  origin: string,
  files: Record<string, unknown>[],
): Promise<void> {
  const time = Date.now();
  const reply = await call(
    t,
    'POST',
    'publish',
    files.map((f) => ({ comment: 'test', origin, time, ...f })),
  );
  expect(reply.status, reply.text).toBe(201);
}

/** The ids of a site's ready pairs, in queue order. */
export const pendingIds = async (t: LocalTracker, site: string) =>
  (await t.tracker.sync.pending(site, 1000)).map((item) => item.fileId);

/** Waits until the site's ready pairs are exactly `ids` (in this order when `ordered`). */
export async function untilPending(t: LocalTracker, site: string, ids: string[], ordered = false) {
  const want = ordered ? ids : [...ids].sort();
  await until(
    async () => {
      const found = await pendingIds(t, site);
      return JSON.stringify(ordered ? found : found.sort()) === JSON.stringify(want);
    },
    `${site}'s ready pairs to be ${want.join(', ')}`,
  );
}

export async function claim(t: LocalTracker, site: string, keys: Record<string, unknown> = {}) {
  const reply = await call(t, 'POST', 'claim', { site, ...keys });
  expect(reply.status, reply.text).toBe(200);
  return reply.json as ClaimedPair[];
}

export const report = (t: LocalTracker, site: string, results: unknown[]): Promise<Reply> =>
  call(t, 'POST', 'results', { site, results });

export async function read(t: LocalTracker, id: string): Promise<Record<string, unknown>> {
  const reply = await call(t, 'GET', `read/${encodeURIComponent(id)}`);
  expect(reply.status, reply.text).toBe(200);
  return reply.json as Record<string, unknown>;
}
