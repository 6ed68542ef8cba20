/** BatchWriteItem in chunks of 25, retrying unprocessed items with backoff. */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unavailable } from '../core/errors.js';
import { sleep } from './errors.js';
import { backoff, CAPACITY, chunk } from './requests.js';
import type { RequestRunner } from './runner.js';

const BATCH_WRITE_SIZE = 25;
const MAX_ATTEMPTS = 10;

export type WriteRequest =
  { PutRequest: { Item: Record<string, unknown> } } | { DeleteRequest: { Key: Record<string, unknown> } };

/** Writes every request (at most one per key: BatchWriteItem refuses two for one item). Not atomic. */
export async function batchWrite(
  runner: RequestRunner,
  db: DynamoDBDocumentClient,
  table: string,
  requests: readonly WriteRequest[],
): Promise<void> {
  await Promise.all(
    chunk(requests, BATCH_WRITE_SIZE).map(async (batch) => {
      let pending = batch;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= MAX_ATTEMPTS) throw unavailable('BatchWriteItem kept returning unprocessed items');
        if (attempt > 0) await sleep(backoff(attempt));
        const out = await runner.write(() =>
          db.send(new BatchWriteCommand({ RequestItems: { [table]: pending }, ...CAPACITY })),
        );
        pending = (out.UnprocessedItems?.[table] ?? []) as WriteRequest[];
      }
    }),
  );
}
