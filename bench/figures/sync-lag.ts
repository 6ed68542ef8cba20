/**
 * Queue lag (publish → claimable) on the sync host (`startLocalTracker` on the sync tables): one
 * file at a time published with `POST /api/publish` at origin A, with a rising `sync_priority` so it
 * heads B's queue once queued; then `tracker.sync.pending('B', 1)` (4 Queries of 1 item, what a
 * claim reads first) polled every POLL_MS until it names the file. A sample runs from just before
 * the publish to the end of that poll (DynamoDB Local's stream, polled into the fan-out, whose sync
 * consumer writes the queue items). Baseline: the publish's own round trip in the same sample.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Bench } from '../context.js';
import { call } from '../http.js';
import { latency, now } from '../measure.js';
import { figure, type Figure } from '../report.js';
import type { SyncData } from '../sync-seed.js';

const LAG_PREFIX = '/sync/lag/';
const WARM_UP = 10;
/**
 * Pause between two polls of the queue (each takes a few ms): the figure's resolution. Polling more
 * often loads DynamoDB Local and slows the fan-out it measures (5 ms: queue write done at ~52 ms p50
 * against ~42 ms polling every 20 ms, in a one-off check).
 */
const POLL_MS = 10;
/** Untimed pause before each publish, uniform in [0, GAP_MS): the poller sleeps 50 ms when idle. */
const GAP_MS = 100;
const SAMPLE_TIMEOUT_MS = 10_000;
/** Longest wait for the first sample: the stream backlog of the throughput figure comes first. */
const DRAIN_TIMEOUT_MS = 5 * 60_000;
/** Above the seeded files' priority (0), rising with each sample. */
const PRIORITY_BASE = 1_000_000;

interface Sample {
  /** ms from before the publish to its answer. */
  rest: number;
  /** ms from before the publish to the end of the poll that found the file at the head of B's queue. */
  queued: number;
}

export async function queueLagFigures(bench: Bench, data: SyncData): Promise<Figure[]> {
  const host = data.host!;
  const samples = bench.quick ? 60 : 300;
  let priority = PRIORITY_BASE;

  const sample = async (id: string, timeoutMs = SAMPLE_TIMEOUT_MS): Promise<Sample> => {
    await delay(Math.random() * GAP_MS);
    const file = { _id: id, origin: 'A', comment: 'lag', file_size: 1_024, sync_priority: ++priority };
    const start = now();
    await call(host.apiUrl, 'POST', 'publish', [file], [201]);
    const rest = now() - start;
    for (;;) {
      const [head] = await host.tracker.sync.pending('B', 1);
      const at = now();
      if (head?.fileId === id) return { rest, queued: at - start };
      if (at - start > timeoutMs)
        throw new Error(`${id} not at the head of B's queue within ${timeoutMs} ms`);
      await delay(POLL_MS);
    }
  };

  bench.log(`sync: queue lag, waiting for the stream fan-out to catch up…`);
  const drain = await sample(`${LAG_PREFIX}drain`, DRAIN_TIMEOUT_MS);
  bench.log(
    `  caught up after ${(drain.queued / 1000).toFixed(1)} s; ${samples} sequential publishes (after ${WARM_UP} warm-up)`,
  );
  const pad = (n: number) => String(n).padStart(5, '0');
  for (let i = 0; i < WARM_UP; i++) await sample(`${LAG_PREFIX}warm/${pad(i)}`);
  const taken: Sample[] = [];
  for (let i = 0; i < samples; i++) taken.push(await sample(`${LAG_PREFIX}${pad(i)}`));

  const queued = latency(taken.map((s) => s.queued));
  const rest = latency(taken.map((s) => s.rest));
  const about = `POST /api/publish of one file at A → at the head of B's queue (tracker.sync.pending polled every ${POLL_MS} ms: stream poll + fan-out + queue write), ${samples} sequential publishes at random phases of the stream poll; baseline: the publish's own round trip`;
  return [
    figure('sync.queue_lag.p50', queued.p50, 'ms', about, rest.p50),
    figure('sync.queue_lag.p99', queued.p99, 'ms', '', rest.p99),
  ];
}
