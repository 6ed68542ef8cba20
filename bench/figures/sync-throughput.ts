/**
 * Claims + results throughput on the sync host (a local tracker on the sync tables, whose stream
 * poller and fan-out move the queue items as claims and results change the nodes): claim up to
 * LIMIT pairs of site C's queue, report success for them, again until a round's pairs are done,
 * through the host's queue store (`tracker.sync.claim` / `.results` as the routes call them, no HTTP).
 * Baseline: raw conditional UpdateItem on the same node items (the claim's own update, for a site
 * no volume names, so the queues do not move), one per pair, 16 in flight like the store's runner.
 * Interleaved rounds, median. Also the write capacity per pair done against the raw update's.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { setTimeout as delay } from 'node:timers/promises';
import type { ClaimedPair } from '../../functions/core/ports.js';
import { DYNAMO_CONCURRENCY, type Bench } from '../context.js';
import { median, pool, rate, timed } from '../measure.js';
import { figure, type Figure } from '../report.js';
import { rawClaim, type SyncData } from '../sync-seed.js';

const SITE = 'C';
const LIMIT = 100;
const LEASE_MS = 600_000;
const WARM_UP = 100;
const SIZES: Record<'quick' | 'full', { rounds: number; pairs: number }> = {
  quick: { rounds: 3, pairs: 200 },
  full: { rounds: 5, pairs: 1_000 },
};

/** Pairs pending at C that the figure consumes (seeded with N_large), with one claim to spare. */
export function claimsPool(quick: boolean): number {
  const { rounds, pairs } = SIZES[quick ? 'quick' : 'full'];
  return WARM_UP + rounds * pairs + LIMIT;
}

interface StoreRun {
  ms: number;
  pairs: ClaimedPair[];
  polls: number;
  /** Write capacity per pair done (a claim and a result: twice the raw update's if none was stale). */
  wcuPerPair: number;
}

/** Claims and success results through the store until `count` pairs are done. */
async function storeRun(data: SyncData, count: number): Promise<StoreRun> {
  const sync = data.host!.tracker.sync;
  const done: ClaimedPair[] = [];
  const maxPolls = 3 * Math.ceil(count / LIMIT) + 20;
  let polls = 0;
  const written = sync.consumed.write;
  const ms = await timed(async () => {
    while (done.length < count) {
      if (++polls > maxPolls)
        throw new Error(`${polls - 1} claim polls for ${done.length} of ${count} pairs`);
      const limit = Math.min(LIMIT, count - done.length);
      const pairs = await sync.claim(SITE, limit, LEASE_MS, Date.now(), 'reception');
      if (pairs.length === 0) {
        await delay(20); // every candidate was stale: the stream has not moved them yet
        continue;
      }
      const results = pairs.map((p) => ({ _id: p._id, ok: true as const }));
      const outcomes = await sync.results(SITE, results, Date.now());
      if (outcomes.some((o) => o !== 'ok')) throw new Error(`results refused: ${outcomes.join(' ')}`);
      done.push(...pairs);
    }
  });
  return { ms, pairs: done, polls, wcuPerPair: (sync.consumed.write - written) / count };
}

/** The claim's conditional update sent raw, once per pair, for the site `site` (not a volume). */
async function rawRun(data: SyncData, pairs: readonly ClaimedPair[], site: string) {
  const at = Date.now();
  let wcu = 0;
  const ms = await timed(() =>
    pool(DYNAMO_CONCURRENCY, pairs.length, async (i) => {
      const { _id: fileId, time } = pairs[i]!;
      const out = await data.raw.send(
        new UpdateCommand({
          ...rawClaim(data.tables.nodes, site, { fileId, time }, at, at + LEASE_MS),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      wcu += out.ConsumedCapacity?.CapacityUnits ?? 0;
    }),
  );
  return { ms, wcuPerPair: wcu / pairs.length };
}

export async function syncThroughputFigures(bench: Bench, data: SyncData): Promise<Figure[]> {
  const { rounds, pairs } = SIZES[bench.quick ? 'quick' : 'full'];
  bench.log(`sync: claims + results, warm-up then ${rounds} rounds of ${pairs} pairs of ${SITE}…`);
  const warm = await storeRun(data, WARM_UP);
  await rawRun(data, warm.pairs, 'Rwarm');
  const rates = { store: [] as number[], raw: [] as number[] };
  const wcu = { store: [] as number[], raw: [] as number[] };
  let previous = warm.pairs;
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first; the raw run updates the pairs of the latest store run.
    const rawFirst = r % 2 ? await rawRun(data, previous, `R${r}`) : undefined;
    const run = await storeRun(data, pairs);
    const raw = rawFirst ?? (await rawRun(data, run.pairs, `R${r}`));
    previous = run.pairs;
    rates.store.push(rate(pairs, run.ms));
    rates.raw.push(rate(pairs, raw.ms));
    wcu.store.push(run.wcuPerPair);
    wcu.raw.push(raw.wcuPerPair);
    bench.log(
      `  r${r}: store ${Math.round(rates.store[r]!)} pairs/s (${run.polls} claim polls, ${run.wcuPerPair.toFixed(2)} WCU/pair), raw UpdateItem ${Math.round(rates.raw[r]!)}/s`,
    );
  }
  return [
    figure(
      'sync.claims_results',
      median(rates.store),
      'files/s',
      `claim ${LIMIT} pairs of ${SITE}'s queue + success results for them through the queue store, until ${pairs} pairs are done (stream fan-out moving the queue items meanwhile), ${data.count.toLocaleString('en-US')} files tracked; median of ${rounds} rounds; baseline: raw conditional UpdateItem on the same nodes, one per pair, ${DYNAMO_CONCURRENCY} in flight`,
      median(rates.raw),
    ),
    figure(
      'sync.claims_results.wcu',
      median(wcu.store),
      'WCU/file',
      `write capacity per pair done through the store: its claim and result updates (each costs what the raw update does: the node and its byRoot and byDir index entries), so twice the raw update's (ratio 2.00) when every candidate is fresh, more when a claim re-leases pairs whose queue items the stream had not moved yet (re-lease, release, queue item delete); baseline: the raw UpdateItem's`,
      median(wcu.raw),
    ),
  ];
}
