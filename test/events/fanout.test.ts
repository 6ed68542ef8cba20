/**
 * The fan-out and WebSocket handlers on real tables (DynamoDB Local), fed hand-made stream batches:
 * a batch handled twice logs and queues each event once; batches of two shards handled out of order
 * are still replayed to a client that saw only the later one (the grace window).
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../functions/config.js';
import type { ConnectionSender } from '../../functions/core/ports.js';
import { createDocumentClient } from '../../functions/store/dynamo-client.js';
import { localTableNames, TABLE_KEYS } from '../../functions/store/schema.js';
import { DynamoDeliveryQueue } from '../../functions/store/delivery-queue.js';
import { DynamoEventLog } from '../../functions/store/event-log.js';
import { nodeStreamRecord as record } from '../../functions/store/stream-records.js';
import { DynamoWebhookStore } from '../../functions/store/webhook-store.js';
import { createFanout, createWebSocket } from '../../functions/tracker.js';
import { DeliveryWorker } from '../../functions/webhooks/delivery.js';
import { ensureTables } from '../../local/tables.js';
import { localEnvironment } from '../../local/runtime.js';

const endpoint = inject('dynamodbEndpoint');
const prefix = `f${randomBytes(4).toString('hex')}`;
const config = loadConfig(TABLE_KEYS, {
  ...localEnvironment(endpoint, { tablePrefix: prefix, auth: 'open' }),
});
const db = createDocumentClient(endpoint);
const frames = new Map<string, string[]>();
const sender: ConnectionSender = {
  send: async (id, text) => {
    frames.set(id, [...(frames.get(id) ?? []), text]);
    return true;
  },
};
const fanout = createFanout(config, sender, db);
const websocket = createWebSocket(config, sender, db);
const log = new DynamoEventLog(db, config.tables.events, config.events.retentionMs);

const batch = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });

async function replayAll(after = firstId()): Promise<string[]> {
  const out: string[] = [];
  for await (const page of log.replay(after, '/fan/')) out.push(...page.map((e) => `${e.op} ${e._id}`));
  return out;
}
const firstId = () => '0'.repeat(13) + '-' + '0'.repeat(40);

beforeAll(async () => {
  await ensureTables(db, localTableNames(prefix));
});
afterAll(() => db.destroy());

describe('fan-out', () => {
  it('logs, queues and delivers each event once when the same batch is handled twice', async () => {
    const now = Math.floor(Date.now() / 1000);
    const hooks = new DynamoWebhookStore(db, config.tables.webhooks);
    const received: string[] = [];
    const receiver = createServer((req, res) => {
      received.push(String(req.headers['webhook-id']));
      res.writeHead(200).end();
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    await hooks.put({
      id: 'wh_000000000000000000000001',
      url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`,
      secret: 'whsec_' + Buffer.alloc(32, 1).toString('base64'),
      filter: { prefix: '/fan/twice/' },
      createdAt: Date.now(),
      createdBy: null,
    });
    const twice = batch(
      record('1001', now, { _id: '/fan/twice/a', v: 1 }),
      record('1002', now, { _id: '/fan/twice/a', v: 2 }, { _id: '/fan/twice/a', v: 1 }),
    );
    expect(await fanout(twice)).toEqual({ batchItemFailures: [] });
    expect(await fanout(twice)).toEqual({ batchItemFailures: [] });
    expect((await replayAll()).filter((e) => e.includes('/fan/twice/'))).toEqual([
      'create /fan/twice/a',
      'update /fan/twice/a',
    ]);
    // Each event is delivered once, under its own stable webhook-id.
    const queue = new DynamoDeliveryQueue(db, config.tables.deliveries, config.events.retentionMs);
    const worker = new DeliveryWorker({
      queue,
      hooks,
      settings: { ...config.events, webhookAllow: 'loopback' },
    });
    while ((await worker.runOnce()) > 0);
    await worker.stop();
    receiver.close();
    expect(received).toHaveLength(2);
    expect(new Set(received).size).toBe(2);
    expect(await queue.claimDue(Date.now() + 60_000, 100, 1000)).toEqual([]);
  });

  it('replays events a parallel shard logged late to a client that saw only later ones', async () => {
    const now = Math.floor(Date.now() / 1000);
    const shardA = batch(
      record('2001', now, { _id: '/fan/late/a1' }),
      record('2003', now, { _id: '/fan/late/a2' }),
    );
    const shardB = batch(
      record('2002', now, { _id: '/fan/late/b1' }),
      record('2004', now, { _id: '/fan/late/b2' }),
    );
    const connectionId = 'conn-late';
    await websocket({
      requestContext: { routeKey: '$connect', connectionId, connectedAt: Date.now() },
      isBase64Encoded: false,
    } as never);
    await websocket({
      requestContext: { routeKey: 'subscribe', connectionId },
      body: JSON.stringify({ action: 'subscribe', prefix: '/fan/late/' }),
      isBase64Encoded: false,
    } as never);
    await fanout(shardB); // shard B first: the client sees b1 and b2
    const seen = (frames.get(connectionId) ?? []).map(
      (f) => JSON.parse(f) as { type: string; id?: string; _id?: string },
    );
    expect(seen.filter((f) => f.type === 'event').map((f) => f._id)).toEqual([
      '/fan/late/b1',
      '/fan/late/b2',
    ]);
    const since = seen.at(-1)!.id!;
    await websocket({
      requestContext: { routeKey: '$disconnect', connectionId },
      isBase64Encoded: false,
    } as never);

    await fanout(shardA); // logged after the client's last id, with lower ids
    const again = 'conn-again';
    await websocket({
      requestContext: { routeKey: '$connect', connectionId: again },
      isBase64Encoded: false,
    } as never);
    await websocket({
      requestContext: { routeKey: 'subscribe', connectionId: again },
      body: JSON.stringify({ action: 'subscribe', prefix: '/fan/late/', since }),
      isBase64Encoded: false,
    } as never);
    const replayed = (frames.get(again) ?? []).map((f) => JSON.parse(f) as { type: string; _id?: string });
    expect(replayed[0]).toEqual({ type: 'subscribed' });
    const events = replayed.filter((f) => f.type === 'event').map((f) => f._id);
    expect(events).toEqual(expect.arrayContaining(['/fan/late/a1', '/fan/late/a2']));
    expect(events).not.toContain('/fan/late/b2'); // `since` itself is not sent again
  });
});
