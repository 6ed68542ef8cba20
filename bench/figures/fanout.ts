/**
 * Fan-out throughput: the stream fan-out handler (`createFanout`) called directly with hand-made
 * Lambda stream batches of BATCH INSERT records, on real tables and a real sender: the management
 * API of a second local host (own tables, same DynamoDB Local) with 1, then 100 `ws` subscribers
 * to the batch's prefix. A batch counts as done when every subscriber has every frame. Baseline:
 * the event log's own `append` of a batch of the same shape (the raw logging cost), interleaved.
 */
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { loadConfig } from '../../functions/config.js';
import type { ChangeEvent } from '../../functions/core/events.js';
import { managementSender } from '../../functions/events/management-sender.js';
import { createDocumentClient } from '../../functions/store/dynamo-client.js';
import { DynamoEventLog } from '../../functions/store/event-log.js';
import { TABLE_KEYS } from '../../functions/store/schema.js';
import { changeFromRecord, nodeStreamRecord } from '../../functions/store/stream-records.js';
import { createFanout } from '../../functions/tracker.js';
import { localEnvironment, startLocalTracker } from '../../local/runtime.js';
import type { Bench } from '../context.js';
import { cpuSince, cpuTime } from '../cpu.js';
import { median, pool, rate, timed } from '../measure.js';
import { figure, type Figure } from '../report.js';
import { fileNode } from '../seed.js';
import { subscribe, type Subscriber } from '../subscriber.js';

const TABLE_PREFIX = 'bench-fanout';
const FANOUT_PREFIX = '/bench/fan/';
const BATCH = 100;
/** Longest wait for a batch's frames to reach every subscriber. */
const FRAMES_TIMEOUT_MS = 120_000;

/** Timed batches per subscriber count (after one warm-up batch of each kind). */
const ROUNDS: Record<'quick' | 'full', Record<number, number>> = {
  quick: { 1: 4, 100: 2 },
  full: { 1: 10, 100: 5 },
};

const pad = (n: number) => String(n).padStart(4, '0');

let sequence = 0;

/** BATCH new files under `<FANOUT_PREFIX><tag>/`: same depth, so the same 5 log scopes each. */
function streamBatch(tag: string): DynamoDBStreamEvent {
  const seconds = Math.floor(Date.now() / 1000);
  return {
    Records: Array.from({ length: BATCH }, (_, i) =>
      nodeStreamRecord(++sequence, seconds, fileNode(`${FANOUT_PREFIX}${tag}/f${pad(i)}.exr`)),
    ),
  };
}

export async function fanoutFigures(bench: Bench): Promise<Figure[]> {
  const rounds = ROUNDS[bench.quick ? 'quick' : 'full'];
  bench.log(`fan-out: batches of ${BATCH} events with 1 and 100 subscribers on a second local host…`);
  const endpoint = bench.local.dynamodbEndpoint;
  const config = loadConfig(
    TABLE_KEYS,
    localEnvironment(endpoint, { tablePrefix: TABLE_PREFIX, auth: 'open' }),
  );
  // The host's WebSocket handler registers the subscribers in the tables the fan-out reads.
  const host = await startLocalTracker({ port: 0, dynamodbEndpoint: endpoint, tablePrefix: TABLE_PREFIX });
  const db = createDocumentClient(config.dynamodbEndpoint);
  const subscribers: Subscriber[] = [];
  try {
    const fanout = createFanout(config, managementSender(host.url, true), db);
    const eventLog = new DynamoEventLog(db, config.tables.events, config.events.retentionMs);

    /** CPU ms (this process, DynamoDB Local) of the timed fan-out runs, for the progress log. */
    let cpu = { node: 0, dynamo: 0 };
    /** One fan-out call until every subscriber holds the batch's frames. */
    const fanoutRun = async (tag: string) => {
      const event = streamBatch(tag);
      const expected = subscribers.map((s) => s.events + BATCH);
      const start = cpuTime();
      const ms = await timed(async () => {
        const answer = await fanout(event);
        if (answer.batchItemFailures.length > 0) throw new Error(`fan-out of ${tag} reported failures`);
        await Promise.all(subscribers.map((s, k) => s.received(expected[k]!, FRAMES_TIMEOUT_MS)));
      });
      const used = cpuSince(start);
      cpu = { node: cpu.node + used.node, dynamo: cpu.dynamo + used.dynamo };
      return ms;
    };
    const appendRun = (tag: string) => {
      const changes: ChangeEvent[] = streamBatch(tag).Records.map(changeFromRecord);
      return timed(() => eventLog.append(changes));
    };

    const figures: Figure[] = [];
    for (const count of [1, 100]) {
      await pool(10, count - subscribers.length, async () => {
        subscribers.push(await subscribe(host.url, FANOUT_PREFIX));
      });
      await fanoutRun(`s${count}/warm`);
      await appendRun(`s${count}/warm-log`);
      const ms = { fanout: [] as number[], append: [] as number[] };
      cpu = { node: 0, dynamo: 0 };
      for (let r = 0; r < rounds[count]!; r++) {
        // Alternate which goes first, so drift hits both alike.
        const order = r % 2 ? (['append', 'fanout'] as const) : (['fanout', 'append'] as const);
        for (const kind of order) {
          const tag = `s${count}/r${r}${kind === 'append' ? '-log' : ''}`;
          ms[kind].push(await (kind === 'fanout' ? fanoutRun(tag) : appendRun(tag)));
        }
      }
      const fanoutRate = median(ms.fanout.map((t) => rate(BATCH, t)));
      const appendRate = median(ms.append.map((t) => rate(BATCH, t)));
      const perEvent = (cpuMs: number) => Math.round((cpuMs * 1000) / (BATCH * ms.fanout.length));
      bench.log(
        `  ${count} subscriber(s): fan-out ${Math.round(fanoutRate)} events/s (${Math.round(fanoutRate * count)} frames/s, cpu µs/event node ${perEvent(cpu.node)} java ${perEvent(cpu.dynamo)}), log append ${Math.round(appendRate)} events/s`,
      );
      figures.push(
        figure(
          `fanout.subscribers${count}`,
          fanoutRate,
          'events/s',
          count === 1
            ? `fan-out handler on a stream batch of ${BATCH} new nodes (log, webhook lookup, pushes via the management API) until 1 ws subscriber has every frame; median of ${rounds[count]} batches; baseline: DynamoEventLog.append of a batch of the same shape`
            : `the same with ${count} subscribers (${count} frames per event: ${Math.round(fanoutRate * count)} frames/s)`,
          appendRate,
        ),
      );
    }
    return figures;
  } finally {
    await Promise.all(subscribers.map((s) => s.close()));
    db.destroy();
    await host.close();
  }
}
