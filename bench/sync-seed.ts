/**
 * The sync figures' data set, on a DynamoDB Local of its own. Each write to a table with a stream
 * makes DynamoDB Local look up the oldest record of that stream, walking the stream records of all
 * tables from the oldest on: a table whose records all come after 30k records of another table's
 * stream took 157 puts/s against 796/s (one-off check), and on the bench's instance, after its
 * seeding, writes to the sync tables ran at ~15/s instead of ~220/s.
 *
 * Volumes A, B, C and D in the queue registry (and as nodes); files published at A, written with raw
 * BatchWriteItem in the store's item layout; their queue items written by the queue store's
 * `applyChanges` (what the stream consumer calls for new files), so the queues are complete when a
 * seeding returns. No stream poller reads these tables until `startHost`, whose poller begins at
 * the stream's end: the seeding is not replayed.
 *
 * Each file is current at A (origin) and D (`synced_D`: D's queue stays empty). At B it is pending,
 * failed (retry due in 6 h) or synced: B's backlog is backlogAt(N) pending and as many failed pairs.
 * At C it is synced, except for the `pendingAtC` files a seeding is asked for (the claims pool).
 */
import type { DynamoDBDocumentClient, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Node } from '../functions/core/nodes.js';
import { createDocumentClient } from '../functions/store/dynamo-client.js';
import { toItem } from '../functions/store/items.js';
import type { Planning } from '../functions/store/queue-keys.js';
import { DynamoQueueStore } from '../functions/store/queue-store.js';
import { localTableNames } from '../functions/store/schema.js';
import { startDynamoDbLocal, type DynamoDbLocal } from '../local/dynamodb/launch.js';
import { startLocalTracker, type LocalTracker } from '../local/runtime.js';
import { ensureTables } from '../local/tables.js';
import type { Bench } from './context.js';
import { batchWrite } from './seed.js';

const SYNC_PREFIX = 'bench-sync';
const SITES = ['A', 'B', 'C', 'D'] as const;
/** rsync's "partial transfer" exit code, on the failed pairs. */
const FAILED_CODE = 23;
/** Failures in a row on the failed pairs: the retry is 6 h (the cap) after the last attempt. */
const FAILED_ATTEMPTS = 10;

/** Pending pairs at B with N files tracked (and as many failed ones): a tenth of N, at least 1,000. */
export const backlogAt = (files: number): number =>
  Math.min(Math.floor(files / 2), Math.max(1_000, Math.floor(files / 10)));

/**
 * The queue store's claim of one file (its conditional UpdateItem in queue-claims.ts) as a raw
 * request, for the baselines: lease `fileId` at `site` from `at` until `until`, if the file is still
 * at `time` and no lease runs. Sent for a site no volume names, it moves no queue item.
 */
export const rawClaim = (
  table: string,
  site: string,
  { fileId, time }: { fileId: string; time: number },
  at: number,
  until: number,
): UpdateCommandInput => ({
  TableName: table,
  Key: { pk: fileId },
  UpdateExpression: 'SET #d.#sy = :now, #d.#ls = :until',
  ConditionExpression:
    'attribute_exists(pk) AND #d.#t = :time AND (attribute_not_exists(#d.#ls) OR #d.#ls <= :now)',
  ExpressionAttributeNames: {
    '#d': 'doc',
    '#t': 'time',
    '#sy': `syncing_${site}`,
    '#ls': `syncLease_${site}`,
  },
  ExpressionAttributeValues: { ':now': at, ':until': until, ':time': time },
});

const volumeNode = (site: string): Node => ({
  _id: `vol-${site.toLowerCase()}`,
  name: site,
  url: `ssh://sync@${site.toLowerCase()}:22/data/`,
});

const syncFileId = (i: number): string =>
  `/sync/s${String(Math.floor(i / 100)).padStart(4, '0')}/f${String(i).padStart(7, '0')}.exr`;

type AtB = 'pending' | 'failed' | 'synced';

