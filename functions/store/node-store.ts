/**
 * The DynamoDB implementation of the NodeStore port: the only place that builds DynamoDB requests
 * for nodes. Creates are conditional (duplicates are detected atomically), updates touch only the
 * keys they name, multi-item reads are batched, and queries that a key or index can answer never scan.
 */
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import type { Node, NodeBody } from '../core/nodes.js';
import type { LockResult, NodeStore, Plan } from '../core/ports.js';
import { prefixRoot } from '../core/plan.js';
import { fromItem } from './items.js';
import {
  backoff,
  CAPACITY,
  chunk,
  conditionalPut,
  groupUnits,
  lockAllows,
  lockUpdate,
  prefixUpperBound,
  type LockAction,
  type PendingUnit,
} from './requests.js';
import { updateExpression } from './update-expression.js';
import {
  cancelledPositions,
  isConditionFailed,
  isRetryableTransaction,
  mapStoreError,
  sleep,
} from './errors.js';
import type { IndexName } from './schema.js';

const BATCH_GET_SIZE = 100;
/** Most DynamoDB requests one store has in flight; every request goes through `track`. */
const MAX_IN_FLIGHT = 16;

/** Read and write capacity consumed by this store instance (for the benchmark and logs). */
export interface CapacityCounter {
  read: number;
  write: number;
}

export class DynamoNodeStore implements NodeStore {
  readonly consumed: CapacityCounter = { read: 0, write: 0 };
  private readonly limit = pLimit(MAX_IN_FLIGHT);

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(id: string): Promise<Node | undefined> {
    const out = await this.read(() =>
      this.db.send(
        new GetCommand({ TableName: this.table, Key: { pk: id }, ConsistentRead: true, ...CAPACITY }),
      ),
    );
    return out.Item ? fromItem(out.Item) : undefined;
  }

  async getMany(ids: readonly string[]): Promise<(Node | undefined)[]> {
    const found = new Map<string, Node>();
    const unique = [...new Set(ids)];
    const chunks = chunk(unique, BATCH_GET_SIZE);
    await Promise.all(chunks.map((keys) => this.batchGet(keys, found)));
    return ids.map((id) => found.get(id));
  }

