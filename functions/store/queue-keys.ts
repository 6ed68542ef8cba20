/**
 * The key layout of the work queues (queue table) and the writes that keep them a projection of the
 * file nodes. Each pending (file, site) pair is one item in one of three sets, each spread over
 * SHARDS partitions by a hash of the file id:
 *   ready  `<site>#ready#<shard>`  sk = queueOrderKey (priority desc, time asc, id)
 *   wait   `<site>#wait#<shard>`   sk = `<retry due, 13 digits>#<id>`  (failed, retried later)
 *   lease  `<site>#lease#<shard>`  sk = `<lease end, 13 digits>#<id>`  (claimed)
 * An item's key depends only on the node and the site, so the same image always gives the same item.
 */
import { createHash } from 'node:crypto';
import { byteLength, type Node } from '../core/nodes.js';
import type { SiteList } from '../core/ports.js';
import { destinations, queuedState, queueOrderKey, retryDueAt } from '../core/sync.js';
import { shardOf, SHARDS } from './event-log.js';

export type QueueSet = 'ready' | 'wait' | 'lease';
export const QUEUE_SETS: readonly QueueSet[] = ['ready', 'wait', 'lease'];
export const SHARD_NUMBERS = Array.from({ length: SHARDS }, (_, shard) => shard);

export interface QueueItem {
  pk: string;
  sk: string;
  fileId: string;
  site: string;
  order: string;
  time: number;
  size?: number;
  origin?: string;
  /** The rsync exit code of the last failure (waiting items). */
  error?: number;
}
export type QueueKey = Pick<QueueItem, 'pk' | 'sk'>;

export const partitionOf = (site: string, set: QueueSet, shard: number) => `${site}#${set}#${shard}`;

/** A time as 13 digits, so sort keys order by it. */
export const msKey = (ms: number) => String(Math.max(0, Math.floor(ms))).padStart(13, '0');

const MAX_SORT_KEY_BYTES = 1024;

/** A sort key within DynamoDB's 1,024 bytes: a longer one keeps its head and ends with a hash. */
function boundedKey(key: string): string {
  if (byteLength(key) <= MAX_SORT_KEY_BYTES) return key;
  let head = key.slice(0, 900);
  while (byteLength(head) > 960 || !head.isWellFormed()) head = head.slice(0, -1);
  return `${head}#${createHash('sha256').update(key).digest('base64url')}`;
}

const num = (value: unknown) => (typeof value === 'number' ? value : undefined);

/** The queue item of a (file, site) pair, from the node's keys; undefined when the copy is current. */
export function pairItem(file: Node, site: string): QueueItem | undefined {
  const state = queuedState(file, site);
  if (state === 'current') return undefined;
  const order = queueOrderKey(file);
  const at = (set: QueueSet, sk: string) => ({
    pk: partitionOf(site, set, shardOf(file._id)),
    sk: boundedKey(sk),
  });
  const key =
    state === 'pending'
      ? at('ready', order)
      : state === 'waiting'
        ? at('wait', `${msKey(retryDueAt(file, site)!)}#${file._id}`)
        : at('lease', `${msKey(num(file[`syncLease_${site}`])!)}#${file._id}`);
  return {
    ...key,
    fileId: file._id,
    site,
    order,
    time: num(file.time) ?? 0,
    size: num(file.file_size),
    origin: typeof file.origin === 'string' ? file.origin : undefined,
    error: state === 'waiting' ? num(file[`syncError_${site}`]) : undefined,
  };
}

export const keyText = ({ pk, sk }: QueueKey) => `${pk}\n${sk}`;

/** Queue writes by item key: a put of the item, or a delete. */
export type QueueWrites = Map<string, QueueItem | { delete: QueueKey }>;

/** The registry the queues are planned from (volumes and global parameters). */
export type Planning = SiteList;

const itemsOf = (file: Node | null, sites: Iterable<string>) =>
  file ? [...new Set(sites)].flatMap((site) => pairItem(file, site) ?? []) : [];

/**
 * Adds to `writes` what takes the queues from the items `old` implies to those `next` implies: new
 * or changed items are put, the others deleted. Later calls override earlier ones for the same
 * item, so a batch of changes is applied in order.
 */
export function addChange(
  writes: QueueWrites,
  old: Node | null,
  next: Node | null,
  planning: Planning,
): void {
  const plan = (node: Node | null) => (node ? destinations(node, planning.volumes, planning.globals) : []);
  const before = new Map(itemsOf(old, plan(old)).map((i) => [keyText(i), i]));
  for (const item of itemsOf(next, plan(next))) {
    const key = keyText(item);
    const prior = before.get(key);
    // An unchanged item was put by the change that made it (a replayed batch replays that change too).
    const same = prior !== undefined && JSON.stringify(prior) === JSON.stringify(item);
    if (!same || writes.has(key)) writes.set(key, item);
    before.delete(key);
  }
  for (const [key, { pk, sk }] of before) writes.set(key, { delete: { pk, sk } });
}

/**
 * Adds the writes that re-plan a file for `sites`: its item is put where the site is a destination
 * and deleted where it is not (a switched-off, renamed or removed site).
 */
export function addReplan(
  writes: QueueWrites,
  file: Node,
  planning: Planning,
  sites: Iterable<string>,
): void {
  const wanted = new Set(destinations(file, planning.volumes, planning.globals));
  for (const site of new Set(sites)) {
    const item = pairItem(file, site);
    if (item) writes.set(keyText(item), wanted.has(site) ? item : { delete: { pk: item.pk, sk: item.sk } });
  }
}
