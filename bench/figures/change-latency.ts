/**
 * Change → WebSocket latency on the local tracker: a `ws` subscriber to LATENCY_PREFIX, then
 * sequential `POST /api/create` of new nodes under it; each sample runs from just before the write
 * to the arrival of its `{"type":"event"}` frame (DynamoDB Local's stream, polled into the fan-out,
 * pushed through the management API). Baseline: the write's own HTTP round trip in the same sample.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Bench } from '../context.js';
import { call } from '../http.js';
import { latency, now } from '../measure.js';
import { figure, withGoal, type Figure } from '../report.js';
import { subscribe } from '../subscriber.js';

const LATENCY_PREFIX = '/bench/lat/';
const WARM_UP = 10;
/** Goals of the issue (reported, not enforced). */
const GOAL_MS = { p50: 300, p99: 1_000 };
/**
 * Untimed pause before each write, uniform in [0, GAP_MS): the poller sleeps 50 ms after an empty
 * read, and writes sent right after the previous frame would always land at the start of that sleep.
 */
const GAP_MS = 100;
/** Longest wait for one sample's frame. */
const FRAME_TIMEOUT_MS = 10_000;
/**
 * Longest wait for the first frame: the poller has every write of the earlier figures (seeding,
 * throughput, damas add) to fan out first, and the local fan-out logs each of them.
 */
const DRAIN_TIMEOUT_MS = 15 * 60_000;

interface Sample {
  /** ms from before the write to its HTTP answer. */
  rest: number;
  /** ms from before the write to the arrival of its event frame. */
  event: number;
}

export async function changeLatencyFigures(bench: Bench): Promise<Figure[]> {
  const samples = bench.quick ? 60 : 300;
  // Frame arrival times by node id.
  const arrived = new Map<string, number>();
  const subscriber = await subscribe(bench.local.url, LATENCY_PREFIX, (text, at) => {
    const frame = JSON.parse(text) as { type?: string; _id?: string };
    if (frame.type === 'event' && frame._id) arrived.set(frame._id, at);
  });

  const frameOf = async (id: string, timeoutMs: number) => {
    await subscriber.until(() => arrived.has(id), timeoutMs, `event frame for ${id}`);
    return arrived.get(id)!;
  };

  /** One write and its frame; the timeout only starts once the write has answered. */
  const sample = async (id: string, timeoutMs = FRAME_TIMEOUT_MS): Promise<Sample> => {
    await delay(Math.random() * GAP_MS);
    const start = now();
    await call(bench.local.apiUrl, 'POST', 'create', { _id: id, origin: 'siteA' }, [201]);
    const rest = now() - start;
    return { rest, event: (await frameOf(id, timeoutMs)) - start };
  };

  try {
    bench.log('change → WebSocket latency: waiting for the stream fan-out to catch up…');
    const drain = await sample(`${LATENCY_PREFIX}drain`, DRAIN_TIMEOUT_MS);
    bench.log(
      `  caught up after ${(drain.event / 1000).toFixed(1)} s; ${samples} sequential writes (after ${WARM_UP} warm-up)`,
    );
    const pad = (n: number) => String(n).padStart(5, '0');
    for (let i = 0; i < WARM_UP; i++) await sample(`${LATENCY_PREFIX}warm/${pad(i)}`);
    const taken: Sample[] = [];
    for (let i = 0; i < samples; i++) taken.push(await sample(`${LATENCY_PREFIX}${pad(i)}`));

    const event = latency(taken.map((s) => s.event));
    const rest = latency(taken.map((s) => s.rest));
    const about = `POST /api/create of a new node → its {"type":"event"} frame on a ws subscriber (stream poll + fan-out + management API), ${samples} sequential writes at random phases of the poll; baseline: the POST's own round trip`;
    return [
      withGoal(figure('ws.latency.p50', event.p50, 'ms', about, rest.p50), GOAL_MS.p50),
      withGoal(figure('ws.latency.p99', event.p99, 'ms', '', rest.p99), GOAL_MS.p99),
    ];
  } finally {
    await subscriber.close();
  }
}
