/**
 * The local runtime: DynamoDB Local (or an existing endpoint), the tables, and the Lambda handlers
 * mounted on one local host on 127.0.0.1. Used by `npm start`, the tests and the benchmark.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadConfig, SETTINGS_ENV, tableEnvironment, type TrackerConfig } from '../functions/config.js';
import type { AuthMode } from '../functions/core/permissions.js';
import { managementSender } from '../functions/events/management-sender.js';
import { WEBSOCKET_ROUTES } from '../functions/events/websocket.js';
import { createDocumentClient } from '../functions/store/dynamo-client.js';
import { localTableNames, TABLE_KEYS } from '../functions/store/schema.js';
import {
  createDeliveryWorker,
  createFanout,
  createReplanWorker,
  createTracker,
  createWebSocket,
  type Tracker,
} from '../functions/tracker.js';
import { startDynamoDbLocal } from './dynamodb/launch.js';
import { LocalHost } from './host.js';
import { assertPortFree, isLoopback } from './net.js';
import { restMount } from './rest-adapter.js';
import { staticMount } from './static-mount.js';
import { startStreamPoller } from './stream-poller.js';
import { createWebSocketAdapter } from './websocket-adapter.js';
import { ensureTables } from './tables.js';

export interface LocalOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  auth?: AuthMode;
  authorMode?: boolean;
  /** Folder for DynamoDB Local's files; undefined keeps everything in memory. */
  dataDir?: string;
  /** Use this DynamoDB instead of starting DynamoDB Local (tests share one). */
  dynamodbEndpoint?: string;
  tablePrefix?: string;
  /** Event and webhook settings by variable (EVENT_RETENTION, WEBHOOK_RETRIES…), as in the cloud. */
  settings?: Record<string, string>;
}

export interface LocalTracker {
  url: string;
  apiUrl: string;
  dynamodbEndpoint: string;
  tracker: Tracker;
  close(): Promise<void>;
}

/** The environment the handlers would get from the infra, for local tables on `endpoint`. */
export function localEnvironment(
  endpoint: string | undefined,
  settings: { tablePrefix?: string; auth: AuthMode; authorMode?: boolean },
): Record<string, string> {
  return {
    ...tableEnvironment(localTableNames(settings.tablePrefix)),
    [SETTINGS_ENV.authMode]: settings.auth,
    [SETTINGS_ENV.authorMode]: String(settings.authorMode ?? false),
    // Receivers on this machine are fine locally; the cloud allows public addresses only.
    [SETTINGS_ENV.webhookAllow]: 'loopback',
    ...(endpoint ? { [SETTINGS_ENV.dynamodbEndpoint]: endpoint } : {}),
  };
}

export async function startLocalTracker(options: LocalOptions = {}): Promise<LocalTracker> {
  const host = options.host ?? '127.0.0.1';
  const auth = authModeFor(host, options.auth);
  if (options.port) await checkPort(host, options.port);
  const database = await startDatabase(options);
  const localHost = new LocalHost({ held: true });
  try {
    const url = await localHost.listen(host, options.port ?? 0);
    const config = loadConfig(TABLE_KEYS, {
      ...localEnvironment(database.endpoint, { ...options, auth }),
      [SETTINGS_ENV.websocketEndpoint]: url,
      ...options.settings,
    });
    const db = createDocumentClient(config.dynamodbEndpoint);
    await ensureTables(db, config.tables);
    const tracker = await mountHandlers(localHost, config, db);
    localHost.ready();
    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        await localHost.close();
        db.destroy();
        await database.stop();
      })());
    return { url, apiUrl: `${url}/api/`, dynamodbEndpoint: database.endpoint, tracker, close };
  } catch (error) {
    await localHost.close();
    await database.stop();
    throw error;
  }
}

function authModeFor(host: string, requested: AuthMode | undefined): AuthMode {
  const auth = requested ?? (isLoopback(host) ? 'open' : 'jwt');
  if (auth === 'open' && !isLoopback(host)) {
    throw new Error(
      `open mode (no authentication) is only allowed on loopback; use --auth jwt to listen on ${host}`,
    );
  }
  return auth;
}

async function checkPort(host: string, port: number): Promise<void> {
  await assertPortFree(host, port).catch((error: Error) => {
    throw new Error(`${error.message} (is another tracker running?); choose another with --port`);
  });
}

/** DynamoDB Local started for this runtime, or the endpoint given (left running on close). */
async function startDatabase(options: LocalOptions): Promise<{ endpoint: string; stop(): Promise<void> }> {
  if (options.dynamodbEndpoint) return { endpoint: options.dynamodbEndpoint, stop: async () => {} };
  return startDynamoDbLocal(options.dataDir ? { dataDir: options.dataDir } : {});
}

/**
 * What runs where, as in the cloud: the REST API at /api (and its metrics route at /metrics), the
 * WebSocket API at /ws with its management API at /@connections (what the fan-out's SDK client
 * calls), the dashboard at /, the nodes-stream poller feeding the fan-out, the webhook delivery
 * worker (nudged by the fan-out when it queues deliveries) and the re-planning worker.
 */
async function mountHandlers(
  host: LocalHost,
  config: TrackerConfig,
  db: DynamoDBDocumentClient,
): Promise<Tracker> {
  const tracker = createTracker(config, db);
  const sender = managementSender(config.events.websocketEndpoint!, true);
  const websocket = createWebSocketAdapter({
    handler: createWebSocket(config, sender, db),
    routes: WEBSOCKET_ROUTES,
  });
  const worker = createDeliveryWorker(config, db);
  worker.start();
  const poller = startStreamPoller({
    endpoint: config.dynamodbEndpoint!,
    table: config.tables.nodes,
    handler: createFanout(config, sender, db, async () => worker.nudge()),
  });
  const replan = createReplanWorker(config, db);
  replan.start();
  host
    .mount('/api', restMount(tracker.api))
    .mount('/metrics', restMount(tracker.api, '/metrics')) // Prometheus' usual path: the `metrics` route
    .mountUpgrade('/ws', websocket.upgrade)
    .mount('/@connections', websocket.management)
    .mount('/', staticMount()) // the dashboard (dashboard/dist)
    .run(poller)
    .run(worker)
    .run(replan)
    .run({ stop: () => websocket.close() });
  // Changes made from here on are all seen by the fan-out.
  await poller.ready;
  return tracker;
}
