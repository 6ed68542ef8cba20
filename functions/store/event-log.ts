/**
 * The DynamoDB implementation of the EventLog port: the change log WebSocket subscribers replay.
 *
 * Each event is written once per *scope* it belongs to: `*` (every event) and, for path ids, each
 * folder prefix of its id down to depth 3 (`/`, `/proj/`, `/proj/seq/`, `/proj/seq/shot/`), so a
 * prefix replay queries the deepest scope containing the prefix and reads what it returns instead
 * of the whole log. Each scope is spread over SHARDS partitions by a hash of the node id
 * (`pk` = `<scope>#<shard>`, sort key = event id); replay merges the shards in id order.
 * Write bound: ≤ 5 writes per change; each scope's 4 shards take up to 4 × 1,000 writes/s.
 * Puts are idempotent (same key, same item) and items expire by TTL after the retention.
 */
import type { DynamoDBDocumentClient, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { ChangeEvent } from '../core/events.js';
import type { EventLog } from '../core/ports.js';
import { batchWrite } from './batch-write.js';
import { CAPACITY } from './requests.js';
import { RequestRunner, type CapacityCounter } from './runner.js';

export const SHARDS = 4;
/** Deepest folder that is a scope (`/proj/seq/shot/` is depth 3). */
const MAX_SCOPE_DEPTH = 3;
const ALL = '*';
/** Events per yielded page, and items per shard query (bounds reads beyond what is consumed). */
const PAGE_SIZE = 100;

/** 32-bit FNV-1a of a string's UTF-8 bytes: a hash that is the same in every process. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

/**
 * The shard (0 … SHARDS - 1) of a key: the hash's top bits. Its low bits only depend on the low
 * bits of each byte, so ids differing in a few digits (delivery ids) crowded into one shard.
 */
export const shardOf = (key: string) => Math.floor((fnv1a(key) / 2 ** 32) * SHARDS);

/** The folder prefixes of a path id that are scopes: `/`, then each folder down to depth 3. */
export function folderScopes(id: string): string[] {
  if (!id.startsWith('/')) return [];
  const scopes: string[] = [];
  for (let i = 0; i !== -1 && scopes.length <= MAX_SCOPE_DEPTH; i = id.indexOf('/', i + 1))
    scopes.push(id.slice(0, i + 1));
  return scopes;
}

/** Every scope an event on node `id` is logged in (≤ 5). */
export const eventScopes = (id: string) => [ALL, ...folderScopes(id)];

/** The scope a replay of `prefix` reads: the deepest scope every matching node id belongs to. */
export const replayScope = (prefix?: string) =>
  (prefix === undefined ? undefined : folderScopes(prefix).at(-1)) ?? ALL;

const partition = (scope: string, shard: number) => `${scope}#${shard}`;

/** The stored form of an event: the old image only on deletes (filters match it; it fits one item). */
export function eventAttribute({ op, _id, time, node, previous }: ChangeEvent): Record<string, unknown> {
  return { op, _id, time, node, ...(node === null && previous !== undefined && { previous }) };
}

export function toChangeEvent(id: string, stored: Record<string, unknown>): ChangeEvent {
  const { op, _id, time, node, previous } = stored as unknown as ChangeEvent;
  return { id, op, _id, time, node, ...(previous !== undefined && { previous }) };
}

type StoredItem = { pk: string; id: string; event: Record<string, unknown> };

export class DynamoEventLog implements EventLog {
  private readonly runner = new RequestRunner();
  /** Read and write capacity consumed by this log instance. */
  readonly consumed: CapacityCounter = this.runner.consumed;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    readonly retentionMs: number,
  ) {}

  async append(events: readonly ChangeEvent[]): Promise<void> {
    // BatchWriteItem refuses two requests for one key: the same event given twice is written once.
    const puts = new Map<string, { PutRequest: { Item: Record<string, unknown> } }>();
    for (const event of events) {
      const shard = shardOf(event._id);
      const expiresAt = Math.ceil((event.time + this.retentionMs) / 1000);
      for (const scope of eventScopes(event._id)) {
        const pk = partition(scope, shard);
        const Item = { pk, id: event.id, event: eventAttribute(event), expiresAt };
        puts.set(`${event.id} ${pk}`, { PutRequest: { Item } });
      }
    }
    await batchWrite(this.runner, this.db, this.table, [...puts.values()]);
  }

  async *replay(afterId: string, prefix?: string): AsyncIterable<ChangeEvent[]> {
    const scope = replayScope(prefix);
    // A prefix that is its folder scope matches every event in it; others filter (`/p` in `/`).
    const keep = prefix === undefined || (scope !== ALL && prefix === scope) ? undefined : prefix;
    const shards = Array.from({ length: SHARDS }, (_, shard) => this.shard(partition(scope, shard), afterId));
    let page: ChangeEvent[] = [];
    for await (const item of merge(shards)) {
      if (keep !== undefined && !(item.event._id as string).startsWith(keep)) continue;
      page.push(toChangeEvent(item.id, item.event));
      if (page.length >= PAGE_SIZE) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  }

  /** One shard partition's items above `afterId`, ascending, as pages of at most PAGE_SIZE. */
  private async *shard(pk: string, afterId: string): AsyncGenerator<StoredItem[]> {
    // Consistent: an event logged before a subscriber replays is in its replay.
    const input: QueryCommandInput = {
      TableName: this.table,
      KeyConditionExpression: 'pk = :p AND id > :after',
      ExpressionAttributeValues: { ':p': pk, ':after': afterId },
      ConsistentRead: true,
      Limit: PAGE_SIZE,
      ...CAPACITY,
    };
    for await (const page of this.runner.pages(this.db, input)) if (page.length) yield page as StoredItem[];
  }
}

/**
 * A k-way merge of page streams each sorted by id: yields their items in id order. A stream's next
 * page is read only when its current page is used up (the first pages are read in parallel).
 */
async function* merge(streams: AsyncGenerator<StoredItem[]>[]): AsyncGenerator<StoredItem> {
  type Head = { stream: AsyncGenerator<StoredItem[]>; page: StoredItem[]; at: number };
  const next = async (stream: AsyncGenerator<StoredItem[]>): Promise<Head | undefined> => {
    const out = await stream.next();
    return out.done ? undefined : { stream, page: out.value, at: 0 };
  };
  let heads = (await Promise.all(streams.map(next))).filter((h): h is Head => h !== undefined);
  while (heads.length > 0) {
    let min = heads[0]!;
    for (const head of heads) if (head.page[head.at]!.id < min.page[min.at]!.id) min = head;
    yield min.page[min.at++]!;
    if (min.at < min.page.length) continue;
    const refill = await next(min.stream);
    heads = refill ? heads.map((h) => (h === min ? refill : h)) : heads.filter((h) => h !== min);
  }
}