  private async batchGet(ids: string[], found: Map<string, Node>): Promise<void> {
    let keys: Record<string, unknown>[] = ids.map((pk) => ({ pk }));
    for (let attempt = 0; keys.length > 0; attempt++) {
      if (attempt > 0) await sleep(backoff(attempt));
      const out = await this.read(() =>
        this.db.send(
          new BatchGetCommand({
            RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } },
            ...CAPACITY,
          }),
        ),
      );
      for (const item of out.Responses?.[this.table] ?? []) found.set(item.pk as string, fromItem(item));
      keys = out.UnprocessedKeys?.[this.table]?.Keys ?? [];
      if (attempt > 8 && keys.length > 0) throw new Error('BatchGetItem kept returning unprocessed keys');
    }
  }

  /**
   * Single-node units are conditional PutItems in parallel; multi-node units (publish: file +
   * history child) go several to a transaction (≤ 100 actions), each unit all-or-nothing. When a
   * transaction is cancelled, the units whose first node already exists drop out and the rest retry.
   */
  async create(units: readonly Node[][]): Promise<boolean[]> {
    const written = units.map(() => false);
    const singles = units.flatMap((unit, index) => (unit.length === 1 ? [index] : []));
    const groups = groupUnits(
      units.flatMap((unit, index) => (unit.length > 1 ? [{ index, nodes: unit }] : [])),
    );
    await Promise.all([
      ...singles.map(async (index) => (written[index] = await this.putNew(units[index]![0]!))),
      ...groups.map((group) => this.transactUnits(group, written)),
    ]);
    return written;
  }

  private async putNew(node: Node): Promise<boolean> {
    try {
      await this.write(() =>
        this.db.send(new PutCommand({ ...conditionalPut(this.table, node), ...CAPACITY })),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  private async transactUnits(group: PendingUnit[], written: boolean[]): Promise<void> {
    let pending = group;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const items = pending.flatMap((unit) =>
        unit.nodes.map((node) => ({ Put: conditionalPut(this.table, node) })),
      );
      try {
        await this.write(() => this.db.send(new TransactWriteCommand({ TransactItems: items, ...CAPACITY })));
        for (const unit of pending) written[unit.index] = true;
        return;
      } catch (error) {
        if (attempt >= 8 || !(isConditionFailed(error) || isRetryableTransaction(error))) throw error;
        const failed = new Set(cancelledPositions(error, 'ConditionalCheckFailed'));
        let position = 0;
        pending = pending.filter((unit) => {
          const positions = unit.nodes.map(() => position++);
          return !positions.some((p) => failed.has(p));
        });
        if (failed.size === 0) await sleep(backoff(attempt + 1));
      }
    }
  }

  async update(id: string, set: NodeBody, remove: readonly string[]): Promise<Node | undefined> {
    try {
      const out = await this.write(() =>
        this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { pk: id },
            ...updateExpression(set, remove),
            ConditionExpression: 'attribute_exists(pk)',
            ReturnValues: 'ALL_NEW',
            ...CAPACITY,
          }),
        ),
      );
      return fromItem(out.Attributes!);
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }

  async upsert(id: string, set: NodeBody, remove: readonly string[], whenNew: Node): Promise<Node> {
    // Update if it exists, else create; a concurrent creator between the two makes us update again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const updated = await this.update(id, set, remove);
      if (updated) return updated;
      const [created] = await this.create([[whenNew]]);
      if (created) return whenNew;
    }
    throw new Error(`upsert of ${id} kept racing with concurrent deletes and creates`);
  }

  delete(ids: readonly string[]): Promise<boolean[]> {
    return Promise.all(
      ids.map(async (id) => {
        const out = await this.write(() =>
          this.db.send(
            new DeleteCommand({
              TableName: this.table,
              Key: { pk: id },
              ReturnValues: 'ALL_OLD',
              ...CAPACITY,
            }),
          ),
        );
        return out.Attributes !== undefined;
      }),
    );
  }

  /**
   * Locks or unlocks all ids for `username` in one transaction, so either every node changes or
   * none does: an id locked by someone else makes the whole call a no-op reported as 'conflict';
   * missing ids are reported 'notFound' and the others are written.
   */
  async setLock(ids: readonly string[], username: string, action: LockAction): Promise<LockResult[]> {
    const results = new Map<string, LockResult>();
    let pending = [...new Set(ids)];
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 8) throw new Error(`${action} kept failing on concurrent changes`);
      try {
        const updates = pending.map((id) => lockUpdate(this.table, id, username, action));
        if (updates.length === 1)
          await this.write(() => this.db.send(new UpdateCommand({ ...updates[0]!, ...CAPACITY })));
        else {
          const items = updates.map((Update) => ({ Update }));
          await this.write(() =>
            this.db.send(new TransactWriteCommand({ TransactItems: items, ...CAPACITY })),
          );
        }
        for (const id of pending) results.set(id, 'ok');
        pending = [];
      } catch (error) {
        if (isRetryableTransaction(error)) {
          await sleep(backoff(attempt + 1));
          continue;
        }
        if (!isConditionFailed(error)) throw error;
        // Find out which ids cannot be changed now: held by someone else, or missing.
        const nodes = await this.getMany(pending);
        const held = pending.filter((_, i) => nodes[i] && !lockAllows(nodes[i]!.lock, username));
        if (held.length > 0) return ids.map((id) => (held.includes(id) ? 'conflict' : 'ok'));
        for (const id of pending.filter((_, i) => !nodes[i])) results.set(id, 'notFound');
        pending = pending.filter((id) => !results.has(id));
      }
    }
    return ids.map((id) => results.get(id)!);
  }

  async *find(plan: Plan): AsyncIterable<Node[]> {
    switch (plan.kind) {
      case 'get':
        yield (await this.getMany(plan.ids)).filter((n): n is Node => n !== undefined);
        return;
      case 'dir': {
        // A "direct children" pattern may also match the folder node itself: read it alongside.
        const folder = this.get(plan.dir);
        folder.catch(() => {}); // awaited below; never an unhandled rejection meanwhile
        yield* this.query('byDir', 'dir', plan.dir);
        const node = await folder;
        if (node) yield [node];
        return;
      }
      case 'parent':
        yield* this.query('byParent', 'parent', plan.parent);
        return;
      case 'target':
        yield* this.query('byTarget', 'target', plan.target);
        return;
      case 'prefix': {
        const root = prefixRoot(plan.prefix);
        if (root) yield* this.query('byRoot', 'root', root, plan.prefix);
        else
          yield* this.scan({
            FilterExpression: 'begins_with(pk, :prefix)',
            ExpressionAttributeValues: { ':prefix': plan.prefix },
          });
        return;
      }
      case 'scan':
        yield* this.scan({});
    }
  }

  private async *query(
    index: IndexName,
    keyName: string,
    key: string,
    prefix?: string,
  ): AsyncIterable<Node[]> {
    const upper = prefix === undefined ? undefined : prefixUpperBound(prefix);
    const range = upper
      ? ' AND pk BETWEEN :prefix AND :upper'
      : prefix
        ? ' AND begins_with(pk, :prefix)'
        : '';
    const input: QueryCommandInput = {
      TableName: this.table,
      IndexName: index,
      KeyConditionExpression: `#k = :k${range}`,
      ExpressionAttributeNames: { '#k': keyName },
      ExpressionAttributeValues: {
        ':k': key,
        ...(prefix ? { ':prefix': prefix } : {}),
        ...(upper ? { ':upper': upper } : {}),
      },
      ...CAPACITY,
    };
    do {
      const out = await this.read(() => this.db.send(new QueryCommand(input)));
      yield (out.Items ?? []).map(fromItem);
      input.ExclusiveStartKey = out.LastEvaluatedKey;
    } while (input.ExclusiveStartKey);
  }

  private async *scan(filter: Partial<ScanCommandInput>): AsyncIterable<Node[]> {
    const input: ScanCommandInput = { TableName: this.table, ...filter, ...CAPACITY };
    do {
      const out = await this.read(() => this.db.send(new ScanCommand(input)));
      yield (out.Items ?? []).map(fromItem);
      input.ExclusiveStartKey = out.LastEvaluatedKey;
    } while (input.ExclusiveStartKey);
  }

  /** Runs a request, counts the capacity it consumed and maps SDK errors to domain errors. */
  private read<T extends Consumed>(run: () => Promise<T>): Promise<T> {
    return this.track('read', run);
  }

  private write<T extends Consumed>(run: () => Promise<T>): Promise<T> {
    return this.track('write', run);
  }

  private async track<T extends Consumed>(kind: 'read' | 'write', run: () => Promise<T>): Promise<T> {
    try {
      const out = await this.limit(run);
      for (const c of [out.ConsumedCapacity ?? []].flat()) this.consumed[kind] += c.CapacityUnits ?? 0;
      return out;
    } catch (error) {
      if (isConditionFailed(error)) throw error;
      throw mapStoreError(error);
    }
  }
}

type Consumed = { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] };
