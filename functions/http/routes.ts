/** The REST routes: for each damas route name, its methods, required class and operation. */
import { badRequest } from '../core/errors.js';
import { createToken, listTokens, revokeToken, signIn, verify } from '../core/ops/accounts.js';
import type { OpContext, OpResult } from '../core/ops/context.js';
import { create, read, remove, update, upsert } from '../core/ops/crud.js';
import { comment, lock, publish, unlock } from '../core/ops/files.js';
import { scanned } from '../core/ops/scans.js';
import { peekQueue } from '../core/ops/site-queue.js';
import { heartbeat, listSites, stats } from '../core/ops/sites.js';
import { graph, search, searchMongo, searchOne } from '../core/ops/query.js';
import { claim, listTasks, results, startReplan } from '../core/ops/sync.js';
import { createWebhook, deleteWebhook, listWebhooks, webhookFailures } from '../core/ops/webhooks.js';
import type { Operation } from '../core/permissions.js';
import { metrics } from './metrics.js';
import { decodePathPiece, parseBody, type ApiRequest } from './request.js';

export interface Route {
  /** Route name, spelled as damas does (matched case-insensitively). */
  name: string;
  /** Label of error texts, as damas-core writes them: `Create error: …`, `Remove error: …`. */
  label: string;
  methods: readonly string[];
  /** The permission it needs; undefined for routes anyone may call (signIn, health). */
  operation?: Operation;
  run(ctx: OpContext, request: ApiRequest): Promise<OpResult>;
}

const body = (request: ApiRequest) => parseBody(request);
/** `read/a,b` → ['a','b'] (each piece percent-decoded); an empty path means no id. */
function idsFromPath(rest: string): string | string[] {
  if (rest === '') throw badRequest('no id given in the URL');
  const ids = rest.split(',').map(decodePathPiece);
  return ids.length === 1 ? ids[0]! : ids;
}

function queryFromPath(rest: string): string {
  return decodePathPiece(rest);
}

const route = (
  name: string,
  methods: string[],
  operation: Operation | undefined,
  run: Route['run'],
): Route => ({
  name,
  label: name === 'delete' ? 'Remove' : name[0]!.toUpperCase() + name.slice(1),
  methods,
  operation,
  run,
});

const ROUTE_LIST: Route[] = [
  route('create', ['POST'], 'create', (ctx, r) => create(ctx, body(r))),
  route('read', ['GET', 'POST'], 'read', (ctx, r) =>
    read(ctx, r.method === 'GET' ? idsFromPath(r.rest) : body(r)),
  ),
  route('update', ['PUT', 'POST'], 'update', (ctx, r) => update(ctx, body(r))),
  route('upsert', ['POST', 'PUT'], 'upsert', (ctx, r) => upsert(ctx, body(r))),
  route('delete', ['DELETE', 'POST'], 'delete', (ctx, r) => remove(ctx, body(r))),
  route('search', ['GET'], 'search', (ctx, r) => search(ctx, queryFromPath(r.rest))),
  route('search_one', ['GET'], 'search_one', (ctx, r) => searchOne(ctx, queryFromPath(r.rest))),
  route('search_mongo', ['POST'], 'search_mongo', (ctx, r) => searchMongo(ctx, body(r))),
  route('graph', ['GET', 'POST'], 'graph', (ctx, r) => {
    const [depth, ...ids] = r.rest.split('/');
    const target = r.method === 'GET' ? idsFromPath(ids.join('/')) : body(r);
    return graph(ctx, depth === '' ? undefined : depth, target);
  }),
  route('publish', ['POST'], 'publish', (ctx, r) => publish(ctx, body(r))),
  route('lock', ['PUT', 'POST'], 'lock', (ctx, r) => lock(ctx, body(r))),
  route('unlock', ['PUT', 'POST'], 'unlock', (ctx, r) => unlock(ctx, body(r))),
  route('comment', ['POST'], 'comment', (ctx, r) => comment(ctx, body(r))),
  route('signIn', ['POST'], undefined, (ctx, r) => signIn(ctx, body(r))),
  route('verify', ['GET', 'POST'], 'verify', (ctx) => verify(ctx)),
  route('tokens', ['GET', 'POST', 'DELETE'], 'tokens', (ctx, r) => {
    if (r.method === 'GET') return listTokens(ctx);
    if (r.method === 'POST') return createToken(ctx, body(r));
    return revokeToken(ctx, decodePathPiece(r.rest));
  }),
  route('webhooks', ['GET', 'POST', 'DELETE'], 'webhooks', (ctx, r) => {
    const [id, detail, ...extra] = r.rest.split('/').filter((piece) => piece !== '');
    if (r.method === 'POST' && id === undefined) return createWebhook(ctx, body(r));
    if (r.method === 'GET' && id === undefined) return listWebhooks(ctx);
    if (r.method === 'DELETE' && id !== undefined && detail === undefined)
      return deleteWebhook(ctx, decodePathPiece(id));
    if (r.method === 'GET' && detail === 'failures' && extra.length === 0)
      return webhookFailures(ctx, decodePathPiece(id!));
    throw badRequest('use POST webhooks, GET webhooks, DELETE webhooks/<id> or GET webhooks/<id>/failures');
  }),
  // Sites (volumes), their agents and queues.
  route('sites', ['GET'], 'sites', (ctx) => listSites(ctx)),
  route('stats', ['GET'], 'stats', (ctx) => stats(ctx)),
  route('metrics', ['GET'], 'metrics', (ctx, r) => metrics(ctx, r.headers.accept)),
  route('queue', ['GET'], 'queue', (ctx, r) =>
    peekQueue(ctx, decodePathPiece(r.rest.replace(/\/$/, '')), r.query.limit),
  ),
  route('heartbeat', ['POST'], 'heartbeat', (ctx, r) => heartbeat(ctx, body(r))),
  // Sync transfers (agents) and re-planning tasks.
  route('claim', ['POST'], 'claim', (ctx, r) => claim(ctx, body(r))),
  route('results', ['POST'], 'results', (ctx, r) => results(ctx, body(r))),
  // Scans: files of a site's volume modified, missing or present again.
  route('scanned', ['POST'], 'scanned', (ctx, r) => scanned(ctx, body(r))),
  route('tasks', ['GET', 'POST'], 'tasks', (ctx, r) =>
    r.method === 'GET' ? listTasks(ctx) : startReplan(ctx),
  ),
  route('health', ['GET'], undefined, async () => ({ status: 200, body: { status: 'ok' } })),
];

export const ROUTES = new Map(ROUTE_LIST.map((r) => [r.name.toLowerCase(), r]));
