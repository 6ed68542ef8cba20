/** Turning request elements into nodes to write: ids, system keys, user passwords. */
import { badRequest } from '../errors.js';
import { MAX_ELEMENTS } from '../limits.js';
import { expandIds, generateId, validateBody, validateId, type Node, type NodeBody } from '../nodes.js';
import { actorName, type OpContext } from './context.js';

/** Validates every element before anything is written, expanding `_id` arrays (the limit counts each id). */
export function parseElements(items: readonly unknown[]): NodeBody[] {
  const elements = items.map((item, i) => validateBody(item, items.length > 1 ? `element ${i}` : 'element'));
  const count = elements.reduce((n, e) => n + (Array.isArray(e._id) ? e._id.length : 1), 0);
  assertElementCount(count);
  return expandIds(elements);
}

export function assertElementCount(count: number): void {
  if (count > MAX_ELEMENTS) {
    throw badRequest(
      `at most ${MAX_ELEMENTS} elements per request, counting each id of an _id array; split it`,
    );
  }
}

/** The keys a caller may write: `_id` is the address, `author`/`time` are the server's unless admin. */
export function writableKeys(ctx: OpContext, element: NodeBody): NodeBody {
  const { _id, ...keys } = element;
  if (ctx.caller.class !== 'admin') {
    delete keys.author;
    delete keys.time;
  }
  return keys;
}

/** An absent or null `_id` asks for a generated one (upsert also takes damas-core's "null"). */
export const isGeneratedId = (id: unknown, allowNullString: boolean) =>
  id === undefined || id === null || (allowNullString && id === 'null');

/** A new node from an element: generated id when absent, `author` and `time` set (admins may supply them). */
export function newNode(ctx: OpContext, element: NodeBody, opts: { nullStringId?: boolean } = {}): Node {
  const id = isGeneratedId(element._id, opts.nullStringId ?? false)
    ? generateId(ctx.now())
    : validateId(element._id);
  return { _id: id, author: actorName(ctx.caller), time: ctx.now(), ...writableKeys(ctx, element) } as Node;
}

/** Stores the password taken from a user node (see users.ts) once the node is written. */
export async function savePassword(
  ctx: OpContext,
  secret: { username: string; password: string } | undefined,
): Promise<void> {
  if (secret) await ctx.accounts.setPassword(secret.username, secret.password);
}

/**
 * Creates each unit (its first node plus companions written atomically) whose first id is new; a
 * repeated id within the request counts as existing. Answers the written units in input order,
 * null where nothing was written.
 */
export async function createUnits(ctx: OpContext, units: readonly Node[][]): Promise<(Node[] | null)[]> {
  const seen = new Set<string>();
  const fresh = units.filter((unit) => !seen.has(unit[0]!._id) && seen.add(unit[0]!._id));
  const written = await ctx.store.create(fresh);
  const created = new Set(fresh.filter((_, i) => written[i]));
  return units.map((unit) => (created.has(unit) ? unit : null));
}
