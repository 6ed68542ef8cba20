/**
 * Claims: candidates are read from the queue partitions (the first `limit` ready items of each shard,
 * due waiting items, expired leases), merged by queue order and leased one by one with a conditional
 * update of the file node, so of concurrent claimers exactly one gets each pair. Queue items may lag
 * behind the node (the stream moves them): a lease that turns out not to be copyable is released,
 * and a candidate the node no longer implies is deleted, so stale items are not read again.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Node } from '../core/nodes.js';
import type { ClaimDirection, ClaimedPair } from '../core/ports.js';
import { claimable, claimSource, destinations, receivingSites } from '../core/sync.js';
import { isConditionFailed } from './errors.js';
import { fromItem } from './items.js';
import {
  keyText,
  msKey,
  pairItem,
  partitionOf,
  QUEUE_SETS,
  SHARD_NUMBERS,
  type Planning,
  type QueueItem,
} from './queue-keys.js';
import { CAPACITY } from './requests.js';
import type { RequestRunner } from './runner.js';

export interface QueueContext {
  db: DynamoDBDocumentClient;
  /** The queue table. */
  table: string;
  nodesTable: string;
  runner: RequestRunner;
}

/** Rounds of candidate reads per claim when candidates were lost to other claimers. */
const MAX_ROUNDS = 3;

/** One queue partition's items in sort order (due ones only for wait and lease), page by page. */
function reader(ctx: QueueContext, pk: string, dueBefore?: string, origin?: string) {
  let start: Record<string, unknown> | undefined;
  let more = true;
  return {
    more: () => more,
    async page(limit: number): Promise<QueueItem[]> {
      const out = await ctx.runner.read(() =>
        ctx.db.send(
          new QueryCommand({
            TableName: ctx.table,
            KeyConditionExpression: dueBefore ? 'pk = :p AND sk < :due' : 'pk = :p',
            ...(origin && { FilterExpression: '#o = :o', ExpressionAttributeNames: { '#o': 'origin' } }),
            ExpressionAttributeValues: {
              ':p': pk,
              ...(dueBefore && { ':due': dueBefore }),
              ...(origin && { ':o': origin }),
            },
            Limit: limit,
            ExclusiveStartKey: start,
            ...CAPACITY,
          }),
        ),
      );
      start = out.LastEvaluatedKey;
      more = start !== undefined;
      return (out.Items ?? []) as QueueItem[];
    },
  };
}

/**
 * Leases up to `limit` pairs: for reception, pairs of `site`'s queue; for emission, pairs of the
 * other receiving sites' queues whose origin is `site` and whose source is `site`.
 */
export async function claim(
  ctx: QueueContext,
  site: string,
  limit: number,
  leaseMs: number,
  now: number,
  direction: ClaimDirection,
  planning: Planning,
): Promise<ClaimedPair[]> {
  const queues =
    direction === 'reception'
      ? [site]
      : [...receivingSites(planning.volumes).keys()].filter((s) => s !== site);
  const origin = direction === 'emission' ? site : undefined;
  const due = msKey(now + 1);
  const readers = queues.flatMap((queue) =>
    SHARD_NUMBERS.flatMap((shard) =>
      QUEUE_SETS.map((set) =>
        reader(ctx, partitionOf(queue, set, shard), set === 'ready' ? undefined : due, origin),
      ),
    ),
  );
  const lease = { now, until: now + leaseMs, claimer: direction === 'emission' ? site : undefined };
  const claimed: ClaimedPair[] = [];
  const seen = new Set<string>();
  for (let round = 0; round < MAX_ROUNDS && claimed.length < limit; round++) {
    const open = readers.filter((r) => r.more());
    if (open.length === 0) break;
    const found = (await Promise.all(open.map((r) => r.page(limit)))).flat();
    found.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    const candidates = found.filter(
      (c) => !seen.has(`${c.site}\n${c.fileId}`) && seen.add(`${c.site}\n${c.fileId}`),
    );
    for (let at = 0; claimed.length < limit && at < candidates.length;) {
      const batch = candidates.slice(at, at + limit - claimed.length);
      at += batch.length;
      const won = await Promise.all(batch.map((c) => claimOne(ctx, c, lease, planning)));
      for (const pair of won) if (pair) claimed.push(pair);
    }
  }
  return claimed;
}

