/** create, read, update, upsert, delete: the damas CRUD operations. */
import { badRequest, conflict, notFound, TrackerError } from '../errors.js';
import { MAX_KEYS_PER_UPDATE } from '../limits.js';
import { asList, isPlainObject, resultStatus, validateId, type Node, type NodeBody } from '../nodes.js';
import { assertCanWrite, needsExisting, type OpContext, type OpResult } from './context.js';
import { takePassword } from '../users.js';
import { afterWrite } from '../volume-rules.js';
import { assertSiteNamesFree } from './sites.js';
import {
  createUnits,
  isGeneratedId,
  newNode,
  parseElements,
  savePassword,
  writableKeys,
} from './elements.js';

export async function create(ctx: OpContext, body: unknown): Promise<OpResult> {
  const { items, single } = asList(body);
  const elements = parseElements(items);
  const secrets = elements.map((e) => takePassword(e));
  const nodes = elements.map((e) => newNode(ctx, e));
  nodes.forEach((node, i) =>
    assertCanWrite(ctx, 'create', node._id, writableKeys(ctx, elements[i]!), undefined),
  );
  await assertSiteNamesFree(ctx, nodes);
  const results = (
    await createUnits(
      ctx,
      nodes.map((node) => [node]),
    )
  ).map((unit) => unit?.[0] ?? null);
  await Promise.all(results.map((node, i) => (node ? savePassword(ctx, secrets[i]) : undefined)));
  const status = resultStatus(results, 201, 409);
  if (status === 409)
    throw conflict(nodes.length === 1 ? `${nodes[0]!._id} already exists` : 'all the nodes already exist');
  // damas: a single value only when the body was not an array and gave exactly one node.
  return { status, body: single && results.length === 1 ? results[0] : results };
}

/** Ids of a read/delete/lock request: an id, an array of ids, or an object with `_id`. */
export function parseIds(body: unknown): { ids: string[]; single: boolean } {
  const value = isPlainObject(body) && '_id' in body ? body._id : body;
  if (value === undefined || value === null || (isPlainObject(value) && Object.keys(value).length === 0)) {
    throw badRequest('no id given');
  }
  const { items, single } = asList(value);
  return { ids: items.map((id) => validateId(id, 'id')), single };
}

export async function read(ctx: OpContext, body: unknown): Promise<OpResult> {
  const { ids, single } = parseIds(body);
  const found = await ctx.store.getMany(ids);
  const results = found.map((n) => n ?? null);
  const status = resultStatus(results, 200, 404);
  if (status === 404) throw notFound(single ? `${ids[0]} does not exist` : 'none of the nodes exist');
  return { status, body: single ? results[0] : results };
}

/** Splits an update element into keys to set and keys to remove (`null` values). */
function changes(ctx: OpContext, element: NodeBody, operation: string) {
  const keys = writableKeys(ctx, element);
  const names = Object.keys(keys);
  if (names.length === 0) throw badRequest(`${operation} needs at least one key besides _id`);
  if (names.length > MAX_KEYS_PER_UPDATE) throw badRequest(`at most ${MAX_KEYS_PER_UPDATE} keys per element`);
  const remove = names.filter((name) => keys[name] === null);
  const set = Object.fromEntries(Object.entries(keys).filter(([, value]) => value !== null)) as NodeBody;
  return { set, remove };
}

async function existingFor(ctx: OpContext, ids: string[]): Promise<(Node | undefined)[]> {
  return ids.some((id) => needsExisting(ctx, id)) ? ctx.store.getMany(ids) : ids.map(() => undefined);
}

