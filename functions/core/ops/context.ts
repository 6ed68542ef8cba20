/** What every operation receives, and the shape of its answer. */
import { badRequest, forbidden } from '../errors.js';
import { MAX_RESPONSE_BYTES } from '../limits.js';
import { byteLength, type NodeBody, type Node } from '../nodes.js';
import { checkWrite, type Caller, type Operation } from '../permissions.js';
import type { Accounts, NodeStore, SyncQueue } from '../ports.js';
import type { SiteHooks } from '../sites.js';
import { validateNodeWrite } from '../volume-rules.js';
import type { WebhookAdmin } from './webhooks.js';

/** SiteHooks: the work queues' backlog and peek, where the tracker has them. */
export interface OpContext extends SiteHooks {
  store: NodeStore;
  caller: Caller;
  /** With authorMode, non-editors may only change nodes they authored. */
  authorMode: boolean;
  now: () => number;
  /** ms epoch after which long searches give up with a 4xx instead of running past the gateway's timeout. */
  deadline: number;
  /** Sign-in, passwords and API tokens. */
  accounts: Accounts;
  /** Webhook subscriptions and their deliveries, where the tracker has them. */
  webhooks?: WebhookAdmin;
  /** The per-site work queues, claims and results, and the site registry, where the tracker has them. */
  sync?: SyncQueue;
}

/** An operation's answer: an HTTP-like status and a JSON body (errors are thrown, not returned). */
export interface OpResult {
  status: number;
  body: unknown;
  /** Set for a text answer (metrics): `body` is the text, sent as is. */
  contentType?: string;
}

/** The username written into `author`; open mode has no user, like damas-core's noauth mode. */
export function actorName(caller: Caller): string {
  return caller.username ?? 'anonymous';
}

/** Operations that write keys: volumes and global parameters they touch are validated. */
const KEY_WRITES = new Set<Operation>(['create', 'update', 'upsert', 'publish', 'comment']);

/**
 * Throws 403 if the caller may not write `keys` (the client's keys) to node `id`, stored as `existing`,
 * then 400 if the write would leave a volume or the global parameters invalid.
 */
export function assertCanWrite(
  ctx: OpContext,
  operation: Operation,
  id: string,
  keys: NodeBody,
  existing: Node | undefined,
): void {
  const reason = checkWrite(ctx.caller, operation, { ...keys, _id: id }, existing, {
    authorMode: ctx.authorMode,
  });
  if (reason) throw forbidden(reason);
  if (KEY_WRITES.has(operation)) validateNodeWrite(id, keys, existing);
}

/**
 * Whether writes need the stored node first: authorMode checks, and every id that is not a path
 * (users, volumes and the global parameters are checked against what is stored).
 */
export function needsExisting(ctx: OpContext, id: string): boolean {
  if (!id.startsWith('/')) return true;
  return ctx.caller.class !== 'admin' && ctx.authorMode;
}

export function checkDeadline(ctx: OpContext, operation: string): void {
  if (ctx.now() > ctx.deadline) {
    throw badRequest(
      `${operation} could not finish within the time limit; narrow the query (e.g. an _id prefix such as _id:/^\\/project\\//) or use search_mongo with limit and skip`,
    );
  }
}

/** Guards the 6 MB response limit for id lists. */
export function assertResponseFits(ids: readonly string[], operation: string): void {
  let bytes = 2;
  for (const id of ids) bytes += byteLength(JSON.stringify(id)) + 1;
  if (bytes > MAX_RESPONSE_BYTES) {
    throw badRequest(
      `${operation} matched ${ids.length} nodes, too many to return at once; use search_mongo with limit and skip to page through them`,
    );
  }
}
