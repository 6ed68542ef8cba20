/**
 * The request runner every DynamoDB call of a store goes through: it caps the requests in flight,
 * counts the capacity they consumed and maps SDK errors to domain errors (condition failures pass
 * through unmapped, for the callers that resolve them).
 */
import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import {
  PutCommand,
  QueryCommand,
  ScanCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { isConditionFailed, mapStoreError } from './errors.js';
import { CAPACITY } from './requests.js';

/** Most DynamoDB requests one runner (so one store) has in flight. */
export const MAX_IN_FLIGHT = 16;

/** Read and write capacity consumed through a runner (for the benchmark and logs). */
export interface CapacityCounter {
  read: number;
  write: number;
}

type Consumed = { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] };

export class RequestRunner {
  readonly consumed: CapacityCounter = { read: 0, write: 0 };
  private readonly limit = pLimit(MAX_IN_FLIGHT);

  /** Runs a request without counting capacity. */
  run<T>(request: () => Promise<T>): Promise<T> {
    return this.track(undefined, request);
  }

  /** Runs a request and counts its consumed capacity as reads. */
  read<T extends Consumed>(request: () => Promise<T>): Promise<T> {
    return this.track('read', request);
  }

  /** Runs a request and counts its consumed capacity as writes. */
  write<T extends Consumed>(request: () => Promise<T>): Promise<T> {
    return this.track('write', request);
  }

  /** Runs a conditional write: its answer, or undefined when its condition did not hold. */
  async writeIf<T extends Consumed>(request: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.write(request);
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }

  /** Puts an item only if its key is new; false when it exists (a replay, a concurrent writer). */
  async putNew(db: DynamoDBDocumentClient, table: string, item: Record<string, unknown>, key = 'pk') {
    const out = await this.writeIf(() =>
      db.send(
        new PutCommand({
          TableName: table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#key)',
          ExpressionAttributeNames: { '#key': key },
          ...CAPACITY,
        }),
      ),
    );
    return out !== undefined;
  }

  /** Every page of a Query (or a Scan), following LastEvaluatedKey; reads counted. */
  async *pages(
    db: DynamoDBDocumentClient,
    input: QueryCommandInput | ScanCommandInput,
    operation: 'query' | 'scan' = 'query',
  ): AsyncGenerator<Record<string, unknown>[]> {
    const request = { ...input };
    do {
      const out = await this.read(() =>
        db.send(operation === 'query' ? new QueryCommand(request) : new ScanCommand(request)),
      );
      yield out.Items ?? [];
      request.ExclusiveStartKey = out.LastEvaluatedKey;
    } while (request.ExclusiveStartKey);
  }

  /** Every item of a Query (or a Scan). */
  async all(
    db: DynamoDBDocumentClient,
    input: QueryCommandInput | ScanCommandInput,
    operation: 'query' | 'scan' = 'query',
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for await (const page of this.pages(db, input, operation)) items.push(...page);
    return items;
  }

  private async track<T>(kind: keyof CapacityCounter | undefined, request: () => Promise<T>): Promise<T> {
    try {
      const out = await this.limit(request);
      if (kind)
        for (const c of [(out as Consumed).ConsumedCapacity ?? []].flat())
          this.consumed[kind] += c.CapacityUnits ?? 0;
      return out;
    } catch (error) {
      if (isConditionFailed(error)) throw error;
      throw mapStoreError(error);
    }
  }
}

/** What the node store's request modules share: the client, the table and the runner. */
export interface StoreContext {
  readonly db: DynamoDBDocumentClient;
  readonly table: string;
  readonly runner: RequestRunner;
}
