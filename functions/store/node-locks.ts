/**
 * Locks and unlocks nodes all or nothing: one conditional update for a single id, one transaction
 * for several, retried on transaction conflicts; a failed condition is resolved by reading the nodes.
 */
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unavailable } from '../core/errors.js';
import type { LockResult, NodeStore } from '../core/ports.js';
import { isConditionFailed, isRetryableTransaction, sleep } from './errors.js';
import { backoff, CAPACITY, lockAllows, lockUpdate, type LockAction } from './requests.js';
import type { StoreContext } from './runner.js';

const MAX_ATTEMPTS = 9;

/**
 * Locks or unlocks all ids for `username` in one transaction, so either every node changes or
 * none does: an id locked by someone else makes the whole call a no-op reported as 'conflict';
 * missing ids are reported 'notFound' and the others are written.
 */
export async function setLock(
  { db, table, runner }: StoreContext,
  reads: Pick<NodeStore, 'getMany'>,
  ids: readonly string[],
  username: string,
  action: LockAction,
): Promise<LockResult[]> {
  const results = new Map<string, LockResult>();
  let pending = [...new Set(ids)];
  let last: unknown;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt >= MAX_ATTEMPTS) throw unavailable(`${action} kept failing on concurrent changes`, last);
    try {
      const updates = pending.map((id) => lockUpdate(table, id, username, action));
      if (updates.length === 1)
        await runner.write(() => db.send(new UpdateCommand({ ...updates[0]!, ...CAPACITY })));
      else {
        const items = updates.map((Update) => ({ Update }));
        await runner.write(() => db.send(new TransactWriteCommand({ TransactItems: items, ...CAPACITY })));
      }
      for (const id of pending) results.set(id, 'ok');
      pending = [];
    } catch (error) {
      last = error;
      if (isRetryableTransaction(error)) {
        await sleep(backoff(attempt + 1));
        continue;
      }
      if (!isConditionFailed(error)) throw error;
      // Find out which ids cannot be changed now: held by someone else, or missing.
      const nodes = await reads.getMany(pending);
      const held = pending.filter((_, i) => nodes[i] && !lockAllows(nodes[i]!.lock, username));
      if (held.length > 0) return ids.map((id) => (held.includes(id) ? 'conflict' : 'ok'));
      for (const id of pending.filter((_, i) => !nodes[i])) results.set(id, 'notFound');
      pending = pending.filter((id) => !results.has(id));
    }
  }
  return ids.map((id) => results.get(id)!);
}
