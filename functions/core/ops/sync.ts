/**
 * The sync engine's routes: claims (lease the next pairs of a site's queue), results (record how the
 * transfers went) and re-planning tasks. Bodies are validated whole before anything is written.
 */
import { z } from 'zod';
import { conflict, notFound, unavailable } from '../errors.js';
import { MAX_CLAIM_PAIRS, MAX_ELEMENTS } from '../limits.js';
import { generateId, resultStatus } from '../nodes.js';
import { assertSiteScope } from '../permissions.js';
import type { SiteList, SyncQueue, TransferResult } from '../ports.js';
import { parseBodyWith } from '../schemas.js';
import { SiteName } from '../sync.js';
import type { OpContext, OpResult } from './context.js';

const ClaimBody = z.object({
  site: SiteName,
  limit: z.number().int().min(1).max(MAX_CLAIM_PAIRS).default(10),
  /** Seconds. */
  lease: z.number().int().min(10).max(86_400).default(600),
  direction: z.enum(['reception', 'emission']).default('reception'),
});

const Result = z
  .object({
    _id: z.string().min(1).max(1024),
    /** Emission: the site the reporting site pushed to (default: the reporting site, reception). */
    destination: SiteName.optional(),
    ok: z.literal(true).optional(),
    error: z.number().int().min(1).max(255).optional(),
    message: z.string().max(10_000).optional(),
  })
  .refine(
    (r) => (r.ok === true) !== (r.error !== undefined),
    'give either "ok": true or "error": <rsync exit code>',
  );

const ResultsBody = z.object({
  site: SiteName,
  results: z.array(Result).min(1).max(MAX_ELEMENTS, `at most ${MAX_ELEMENTS} results per request`),
});

function engine(ctx: OpContext): SyncQueue {
  if (!ctx.sync) throw unavailable('the sync engine is not configured on this tracker');
  return ctx.sync;
}

/**
 * Checks the caller may act for `site` (403 for a token scoped to another site) and that the site
 * exists (404 when no volume has that name). Answers the registry it read.
 */
async function assertSiteAccess(ctx: OpContext, site: string): Promise<SiteList> {
  assertSiteScope(ctx.caller, site);
  const registry = await engine(ctx).planning();
  if (!registry.volumes.some((v) => v.name === site))
    throw notFound(`unknown site '${site}' (no volume has that name)`);
  return registry;
}

/** `POST claim {site, limit?, lease?, direction?}` → 200 with the leased pairs, in queue order. */
export async function claim(ctx: OpContext, body: unknown): Promise<OpResult> {
  const { site, limit, lease, direction } = parseBodyWith(ClaimBody, body, 'claim');
  const registry = await assertSiteAccess(ctx, site);
  const pairs = await engine(ctx).claim(site, limit, lease * 1000, ctx.now(), direction, registry);
  return { status: 200, body: pairs };
}

/**
 * `POST results {site, results: [{_id, ok: true} | {_id, error, message?}]}` → the ids applied, in
 * input order, with null for refused ones (no such file, or no claim of the site on it): 200, 207,
 * or 404/409 when all were refused.
 */
export async function results(ctx: OpContext, body: unknown): Promise<OpResult> {
  const parsed = parseBodyWith(ResultsBody, body, 'results');
  await assertSiteAccess(ctx, parsed.site);
  const list = parsed.results.map(({ _id, destination, ok, error, message }): TransferResult => ({
    _id,
    ...(destination !== undefined && destination !== parsed.site && { destination }),
    ...(ok ? { ok } : { error: error!, ...(message !== undefined && { message }) }),
  }));
  const outcomes = await engine(ctx).results(parsed.site, list, ctx.now());
  const answer = outcomes.map((outcome, i) => (outcome === 'ok' ? list[i]!._id : null));
  const status = resultStatus(answer, 200, 404);
  if (status === 404) {
    const unclaimed = list.filter((_, i) => outcomes[i] === 'notClaimed').map((r) => r._id);
    if (unclaimed.length === 0)
      throw notFound(list.length === 1 ? `${list[0]!._id} does not exist` : 'none of the files exist');
    const shown = unclaimed.slice(0, 3).join(', ') + (unclaimed.length > 3 ? ', …' : '');
    throw conflict(
      `site ${parsed.site} holds no claim on ${shown} (claim a pair before reporting its result)`,
    );
  }
  return { status, body: answer };
}

/** `GET tasks` → the newest re-planning tasks with their progress. */
export async function listTasks(ctx: OpContext): Promise<OpResult> {
  return { status: 200, body: await engine(ctx).tasks(100) };
}

/** `POST tasks` → 202: re-plans every file for every site (after a restore, or volumes that predate the queues). */
export async function startReplan(ctx: OpContext): Promise<OpResult> {
  const now = ctx.now();
  const id = `${String(now).padStart(13, '0')}-${generateId(now)}`;
  await engine(ctx).startTask(id, `requested by ${ctx.caller.username ?? 'an admin'}`, [], now);
  return { status: 202, body: { id } };
}
