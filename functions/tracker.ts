/** Wires the tracker's parts from its configuration; used by the Lambda entry and the local runtime. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Authenticator } from './auth/authenticator.js';
import { newSigningSecret } from './auth/tokens.js';
import type { TrackerConfig } from './config.js';
import { createApiHandler } from './http/api.js';
import { DynamoAuthStore } from './store/auth-store.js';
import { createDocumentClient } from './store/dynamo-client.js';
import { DynamoNodeStore } from './store/node-store.js';

export function createTracker(
  config: TrackerConfig,
  db: DynamoDBDocumentClient = createDocumentClient(config.dynamodbEndpoint),
) {
  const store = new DynamoNodeStore(db, config.nodesTable);
  const authStore = new DynamoAuthStore(db, config.authTable, newSigningSecret);
  const auth = new Authenticator(config.authMode, store, authStore);
  const api = createApiHandler({ store, auth, authorMode: config.authorMode });
  return { db, store, authStore, auth, api };
}

export type Tracker = ReturnType<typeof createTracker>;
