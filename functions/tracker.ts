/** Wires the tracker's parts from its configuration; used by the Lambda entry and the local runtime. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Authenticator } from './auth/authenticator.js';
import { newSigningSecret } from './auth/tokens.js';
import type { TrackerConfig } from './config.js';
import type { OpContext } from './core/ops/context.js';
import { OPEN_CALLER } from './core/permissions.js';
import { createApiHandler } from './http/api.js';
import { DynamoAuthStore } from './store/auth-store.js';
import { createDocumentClient } from './store/dynamo-client.js';
import { DynamoNodeStore } from './store/node-store.js';

/** The tables the REST API (and the admin command) use. */
export const API_TABLES = ['nodes', 'auth'] as const;
export type ApiConfig = TrackerConfig<(typeof API_TABLES)[number]>;

export function createTracker(
  config: ApiConfig,
  db: DynamoDBDocumentClient = createDocumentClient(config.dynamodbEndpoint),
) {
  const store = new DynamoNodeStore(db, config.tables.nodes);
  const authStore = new DynamoAuthStore(db, config.tables.auth, newSigningSecret);
  const auth = new Authenticator(config.authMode, store, authStore);
  const api = createApiHandler({ store, auth, authorMode: config.authorMode });
  /** An operation context for trusted local callers (the admin command): an admin without a name. */
  const adminContext = (now = Date.now): OpContext => ({
    store,
    accounts: auth,
    caller: OPEN_CALLER,
    authorMode: config.authorMode,
    now,
    deadline: Infinity,
  });
  return { db, store, authStore, auth, api, adminContext };
}

export type Tracker = ReturnType<typeof createTracker>;
