/**
 * Wires the tracker's handlers from their configuration: each Lambda entry builds the one it runs
 * (with only its tables), the local runtime builds them all. No logic of its own.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Authenticator } from './auth/authenticator.js';
import { newSigningSecret } from './auth/tokens.js';
import type { TrackerConfig } from './config.js';
import type { OpContext } from './core/ops/context.js';
import type { WebhookAdmin } from './core/ops/webhooks.js';
import { OPEN_CALLER } from './core/permissions.js';
import type { ConnectionSender } from './core/ports.js';
import { createFanoutHandler } from './events/fanout.js';
import { createWebSocketHandler } from './events/websocket.js';
import { createApiHandler } from './http/api.js';
import { DynamoAuthStore } from './store/auth-store.js';
import { DynamoConnectionStore } from './store/connection-store.js';
import { DynamoDeliveryQueue } from './store/delivery-queue.js';
import { createDocumentClient } from './store/dynamo-client.js';
import { DynamoEventLog } from './store/event-log.js';
import { DynamoNodeStore } from './store/node-store.js';
import { queuePeek } from './store/queue-peek.js';
import { DynamoQueueStore } from './store/queue-store.js';
import {
  API_TABLES,
  DELIVERY_TABLES,
  FANOUT_TABLES,
  REPLAN_TABLES,
  WEBSOCKET_TABLES,
} from './store/schema.js';
import { DynamoWebhookStore } from './store/webhook-store.js';
import { createSyncConsumer } from './sync/consumer.js';
import { ReplanWorker } from './sync/replan.js';
import { assertAllowedUrl } from './webhooks/address-policy.js';
import { DeliveryWorker } from './webhooks/delivery.js';

type Tables<T extends readonly string[]> = TrackerConfig<T[number] & keyof TrackerConfig['tables']>;

const clientFor = (config: { dynamodbEndpoint?: string }) => createDocumentClient(config.dynamodbEndpoint);

function authenticator(config: Tables<['nodes', 'auth']>, db: DynamoDBDocumentClient) {
  const store = new DynamoNodeStore(db, config.tables.nodes);
  const authStore = new DynamoAuthStore(db, config.tables.auth, newSigningSecret);
  return { store, authStore, auth: new Authenticator(config.authMode, store, authStore) };
}

function webhookStores(config: Tables<typeof DELIVERY_TABLES>, db: DynamoDBDocumentClient) {
  return {
    hooks: new DynamoWebhookStore(db, config.tables.webhooks),
    queue: new DynamoDeliveryQueue(db, config.tables.deliveries, config.events.retentionMs),
  };
}

const BACKLOG_CACHE_MS = 5_000;

/** `read(key)` answers kept for `ms`, so frequent status pages do not re-read what they just read. */
function cachedFor<T>(ms: number, read: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const kept = new Map<string, { at: number; value: Promise<T> }>();
  return (key) => {
    const hit = kept.get(key);
    if (hit && Date.now() - hit.at < ms) return hit.value;
    const value = read(key);
    value.catch(() => kept.delete(key));
    kept.set(key, { at: Date.now(), value });
    return value;
  };
}

/** The REST API (and the admin command's operation context). */
export function createTracker(config: Tables<typeof API_TABLES>, db = clientFor(config)) {
  const { store, authStore, auth } = authenticator(config, db);
  const webhooks: WebhookAdmin = {
    ...webhookStores(config, db),
    checkUrl: (url) => assertAllowedUrl(url, config.events.webhookAllow),
  };
  const sync = new DynamoQueueStore(db, config.tables.queue, config.tables.nodes);
  // The sites routes' hooks (core/sites.ts); a backlog reads a site's whole queue, so it is cached.
  const sites = {
    queuePeek: queuePeek(sync, store),
    backlog: cachedFor(BACKLOG_CACHE_MS, (site: string) => sync.backlog(site)),
  };
  const api = createApiHandler({ store, auth, authorMode: config.authorMode, webhooks, sync, sites });
  /** An operation context for trusted local callers (the admin command): an admin without a name. */
  const adminContext = (now = Date.now): OpContext => ({
    store,
    accounts: auth,
    caller: OPEN_CALLER,
    authorMode: config.authorMode,
    now,
    deadline: Infinity,
    webhooks,
    sync,
  });
  return { db, store, authStore, auth, api, adminContext, sync };
}

export type Tracker = ReturnType<typeof createTracker>;

/** The WebSocket API's handler ($connect, $disconnect, subscribe, ping, $default). */
export function createWebSocket(
  config: Tables<typeof WEBSOCKET_TABLES>,
  sender: ConnectionSender,
  db = clientFor(config),
) {
  const { auth } = authenticator(config, db);
  return createWebSocketHandler({
    auth,
    connections: new DynamoConnectionStore(db, config.tables.connections),
    sender,
    log: new DynamoEventLog(db, config.tables.events, config.events.retentionMs),
    replayGraceMs: config.events.replayGraceMs,
  });
}

/** The nodes-stream fan-out: event log, webhook queue, WebSocket pushes, work queues. */
export function createFanout(
  config: Tables<typeof FANOUT_TABLES>,
  sender: ConnectionSender,
  db = clientFor(config),
  deliveriesQueued?: (count: number) => Promise<void>,
) {
  return createFanoutHandler({
    deliveriesQueued,
    sync: createSyncConsumer(new DynamoQueueStore(db, config.tables.queue)),
    log: new DynamoEventLog(db, config.tables.events, config.events.retentionMs),
    connections: new DynamoConnectionStore(db, config.tables.connections),
    sender,
    ...webhookStores(config, db),
  });
}

/** The webhook delivery worker (a loop locally, a scheduled run in the cloud). */
export function createDeliveryWorker(config: Tables<typeof DELIVERY_TABLES>, db = clientFor(config)) {
  return new DeliveryWorker({ ...webhookStores(config, db), settings: config.events });
}

/** The re-planning worker of the work queues (a loop locally; `runOnce` for a scheduled function). */
export function createReplanWorker(config: Tables<typeof REPLAN_TABLES>, db = clientFor(config)) {
  return new ReplanWorker(new DynamoQueueStore(db, config.tables.queue, config.tables.nodes));
}
