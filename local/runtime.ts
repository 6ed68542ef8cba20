/**
 * The local runtime: DynamoDB Local (or an existing endpoint), the tables, and the Lambda handlers
 * mounted on one local host on 127.0.0.1. Used by `npm start`, the tests and the benchmark.
 */
import { loadConfig, SETTINGS_ENV, tableEnvironment } from '../functions/config.js';
import type { AuthMode } from '../functions/core/permissions.js';
import { localTableNames } from '../functions/store/schema.js';
import { API_TABLES, createTracker, type Tracker } from '../functions/tracker.js';
import { startDynamoDbLocal } from './dynamodb/launch.js';
import { LocalHost } from './host.js';
import { assertPortFree, isLoopback } from './net.js';
import { restMount } from './rest-adapter.js';
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
    ...(endpoint ? { [SETTINGS_ENV.dynamodbEndpoint]: endpoint } : {}),
  };
}

export async function startLocalTracker(options: LocalOptions = {}): Promise<LocalTracker> {
  const host = options.host ?? '127.0.0.1';
  const auth = authModeFor(host, options.auth);
  if (options.port) await checkPort(host, options.port);
  const database = await startDatabase(options);
  try {
    const tracker = createTracker(
      loadConfig(API_TABLES, localEnvironment(database.endpoint, { ...options, auth })),
    );
    await ensureTables(tracker.db, localTableNames(options.tablePrefix));
    const localHost = mountHandlers(new LocalHost(), tracker);
    const url = await localHost.listen(host, options.port ?? 0);
    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        await localHost.close();
        tracker.db.destroy();
        await database.stop();
      })());
    return { url, apiUrl: `${url}/api/`, dynamodbEndpoint: database.endpoint, tracker, close };
  } catch (error) {
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

/** What runs where: the REST API at /api. */
function mountHandlers(host: LocalHost, tracker: Tracker): LocalHost {
  return host.mount('/api', restMount(tracker.api));
}