type Lease = { now: number; until: number; claimer?: string };

async function claimOne(ctx: QueueContext, c: QueueItem, lease: Lease, planning: Planning) {
  const site = c.site;
  const names = { '#d': 'doc', '#t': 'time', '#sy': `syncing_${site}`, '#ls': `syncLease_${site}` };
  const sameTime = c.time === 0 ? '(attribute_not_exists(#d.#t) OR #d.#t = :time)' : '#d.#t = :time';
  let node: Node;
  try {
    const out = await ctx.runner.write(() =>
      ctx.db.send(
        new UpdateCommand({
          TableName: ctx.nodesTable,
          Key: { pk: c.fileId },
          UpdateExpression: 'SET #d.#sy = :now, #d.#ls = :until',
          ConditionExpression: `attribute_exists(pk) AND ${sameTime} AND (attribute_not_exists(#d.#ls) OR #d.#ls <= :now)`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':now': lease.now, ':until': lease.until, ':time': c.time },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ...CAPACITY,
        }),
      ),
    );
    node = fromItem(out.Attributes!);
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
    // Someone else leased it, or the file changed or is gone: the stream re-queues it.
    const old = (error as { Item?: Record<string, AttributeValue> }).Item;
    await heal(ctx, c, old && fromItem(unmarshall(old, { wrapNumbers: false })), planning);
    return undefined;
  }
  const destination = planning.volumes.find((v) => v.name === site);
  const ok = claimable(node, site, planning.volumes, planning.globals, lease.now);
  const source = ok ? claimSource(node, planning.volumes, site) : undefined;
  if (!destination || !source || (lease.claimer !== undefined && source.site !== lease.claimer)) {
    await release(ctx, c.fileId, names, lease);
    const { [names['#sy']]: _claimed, [names['#ls']]: _until, ...released } = node;
    await heal(ctx, c, released as Node, planning);
    return undefined;
  }
  const pair: ClaimedPair = {
    _id: node._id,
    time: typeof node.time === 'number' ? node.time : 0,
    priority: typeof node.sync_priority === 'number' ? node.sync_priority : 0,
    source,
    destination: { site, url: destination.url as string },
    leaseUntil: lease.until,
  };
  if (typeof node.file_size === 'number') pair.file_size = node.file_size;
  return pair;
}

/** Gives back a lease this claim took (and no one has replaced since). */
async function release(ctx: QueueContext, id: string, names: Record<string, string>, lease: Lease) {
  try {
    await ctx.runner.write(() =>
      ctx.db.send(
        new UpdateCommand({
          TableName: ctx.nodesTable,
          Key: { pk: id },
          UpdateExpression: 'REMOVE #d.#sy, #d.#ls',
          ConditionExpression: '#d.#sy = :now AND #d.#ls = :until',
          ExpressionAttributeNames: { '#d': names['#d']!, '#sy': names['#sy']!, '#ls': names['#ls']! },
          ExpressionAttributeValues: { ':now': lease.now, ':until': lease.until },
          ...CAPACITY,
        }),
      ),
    );
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
  }
}

/** Deletes a candidate the node (as last written) no longer implies for its site. */
async function heal(ctx: QueueContext, c: QueueItem, node: Node | undefined, planning: Planning) {
  const destined = node && destinations(node, planning.volumes, planning.globals).includes(c.site);
  const wanted = destined ? pairItem(node, c.site) : undefined;
  if (wanted && keyText(wanted) === keyText(c)) return;
  await ctx.runner.write(() =>
    ctx.db.send(new DeleteCommand({ TableName: ctx.table, Key: { pk: c.pk, sk: c.sk }, ...CAPACITY })),
  );
}