export async function update(ctx: OpContext, body: unknown): Promise<OpResult> {
  const elements = parseElements(asList(body).items);
  const ids = elements.map((e) => validateId(e._id));
  const secrets = elements.map((e) => takePassword(e));
  const plans = elements.map((e) => changes(ctx, e, 'update'));
  const existing = await existingFor(ctx, ids);
  ids.forEach((id, i) => assertCanWrite(ctx, 'update', id, writableKeys(ctx, elements[i]!), existing[i]));
  await assertSiteNamesFree(
    ctx,
    ids.map((id, i) => afterWrite(id, writableKeys(ctx, elements[i]!), existing[i])),
  );
  const outcomes = await eachElement(ids, async (id, i) => {
    const node = await ctx.store.update(id, plans[i]!.set, plans[i]!.remove);
    if (node) await savePassword(ctx, secrets[i]);
    return node ?? null;
  });
  const results = outcomes.results;
  const status = resultStatus(results, 200, 404);
  if (status === 404) {
    if (outcomes.refused) throw outcomes.refused;
    throw notFound(results.length === 1 ? `${ids[0]} does not exist` : 'none of the nodes exist');
  }
  return { status, body: results.length === 1 ? results[0] : results };
}

export async function upsert(ctx: OpContext, body: unknown): Promise<OpResult> {
  const elements = parseElements(asList(body).items);
  const secrets = elements.map((e) => takePassword(e));
  const fresh = elements.map((e) => newNode(ctx, e, { nullStringId: true }));
  const ids = fresh.map((n) => n._id);
  const existing = await existingFor(ctx, ids);
  ids.forEach((id, i) => assertCanWrite(ctx, 'upsert', id, writableKeys(ctx, elements[i]!), existing[i]));
  await assertSiteNamesFree(
    ctx,
    ids.map((id, i) => afterWrite(id, writableKeys(ctx, elements[i]!), existing[i])),
  );
  // A generated id names a new node: it is created, with no other key if none is given (damas-core).
  const plans = elements.map((e) => (isGeneratedId(e._id, true) ? undefined : changes(ctx, e, 'upsert')));
  const { results, refused } = await eachElement(fresh, async (node, i) => {
    const plan = plans[i];
    const saved = plan
      ? await ctx.store.upsert(node._id, plan.set, plan.remove, withoutNulls(node))
      : (await createUnits(ctx, [[withoutNulls(node)]]))[0]?.[0];
    if (saved) await savePassword(ctx, secrets[i]);
    return saved ?? null;
  });
  if (refused && results.every((r) => r === null)) throw refused;
  return { status: resultStatus(results, 200, 200), body: results.length === 1 ? results[0] : results };
}

/**
 * Runs one write per element. When several elements are written, one the database refuses
 * (e.g. it would grow past the item size) becomes a null result — the others stand, answered with
 * 207 — instead of failing a request that has already written the rest. A single element throws.
 */
async function eachElement<T, R>(items: readonly T[], write: (item: T, i: number) => Promise<R | null>) {
  let refused: TrackerError | undefined;
  const results = await Promise.all(
    items.map(async (item, i) => {
      try {
        return await write(item, i);
      } catch (error) {
        if (items.length === 1 || !(error instanceof TrackerError) || !error.exposed) throw error;
        refused ??= error;
        return null;
      }
    }),
  );
  return { results, refused };
}

/** A node about to be created keeps no `null` keys (null means "remove" in upsert). */
function withoutNulls(node: Node): Node {
  return Object.fromEntries(Object.entries(node).filter(([, v]) => v !== null)) as Node;
}

export async function remove(ctx: OpContext, body: unknown): Promise<OpResult> {
  const { ids, single } = parseIds(body);
  const existing = await existingFor(ctx, ids);
  ids.forEach((id, i) => assertCanWrite(ctx, 'delete', id, {}, existing[i]));
  const deleted = await ctx.store.delete(ids);
  const results = ids.map((id, i) => (deleted[i] ? id : null));
  const status = resultStatus(results, 200, 404);
  if (status === 404) throw notFound(single ? `${ids[0]} does not exist` : 'none of the nodes exist');
  return { status, body: single ? results[0] : results };
}
