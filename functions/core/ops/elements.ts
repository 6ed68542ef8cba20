/** Turning request elements into nodes to write: ids, system keys, user passwords. */
import { badRequest } from '../errors.js';
import { expandIds, generateId, validateBody, validateId, type Node, type NodeBody } from '../nodes.js';
import { isUserClass } from '../permissions.js';
import { actorName, type OpContext } from './context.js';

/** Validates every element before anything is written, expanding `_id` arrays. */
export function parseElements(items: readonly unknown[]): NodeBody[] {
  return expandIds(items.map((item, i) => validateBody(item, items.length > 1 ? `element ${i}` : 'element')));
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

const isGenerated = (id: unknown, allowNullString: boolean) =>
  id === undefined || id === null || (allowNullString && id === 'null');

/** A new node from an element: generated id when absent, `author` and `time` set (admins may supply them). */
export function newNode(ctx: OpContext, element: NodeBody, opts: { nullStringId?: boolean } = {}): Node {
  const id = isGenerated(element._id, opts.nullStringId ?? false)
    ? generateId(ctx.now())
    : validateId(element._id);
  return { _id: id, author: actorName(ctx.caller), time: ctx.now(), ...writableKeys(ctx, element) } as Node;
}

/** A password given on a user node (`@name`) is taken out of the node and stored hashed, apart. */
export function takePassword(
  node: NodeBody & { _id?: unknown },
): { username: string; password: string } | undefined {
  const id = node._id;
  if (typeof id !== 'string' || !id.startsWith('@')) return undefined;
  if (node.class !== undefined && !isUserClass(node.class)) {
    throw badRequest(`class must be one of guest, user, editor, admin`);
  }
  if (!('password' in node)) return undefined;
  const password = node.password;
  delete node.password;
  if (typeof password !== 'string' || password.length === 0 || password.length > 1024) {
    throw badRequest('password must be a non-empty string of at most 1024 characters');
  }
  return { username: id.slice(1), password };
}

/** Runs after a successful write of a user node. */
export async function savePassword(
  ctx: OpContext,
  secret: { username: string; password: string } | undefined,
): Promise<void> {
  if (!secret) return;
  if (!ctx.setPassword) throw badRequest('passwords cannot be set on this tracker');
  await ctx.setPassword(secret.username, secret.password);
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
