/**
 * The local runtime: DynamoDB Local (or an existing endpoint), the tables, and the API handlers
 * served on 127.0.0.1. Used by `npm start`, the tests and the benchmark.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { AuthMode } from '../functions/auth/authenticator.js';
import { createTracker, type Tracker } from '../functions/tracker.js';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.js';
import { createHttpServer } from './http-adapter.js';
import { assertPortFree, isLoopback } from './net.js';
import { ensureTables, tableNames } from './tables.js';

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

export async function startLocalTracker(options: LocalOptions = {}): Promise<LocalTracker> {
  const host = options.host ?? '127.0.0.1';
  const auth = options.auth ?? (isLoopback(host) ? 'open' : 'jwt');
  if (auth === 'open' && !isLoopback(host)) {
    throw new Error(
      `open mode (no authentication) is only allowed on loopback; use --auth jwt to listen on ${host}`,
    );
  }
  if (options.port) {
    await assertPortFree(host, options.port).catch((error: Error) => {
      throw new Error(`${error.message} (is another tracker running?); choose another with --port`);
    });
  }

  let dynamo: DynamoDbLocal | undefined;
  if (!options.dynamodbEndpoint) {
    dynamo = await startDynamoDbLocal(options.dataDir ? { dataDir: options.dataDir } : {});
  }
  try {
    const endpoint = options.dynamodbEndpoint ?? dynamo!.endpoint;
    const names = tableNames(options.tablePrefix);
    const tracker = createTracker({
      ...names,
      authMode: auth,
      authorMode: options.authorMode ?? false,
      dynamodbEndpoint: endpoint,
    });
    await ensureTables(tracker.db, names);
    const server = createHttpServer(tracker.api);
    server.listen(options.port ?? 0, host);
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    let closing: Promise<void> | undefined;
    return {
      url,
      apiUrl: `${url}/api/`,
      dynamodbEndpoint: endpoint,
      tracker,
      close: () =>
        (closing ??= (async () => {
          server.closeAllConnections();
          await new Promise((resolve) => server.close(resolve));
          tracker.db.destroy();
          await dynamo?.stop();
        })()),
    };
  } catch (error) {
    await dynamo?.stop();
    throw error;
  }
}
