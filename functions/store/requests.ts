/** Request builders and small helpers of the node store (no I/O). */
import type { Node } from '../core/nodes.js';
import { toItem } from './items.js';

export const CAPACITY = { ReturnConsumedCapacity: 'TOTAL' } as const;

/** TransactWriteItems takes at most 100 actions. */
const MAX_TRANSACTION_ITEMS = 100;

export type LockAction = 'lock' | 'unlock';
export type PendingUnit = { index: number; nodes: Node[] };

/** Whether `username` may lock or unlock a node whose lock is held by `holder` (unlocking a free node is a no-op). */
export const lockAllows = (holder: unknown, username: string) => holder === undefined || holder === username;

/** The conditional update that locks (sets `lock`) or unlocks (removes it) one node. */
export function lockUpdate(table: string, id: string, username: string, action: LockAction) {
  return {
    TableName: table,
    Key: { pk: id },
    UpdateExpression: action === 'lock' ? 'SET #d.#lock = :user' : 'REMOVE #d.#lock',
    ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#d.#lock) OR #d.#lock = :user)',
    ExpressionAttributeNames: { '#d': 'doc', '#lock': 'lock' },
    ExpressionAttributeValues: { ':user': username },
  };
}

/** A put that only creates: it fails if the node's id exists. */
export const conditionalPut = (table: string, node: Node) => ({
  TableName: table,
  Item: toItem(node),
  ConditionExpression: 'attribute_not_exists(pk)',
});

/** Packs units into groups of at most MAX_TRANSACTION_ITEMS nodes, keeping each unit whole. */
export function groupUnits(units: PendingUnit[]): PendingUnit[][] {
  const groups: PendingUnit[][] = [];
  let size = MAX_TRANSACTION_ITEMS;
  for (const unit of units) {
    if (size + unit.nodes.length > MAX_TRANSACTION_ITEMS) {
      groups.push([]);
      size = 0;
    }
    groups.at(-1)!.push(unit);
    size += unit.nodes.length;
  }
  return groups;
}

/**
 * The smallest string above every string that starts with `prefix` (its last character plus one),
 * so a prefix becomes a BETWEEN range: same reads as begins_with, but DynamoDB Local seeks to it
 * instead of reading the whole partition. BETWEEN includes the bound itself, a superset the caller
 * filters anyway. Undefined when the last character has no simple successor (surrogates, U+FFFF).
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const last = prefix.charCodeAt(prefix.length - 1);
  if (Number.isNaN(last) || last >= 0xd7ff) return undefined;
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Exponential backoff with jitter, capped at one second. */
export const backoff = (attempt: number) => Math.min(1000, 25 * 2 ** attempt) * (0.5 + Math.random() / 2);
