/**
 * The DynamoDB implementation of the SyncQueue port, on the queue table (key layout in queue-keys.ts):
 * the registry of volumes and global parameters (`pk = registry`, sk = node id, `node` = the node),
 * the per-site work queues kept from the nodes stream, claims (queue-claims.ts), results
 * (queue-results.ts) and re-planning tasks (task-store.ts).
 */
import {
  DeleteCommand,
  PutCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { SiteBacklog } from '../core/sites.js';
import type { Node } from '../core/nodes.js';
import type {
  ClaimDirection,
  ClaimedPair,
  ReplanTask,
  ResultOutcome,
  SiteList,
  SyncQueue,
  TransferResult,
} from '../core/ports.js';
import { GLOBAL_PARAMETERS_ID, isPlannedFile, isRegistryNode, isVolume } from '../core/sync.js';
import { batchWrite, type WriteRequest } from './batch-write.js';
import { claim, type QueueContext } from './queue-claims.js';
import {
  addChange,
  addReplan,
  partitionOf,
  QUEUE_SETS,
  SHARD_NUMBERS,
  type Planning,
  type QueueSet,
  type QueueItem,
  type QueueWrites,
} from './queue-keys.js';
import { applyResults } from './queue-results.js';
import { CAPACITY } from './requests.js';
import { RequestRunner, type CapacityCounter } from './runner.js';
import { DynamoTaskStore } from './task-store.js';

const REGISTRY = 'registry';

export class DynamoQueueStore implements SyncQueue {
  private readonly runner = new RequestRunner();
  private readonly ctx: QueueContext;
  readonly consumed: CapacityCounter = this.runner.consumed;
  readonly taskStore: DynamoTaskStore;

  /** `nodesTable` is needed for claims, results and re-planning (not by the fan-out). */
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    nodesTable = '',
  ) {
    this.ctx = { db, table, nodesTable, runner: this.runner };
    this.taskStore = new DynamoTaskStore(db, table, nodesTable, this.runner);
  }

  // ---- registry ----

  /** Every volume (by id) and the global parameters, in one Query of the registry partition. */
  async planning(): Promise<SiteList> {
    const items = await this.runner.all(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': REGISTRY },
      ConsistentRead: true,
      ...CAPACITY,
    });
    const nodes = items.map((item) => item.node as Node);
    return { volumes: nodes.filter(isVolume), globals: nodes.find((n) => n._id === GLOBAL_PARAMETERS_ID) };
  }

  async volumes(): Promise<Node[]> {
    return (await this.planning()).volumes;
  }

  async globals(): Promise<Node | undefined> {
    return (await this.planning()).globals;
  }

  /** Records a volume or the global parameters as they now are (null: no longer one). */
  async setRegistry(id: string, node: Node | null): Promise<void> {
    const Key = { pk: REGISTRY, sk: id };
    await this.runner.write(() =>
      isRegistryNode(node)
        ? this.db.send(new PutCommand({ TableName: this.table, Item: { ...Key, node }, ...CAPACITY }))
        : this.db.send(new DeleteCommand({ TableName: this.table, Key, ...CAPACITY })),
    );
  }

  // ---- queue projection ----

  /** Applies node changes (old and new image, in stream order) to the queues. Idempotent. */
  async applyChanges(changes: readonly [Node | null, Node | null][], planning: Planning): Promise<void> {
    const writes: QueueWrites = new Map();
    for (const [old, next] of changes) {
      if (isPlannedFile(old) || isPlannedFile(next)) {
        addChange(writes, isPlannedFile(old) ? old : null, isPlannedFile(next) ? next : null, planning);
      }
    }
    await this.write(writes);
  }

  /** Re-plans files for `sites` (every volume when empty), as a re-planning task does. */
  async replan(nodes: readonly Node[], planning: Planning, sites: readonly string[]): Promise<void> {
    const all = sites.length > 0 ? sites : planning.volumes.map((v) => v.name as string);
    const writes: QueueWrites = new Map();
    for (const node of nodes) if (isPlannedFile(node)) addReplan(writes, node, planning, all);
    await this.write(writes);
  }

  private async write(writes: QueueWrites): Promise<void> {
    const requests = [...writes.values()].map((w): WriteRequest =>
      'delete' in w ? { DeleteRequest: { Key: w.delete } } : { PutRequest: { Item: { ...w } } },
    );
    await batchWrite(this.runner, this.db, this.table, requests);
  }

  /**
   * A site's backlog: pending pairs (ready and waiting) with their bytes and oldest time, leased
   * pairs, and failures by exit code. Reads the site's whole queue (proportional to its backlog,
   * never to the files tracked); callers cache it.
   */
  async backlog(site: string): Promise<SiteBacklog> {
    const backlog: SiteBacklog = { pending: 0, bytes: 0, syncing: 0, errors: {} };
    const count = async (set: QueueSet, shard: number) => {
      const input: QueryCommandInput = {
        TableName: this.table,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': partitionOf(site, set, shard) },
        ProjectionExpression: '#t, size, #e',
        ExpressionAttributeNames: { '#t': 'time', '#e': 'error' },
        ...CAPACITY,
      };
      for await (const page of this.runner.pages(this.db, input)) {
        for (const item of page as Partial<QueueItem>[]) {
          if (set === 'lease') {
            backlog.syncing! += 1;
            continue;
          }
          backlog.pending += 1;
          backlog.bytes += item.size ?? 0;
          if (item.time !== undefined)
            backlog.oldestPendingTime = Math.min(backlog.oldestPendingTime ?? item.time, item.time);
          if (item.error !== undefined) backlog.errors![item.error] = (backlog.errors![item.error] ?? 0) + 1;
        }
      }
    };
    await Promise.all(QUEUE_SETS.flatMap((set) => SHARD_NUMBERS.map((shard) => count(set, shard))));
    return backlog;
  }

  /** The first `limit` ready pairs of a site, in queue order (4 Queries of at most `limit` items). */
  async pending(site: string, limit: number): Promise<QueueItem[]> {
    const shards = await Promise.all(
      SHARD_NUMBERS.map(async (shard) => {
        const out = await this.runner.read(() =>
          this.db.send(
            new QueryCommand({
              TableName: this.table,
              KeyConditionExpression: 'pk = :p',
              ExpressionAttributeValues: { ':p': partitionOf(site, 'ready', shard) },
              Limit: limit,
              ...CAPACITY,
            }),
          ),
        );
        return (out.Items ?? []) as QueueItem[];
      }),
    );
    return shards
      .flat()
      .sort((a, b) => (a.order < b.order ? -1 : 1))
      .slice(0, limit);
  }

  // ---- claims and results ----

  async claim(
    site: string,
    limit: number,
    leaseMs: number,
    now: number,
    direction: ClaimDirection,
    registry?: SiteList,
  ): Promise<ClaimedPair[]> {
    const planning = registry ?? (await this.planning());
    const volume = planning.volumes.find((v) => v.name === site);
    const off = direction === 'emission' ? volume?.enableEmission : volume?.enableReception;
    if (!volume || off === false) return [];
    return claim(this.ctx, site, limit, leaseMs, now, direction, planning);
  }

  results(site: string, results: readonly TransferResult[], now: number): Promise<ResultOutcome[]> {
    return applyResults(this.ctx, site, results, now);
  }

  // ---- tasks ----

  tasks(limit: number): Promise<ReplanTask[]> {
    return this.taskStore.list(limit);
  }

  startTask(id: string, reason: string, sites: readonly string[], now: number): Promise<void> {
    return this.taskStore.start(id, reason, sites, now);
  }
}
