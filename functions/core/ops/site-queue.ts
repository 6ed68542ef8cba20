/** `GET queue/<site>?limit=N`: the next pairs of a site's work queue, in order, without leasing them. */
import { badRequest, unavailable } from '../errors.js';
import { MAX_PEEK } from '../limits.js';
import { SITE_NAME } from '../sync.js';
import type { OpContext, OpResult } from './context.js';
import { findSite } from './sites.js';

const DEFAULT_PEEK = 20;

function peekLimit(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_PEEK;
  const limit = Number(text);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PEEK) {
    throw badRequest(`limit must be a whole number from 1 to ${MAX_PEEK}`);
  }
  return limit;
}

export async function peekQueue(ctx: OpContext, site: string, limitText?: string): Promise<OpResult> {
  if (!SITE_NAME.test(site)) throw badRequest('use queue/<site>, a site name, with ?limit=N (default 20)');
  const limit = peekLimit(limitText);
  await findSite(ctx, site);
  if (!ctx.queuePeek) throw unavailable('the work queues are not configured on this tracker');
  return { status: 200, body: await ctx.queuePeek(site, limit) };
}
