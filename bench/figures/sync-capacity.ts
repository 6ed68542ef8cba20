/**
 * Read capacity of ONE claim poll (limit 100, `DynamoQueueStore.claim` as the claim route calls it,
 * the registry read included) with N_small then N_large files tracked (sync-seed.ts): site B's queue
 * holds backlogAt(N) pending pairs and as many failed ones waiting for their retry, site D's is empty
 * (every file synced at D). Each poll is undone (its leases removed from the nodes by raw
 * UpdateItem; no stream is read on these tables yet, so the queue items stay as seeded) and taken
 * POLLS times; RCU are the queue store's own ConsumedCapacity. Goal: large/small ≤ 1.2 (flat).
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DYNAMO_CONCURRENCY, type Bench } from '../context.js';
import { median, now, pool } from '../measure.js';
import { figure, withRatioGoal, type Figure } from '../report.js';
import { backlogAt, type SyncData } from '../sync-seed.js';

const LIMIT = 100;
const POLLS = 3;
const LEASE_MS = 600_000;
/** Goal of the issue for large/small (reported, not enforced). */
const FLAT_GOAL = 1.2;

export interface ClaimCapacitySample {
  files: number;
  /** Median RCU of one poll of B (backlog) and of D (empty queue). */
  rcu: { backlog: number; empty: number };
}

/** One claim poll of `site`: its RCU, then its leases given back. */
async function poll(data: SyncData, site: string, expected: number) {
  const at = Date.now();
  const before = data.queue.consumed.read;
  const start = now();
  const pairs = await data.queue.claim(site, LIMIT, LEASE_MS, at, 'reception');
  const ms = now() - start;
  const rcu = data.queue.consumed.read - before;
  if (pairs.length !== expected) throw new Error(`a claim poll of ${site} leased ${pairs.length} pairs`);
  await pool(DYNAMO_CONCURRENCY, pairs.length, (i) =>
    data.raw.send(
      new UpdateCommand({
        TableName: data.tables.nodes,
        Key: { pk: pairs[i]!._id },
        UpdateExpression: 'REMOVE #d.#sy, #d.#ls',
        ConditionExpression: '#d.#sy = :at',
        ExpressionAttributeNames: { '#d': 'doc', '#sy': `syncing_${site}`, '#ls': `syncLease_${site}` },
        ExpressionAttributeValues: { ':at': at },
      }),
    ),
  );
  return { rcu, ms };
}

export async function measureClaimCapacity(bench: Bench, data: SyncData): Promise<ClaimCapacitySample> {
  const files = data.count;
  const backlog = backlogAt(files);
  bench.log(`sync: claim poll capacity with ${files} files (B: ${backlog} pending, ${backlog} failed)`);
  const taken = { backlog: [] as number[], empty: [] as number[], ms: [] as number[] };
  for (let i = 0; i < POLLS; i++) {
    const b = await poll(data, 'B', LIMIT);
    taken.backlog.push(b.rcu);
    taken.ms.push(b.ms);
    taken.empty.push((await poll(data, 'D', 0)).rcu);
  }
  bench.log(
    `  B: ${median(taken.backlog)} RCU (${median(taken.ms).toFixed(1)} ms), D: ${median(taken.empty)} RCU`,
  );
  return { files, rcu: { backlog: median(taken.backlog), empty: median(taken.empty) } };
}

const shortCount = (n: number) => (n % 1000 === 0 ? `${n / 1000}k` : String(n));

export function claimCapacityFigures(small: ClaimCapacitySample, large: ClaimCapacitySample): Figure[] {
  const [s, l] = [shortCount(small.files), shortCount(large.files)];
  const pair = (name: string, value: (c: ClaimCapacitySample) => number, about: string) => [
    figure(`${name}@${s}`, value(small), 'RCU', about),
    withRatioGoal(figure(`${name}@${l}`, value(large), 'RCU', '', value(small)), FLAT_GOAL),
  ];
  const what = `RCU of ONE claim poll of ${LIMIT} (registry + 12 queue Queries, through the queue store) with ${s} then ${l} files tracked`;
  return [
    ...pair(
      'sync.claim.rcu.backlog',
      (c) => c.rcu.backlog,
      `${what}, site B: ${backlogAt(small.files)} then ${backlogAt(large.files)} pending pairs and as many failed ones waiting for their retry; ratio large/small (flat: ≤ ${FLAT_GOAL})`,
    ),
    ...pair(
      'sync.claim.rcu.empty',
      (c) => c.rcu.empty,
      `${what}, site D with an empty queue (every file synced at D); ratio large/small`,
    ),
  ];
}
