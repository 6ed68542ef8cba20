/**
 * The DynamoDB implementation of the NodeStore port: the only place that builds DynamoDB requests
 * for nodes. Creates are conditional (duplicates are detected atomically), updates touch only the
 * keys they name and multi-item reads are batched; queries live in node-queries, locks in node-locks.
 */
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { unavailable } from '../core/errors.js';
import type { Node, NodeBody } from '../core/nodes.js';
import type { LockResult, NodeStore, Plan } from '../core/ports.js';
import { cancelledPositions, isConditionFailed, isRetryableTransaction, sleep } from './errors.js';
import { fromItem } from './items.js';
import * as locks from './node-locks.js';
import * as queries from './node-queries.js';
import { backoff, CAPACITY, chunk, conditionalPut, groupUnits, type PendingUnit } from './requests.js';
import { RequestRunner, type CapacityCounter, type StoreContext } from './runner.js';
import { updateExpression } from './update-expression.js';

export type { CapacityCounter } from './runner.js';

const BATCH_GET_SIZE = 100;

export class DynamoNodeStore implements NodeStore {
  private readonly runner = new RequestRunner();
  private readonly ctx: StoreContext;
  /** Read and write capacity consumed by this store instance (for the benchmark and logs). */
  readonly consumed: CapacityCounter = this.runner.consumed;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {
    this.ctx = { db, table, runner: this.runner };
  }

  async get(id: string): Promise<Node | undefined> {
    const out = await this.runner.read(() =>
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
      const out = await this.runner.read(() =>
        this.db.send(
          new BatchGetCommand({
            RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } },
            ...CAPACITY,
          }),
        ),
      );
      for (const item of out.Responses?.[this.table] ?? []) found.set(item.pk as string, fromItem(item));
      keys = out.UnprocessedKeys?.[this.table]?.Keys ?? [];
      if (attempt > 8 && keys.length > 0) throw unavailable('BatchGetItem kept returning unprocessed keys');
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
      await this.runner.write(() =>
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
        await this.runner.write(() =>
          this.db.send(new TransactWriteCommand({ TransactItems: items, ...CAPACITY })),
        );
        for (const unit of pending) written[unit.index] = true;
        return;
      } catch (error) {
        if (!(isConditionFailed(error) || isRetryableTransaction(error))) throw error;
        if (attempt >= 8) throw unavailable('TransactWriteItems kept being cancelled', error);
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
      const out = await this.runner.write(() =>
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

  async updateWithChild(id: string, set: NodeBody, remove: readonly string[], child: Node): Promise<boolean> {
    const update = {
      TableName: this.table,
      Key: { pk: id },
      ...updateExpression(set, remove),
      ConditionExpression: 'attribute_exists(pk)',
    };
    // A concurrent write to the node (a claim, a result) cancels the transaction: try again, as create does.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.runner.write(() =>
          this.db.send(
            new TransactWriteCommand({
              TransactItems: [{ Update: update }, { Put: conditionalPut(this.table, child) }],
              ...CAPACITY,
            }),
          ),
        );
        return true;
      } catch (error) {
        if (isConditionFailed(error)) return false;
        if (!isRetryableTransaction(error)) throw error;
        if (attempt >= 8) throw unavailable(`the change of ${id} kept conflicting with other writes`, error);
        await sleep(backoff(attempt + 1));
      }
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
    throw unavailable(`upsert of ${id} kept racing with concurrent deletes and creates`);
  }

  delete(ids: readonly string[]): Promise<boolean[]> {
    return Promise.all(
      ids.map(async (id) => {
        const out = await this.runner.write(() =>
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

  setLock(ids: readonly string[], username: string, action: 'lock' | 'unlock'): Promise<LockResult[]> {
    return locks.setLock(this.ctx, this, ids, username, action);
  }

  find(plan: Plan): AsyncIterable<Node[]> {
    return queries.find(this.ctx, this, plan);
  }
}
