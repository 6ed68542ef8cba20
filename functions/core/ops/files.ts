/** publish, lock, unlock, comment: the file operations SyncPlanet adds to damas CRUD. */
import { badRequest, conflict, notFound } from '../errors.js';
import { MAX_LOCK_IDS } from '../limits.js';
import { asList, generateId, PARENT_KEY, resultStatus, validateId, type Node } from '../nodes.js';
import { assertSiteScope } from '../permissions.js';
import { actorName, assertCanWrite, needsExisting, type OpContext, type OpResult } from './context.js';
import { parseIds } from './crud.js';
import { assertElementCount, createUnits, newNode, parseElements, writableKeys } from './elements.js';

/**
 * Creates file nodes, each with a history child (`#parent` = the file, same keys, new id) written
 * in the same transaction, so a file never exists without its first history entry.
 */
export async function publish(ctx: OpContext, body: unknown): Promise<OpResult> {
  const elements = parseElements(asList(body).items);
  const files = elements.map((element) => {
    if (typeof element._id !== 'string' || !element._id.startsWith('/')) {
      throw badRequest('each file needs an _id path starting with /');
    }
    if (typeof element.origin !== 'string' || element.origin === '') {
      throw badRequest(`${element._id}: origin (the site the file comes from) must be a non-empty string`);
    }
    assertSiteScope(ctx.caller, element.origin); // a site's token publishes that site's files only
    if (element.comment !== undefined && typeof element.comment !== 'string') {
      throw badRequest(`${element._id}: comment must be a string`);
    }
    const file = newNode(ctx, element);
    assertCanWrite(ctx, 'publish', file._id, writableKeys(ctx, element), undefined);
    return file;
  });
  const units = files.map(({ _id, ...keys }, i): Node[] => {
    const history: Node = { _id: generateId(ctx.now()), ...keys, [PARENT_KEY]: _id };
    return [files[i]!, history];
  });
  const outcome = await createUnits(ctx, units);
  const created = outcome.filter((unit): unit is Node[] => unit !== null);
  const results = outcome.map((unit) => unit?.[0] ?? null);
  const status = resultStatus(results, 201, 409);
  if (status === 409)
    throw conflict(
      files.length === 1 ? `${files[0]!._id} is already published` : 'all the files are already published',
    );
  return { status, body: [...created.map((u) => u[0]!), ...created.map((u) => u[1]!)] };
}

async function lockOrUnlock(ctx: OpContext, body: unknown, operation: 'lock' | 'unlock'): Promise<OpResult> {
  const { ids } = parseIds(body);
  if (new Set(ids).size > MAX_LOCK_IDS) throw badRequest(`at most ${MAX_LOCK_IDS} ids per ${operation}`);
  if (ids.some((id) => needsExisting(ctx, id))) {
    const existing = await ctx.store.getMany(ids);
    ids.forEach((id, i) => existing[i] && assertCanWrite(ctx, operation, id, {}, existing[i]));
  } else {
    ids.forEach((id) => assertCanWrite(ctx, operation, id, {}, undefined));
  }
  const user = actorName(ctx.caller);
  const outcomes = await ctx.store.setLock(ids, user, operation);
  const held = ids.filter((_, i) => outcomes[i] === 'conflict');
  if (held.length > 0) {
    const verb = operation === 'lock' ? 'locked by another user' : 'not locked by you';
    throw conflict(`${held.join(', ')} ${held.length === 1 ? 'is' : 'are'} ${verb}`);
  }
  const results = outcomes.map((o) => (o === 'ok' ? true : null));
  const status = resultStatus(results, 200, 404);
  if (status === 404)
    throw notFound(ids.length === 1 ? `${ids[0]} does not exist` : 'none of the nodes exist');
  return { status, body: status === 200 ? true : results };
}

export const lock = (ctx: OpContext, body: unknown) => lockOrUnlock(ctx, body, 'lock');
export const unlock = (ctx: OpContext, body: unknown) => lockOrUnlock(ctx, body, 'unlock');

/** Comment nodes are children (`#parent`) of existing nodes, with author and time set. */
export async function comment(ctx: OpContext, body: unknown): Promise<OpResult> {
  const elements = parseElements(asList(body).items);
  const comments = elements.flatMap((element) => {
    const parents = element[PARENT_KEY];
    if (typeof element.comment !== 'string' || element.comment.trim() === '') {
      throw badRequest('comment must be a non-empty string');
    }
    const list = Array.isArray(parents) ? parents : [parents];
    if (list.length === 0) throw badRequest(`${PARENT_KEY} is empty`);
    return list.map((parent) => {
      const node = newNode(ctx, { ...element, _id: null, [PARENT_KEY]: validateId(parent, PARENT_KEY) });
      assertCanWrite(ctx, 'comment', node._id, writableKeys(ctx, element), undefined);
      return node;
    });
  });
  assertElementCount(comments.length);
  const parents = await ctx.store.getMany(comments.map((c) => c[PARENT_KEY] as string));
  const withParent = comments.filter((_, i) => parents[i]);
  const saved = new Set(
    (
      await createUnits(
        ctx,
        withParent.map((c) => [c]),
      )
    ).map((unit) => unit?.[0]),
  );
  const results = comments.map((c) => (saved.has(c) ? c : null));
  const status = resultStatus(results, 201, 404);
  if (status === 404) throw notFound(`no ${PARENT_KEY} node exists`);
  return { status, body: results };
}