/** A file published at A (as publish stores it), current at D, in the given state at B and C. */
function syncFile(i: number, time: number, atB: AtB, pendingAtC: boolean): Node {
  const file: Node = {
    _id: syncFileId(i),
    author: 'anonymous',
    time,
    origin: 'A',
    comment: 'benchmark file',
    file_size: 1_048_576,
    file_mtime: time - 60_000,
    synced_D: time,
  };
  if (!pendingAtC) file.synced_C = time;
  if (atB === 'synced') file.synced_B = time;
  if (atB === 'failed') {
    Object.assign(file, {
      syncError_B: FAILED_CODE,
      syncLastAttempt_B: time,
      syncAttempts_B: FAILED_ATTEMPTS,
      syncErrorMessage_B: 'rsync: partial transfer',
    });
  }
  return file;
}

export class SyncData {
  readonly tables = localTableNames(SYNC_PREFIX);
  /** A raw client of this instance, for seeding and the baselines. */
  readonly raw: DynamoDBDocumentClient;
  /** A queue store of its own for the capacity figure (its `consumed.read` counts only its polls). */
  readonly queue: DynamoQueueStore;
  readonly planning: Planning = { volumes: SITES.map(volumeNode) };
  /** The local tracker on these tables, once started. */
  host: LocalTracker | undefined;
  /** Files seeded so far, and how many of them are pending and failed at B. */
  private files = 0;
  private pendingB = 0;
  private failedB = 0;

  private constructor(
    private readonly bench: Bench,
    private readonly dynamo: DynamoDbLocal,
  ) {
    this.raw = createDocumentClient(dynamo.endpoint);
    this.queue = new DynamoQueueStore(this.raw, this.tables.queue, this.tables.nodes);
  }

  /** Starts the instance, creates the tables and the volumes (registry items and volume nodes). */
  static async open(bench: Bench): Promise<SyncData> {
    bench.log('sync: starting a DynamoDB Local of its own…');
    const data = new SyncData(bench, await startDynamoDbLocal());
    try {
      await ensureTables(data.raw, data.tables);
      for (const volume of data.planning.volumes) await data.queue.setRegistry(volume._id, volume);
      await batchWrite(data.raw, data.tables.nodes, data.planning.volumes.map(toItem));
      return data;
    } catch (error) {
      await data.close();
      throw error;
    }
  }

  get count(): number {
    return this.files;
  }

  /** Seeds files up to `total`; `pendingAtC` of the new ones (the last) are pending at C. */
  async seedTo(total: number, pendingAtC = 0): Promise<void> {
    const added = total - this.files;
    if (added < 0 || pendingAtC > added) throw new Error(`cannot seed ${this.files} → ${total} files`);
    const pending = backlogAt(total) - this.pendingB;
    const failed = backlogAt(total) - this.failedB;
    const time = Date.now();
    const nodes: Node[] = [];
    // New files in blocks: pending at B, failed at B, synced at B; the last pendingAtC pending at C.
    for (let k = 0; k < added; k++) {
      const atB: AtB = k < pending ? 'pending' : k < pending + failed ? 'failed' : 'synced';
      nodes.push(syncFile(this.files + k, time, atB, k >= added - pendingAtC));
    }
    this.bench.log(
      `sync: seeding ${added} files (${this.files} stored) and their queue items: ${pending} pending and ${failed} failed at B, ${pendingAtC} pending at C…`,
    );
    await batchWrite(this.raw, this.tables.nodes, nodes.map(toItem));
    await this.queue.applyChanges(
      nodes.map((node): [null, Node] => [null, node]),
      this.planning,
    );
    this.files = total;
    this.pendingB += pending;
    this.failedB += failed;
  }

  /** Starts a local tracker (API, stream poller + fan-out, workers) on these tables. */
  async startHost(): Promise<LocalTracker> {
    this.host ??= await startLocalTracker({
      port: 0,
      dynamodbEndpoint: this.dynamo.endpoint,
      tablePrefix: SYNC_PREFIX,
    });
    return this.host;
  }

  async close(): Promise<void> {
    await this.host?.close();
    this.raw.destroy();
    await this.dynamo.stop();
  }
}
