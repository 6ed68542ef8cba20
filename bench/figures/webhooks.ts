/**
 * Webhook deliveries/s: N deliveries queued (`deliveriesFor` + `DynamoDeliveryQueue.enqueue`, on
 * tables of their own so the tracker's running worker does not take them), then
 * `DeliveryWorker.runOnce()` (as the scheduled Lambda runs it, default limits: 16 in flight, 4 per
 * webhook) until all are delivered to a local receiver answering 200 at once. HOOKS webhooks share
 * the receiver and each event's deliveries are due together, so every claim of 16 holds 4 per
 * webhook. Baseline: the same signed POSTs (node:http, a new connection each, as the worker) to the
 * same receiver, 16 in flight: the raw HTTP cost. Interleaved rounds, median.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../functions/config.js';
import { eventId, type ChangeEvent } from '../../functions/core/events.js';
import type { Delivery, Webhook } from '../../functions/core/ports.js';
import { deliveriesFor, newWebhookId, newWebhookSecret } from '../../functions/core/webhooks.js';
import { DynamoDeliveryQueue } from '../../functions/store/delivery-queue.js';
import { createDocumentClient } from '../../functions/store/dynamo-client.js';
import { localTableNames, TABLE_KEYS } from '../../functions/store/schema.js';
import { DynamoWebhookStore } from '../../functions/store/webhook-store.js';
import { DeliveryWorker, signedRequest } from '../../functions/webhooks/delivery.js';
import { localEnvironment } from '../../local/runtime.js';
import { ensureTables } from '../../local/tables.js';
import type { Bench } from '../context.js';
import { median, pool, rate, timed } from '../measure.js';
import { figure, type Figure } from '../report.js';
import { fileNode } from '../seed.js';

const TABLE_PREFIX = 'bench-webhooks';
/** Webhooks sharing the receiver: with one, a claim of 16 sends 4, keeps 4 waiting, gives 8 back. */
const HOOKS = 4;
/** The worker's default sends in flight (DeliveryWorker `concurrency`); the baseline uses the same. */
const CONCURRENCY = 16;

const SIZES: Record<'quick' | 'full', { rounds: number; events: number }> = {
  quick: { rounds: 3, events: 60 },
  full: { rounds: 5, events: 250 },
};

/** A receiver on 127.0.0.1 answering 200 to every request once its body is read. */
async function startReceiver(): Promise<{ url: string; received: () => number; close(): Promise<void> }> {
  let received = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(200, { 'Content-Length': '0' });
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received: () => received,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A signed POST of one delivery as sendDelivery makes it, without the queue; rejects unless 200. */
function signedPost(hook: Webhook, delivery: Delivery): Promise<void> {
  const { body, headers } = signedRequest(hook, delivery, Date.now());
  return new Promise((resolve, reject) => {
    const request = http.request(hook.url, { method: 'POST', headers, agent: false }, (response) => {
      response.resume();
      response.on('end', () =>
        response.statusCode === 200
          ? resolve()
          : reject(new Error(`receiver answered ${response.statusCode}`)),
      );
    });
    request.on('error', reject);
    request.end(body);
  });
}

let sequence = 0;

/** The deliveries of `events` new nodes to every hook; event i is queued at base + i ms. */
function deliveries(hooks: Webhook[], tag: string, events: number): Delivery[] {
  const base = Date.now() - events - 1_000;
  return Array.from({ length: events }, (_, i) => {
    const time = base + i;
    const event: ChangeEvent = {
      id: eventId(time, String(++sequence)),
      op: 'create',
      _id: `/bench/wh/${tag}/f${String(i).padStart(4, '0')}.exr`,
      time,
      node: fileNode(`/bench/wh/${tag}/f${String(i).padStart(4, '0')}.exr`, time),
      previous: null,
    };
    return deliveriesFor(event, hooks, time);
  }).flat();
}

export async function webhookFigures(bench: Bench): Promise<Figure[]> {
  const { rounds, events } = SIZES[bench.quick ? 'quick' : 'full'];
  const count = events * HOOKS;
  bench.log(`webhooks: ${rounds} rounds of ${count} deliveries (${HOOKS} webhooks) to a local receiver…`);
  const config = loadConfig(
    TABLE_KEYS,
    localEnvironment(bench.local.dynamodbEndpoint, { tablePrefix: TABLE_PREFIX, auth: 'open' }),
  );
  const db = createDocumentClient(config.dynamodbEndpoint);
  const receiver = await startReceiver();
  try {
    await ensureTables(db, localTableNames(TABLE_PREFIX));
    const store = new DynamoWebhookStore(db, config.tables.webhooks);
    const queue = new DynamoDeliveryQueue(db, config.tables.deliveries, config.events.retentionMs);
    const worker = new DeliveryWorker({
      queue,
      hooks: store,
      settings: { ...config.events, webhookAllow: 'loopback' },
      concurrency: CONCURRENCY,
      log: (message, error) => bench.log(`  worker: ${message} ${error ?? ''}`),
    });
    const hooks: Webhook[] = Array.from({ length: HOOKS }, (_, k) => ({
      id: newWebhookId(),
      url: `${receiver.url}/hook/${k}`,
      secret: newWebhookSecret(),
      filter: { prefix: '/bench/wh/' },
      createdAt: Date.now(),
      createdBy: null,
    }));
    for (const hook of hooks) await store.put(hook);
    const hookById = new Map(hooks.map((hook) => [hook.id, hook]));

    /** Queues (untimed), then times runOnce rounds until all are handled. */
    const workerRun = async (tag: string): Promise<number> => {
      const queued = deliveries(hooks, tag, events);
      await queue.enqueue(queued);
      const before = receiver.received();
      const maxRounds = Math.ceil(count / CONCURRENCY) * 2 + 10;
      const ms = await timed(async () => {
        let handled = 0;
        for (let round = 0; handled < count; round++) {
          if (round >= maxRounds) throw new Error(`${handled} of ${count} deliveries after ${round} rounds`);
          handled += await worker.runOnce();
        }
      });
      if (receiver.received() - before !== count)
        throw new Error(`the receiver got ${receiver.received() - before} of ${count} deliveries`);
      return ms;
    };
    const postRun = (tag: string): Promise<number> => {
      const queued = deliveries(hooks, tag, events);
      return timed(() =>
        pool(CONCURRENCY, count, (i) => signedPost(hookById.get(queued[i]!.webhookId)!, queued[i]!)),
      );
    };

    await workerRun('warm');
    await postRun('warm-raw');
    const ms = { worker: [] as number[], post: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? (['post', 'worker'] as const) : (['worker', 'post'] as const);
      for (const kind of order)
        ms[kind].push(await (kind === 'worker' ? workerRun(`r${r}`) : postRun(`r${r}-raw`)));
    }
    const workerRate = median(ms.worker.map((t) => rate(count, t)));
    const postRate = median(ms.post.map((t) => rate(count, t)));
    bench.log(`  worker ${Math.round(workerRate)} deliveries/s, raw signed POSTs ${Math.round(postRate)}/s`);
    return [
      figure(
        'webhook.deliveries',
        workerRate,
        'deliveries/s',
        `DeliveryWorker.runOnce() rounds (claim, read webhook, signed POST, complete; ${CONCURRENCY} in flight, 4 per webhook) until ${count} queued deliveries to ${HOOKS} webhooks on a local receiver are done; median of ${rounds} rounds; baseline: the same signed POSTs with node:http, ${CONCURRENCY} in flight`,
        postRate,
      ),
    ];
  } finally {
    await receiver.close();
    db.destroy();
  }
}
