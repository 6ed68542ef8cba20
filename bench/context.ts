/** What every figure group gets: the running tracker, its store, and a raw client for baselines. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LocalTracker } from '../local/runtime.js';
import type { DynamoNodeStore } from '../functions/store/node-store.js';

export interface Bench {
  local: LocalTracker;
  /** The tracker's own store: `consumed.read` counts the RCU of API calls. */
  store: DynamoNodeStore;
  /** A separate document client with the tracker's configuration, for the raw DynamoDB baselines. */
  raw: DynamoDBDocumentClient;
  table: string;
  quick: boolean;
  /** Progress to stderr (stdout carries the results). */
  log(message: string): void;
}

/** DynamoDB requests in flight: the store's own bound (MAX_IN_FLIGHT in node-store.ts), used by baselines. */
export const DYNAMO_CONCURRENCY = 16;
