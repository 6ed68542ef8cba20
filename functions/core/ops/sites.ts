/** Sites: the volumes with their agents' status (`sites`), per-site figures (`stats`), heartbeats. */
import { conflict, notFound, unavailable } from '../errors.js';
import type { Node, NodeBody } from '../nodes.js';
import { assertSiteScope } from '../permissions.js';
import type { SiteRegistry } from '../ports.js';
import { parseBodyWith } from '../schemas.js';
import { HeartbeatBody, siteStats, siteStatus, type SiteBacklog, type SiteStats } from '../sites.js';
import { isVolume } from '../sync.js';
import type { OpContext, OpResult } from './context.js';

/** The site registry: the work queues keep it (volumes and global parameters, from the nodes stream). */
function registry(ctx: OpContext): SiteRegistry {
  if (!ctx.sync) throw unavailable('the site registry is not configured on this tracker');
  return ctx.sync;
}

/** The volume of site `name`; 404 when no volume has that name. */
export async function findSite(ctx: OpContext, name: string): Promise<Node> {
  const volume = (await registry(ctx).volumes()).find((v) => v.name === name);
  if (!volume) throw notFound(`unknown site ${name}`);
  return volume;
}

/**
 * 409 when a write would give a volume the site name of another volume (as the registry lists them,
 * or earlier in the same request): heartbeats, claims and queues find a volume by its name.
 */
export async function assertSiteNamesFree(ctx: OpContext, written: readonly Node[]): Promise<void> {
  const volumes = written.filter(isVolume);
  if (volumes.length === 0 || !ctx.sync) return;
  const owners = new Map((await ctx.sync.volumes()).map((v) => [v.name, v._id]));
  for (const volume of volumes) {
    const owner = owners.get(volume.name);
    if (owner !== undefined && owner !== volume._id) {
      throw conflict(`site name ${String(volume.name)} is already used by volume ${owner}`);
    }
    owners.set(volume.name, volume._id);
  }
}

/**
 * Each volume with its backlog, when the queues report one. The registry names the volumes; their
 * nodes are read again (one batch) so a heartbeat shows at once, not after the stream's delay.
 */
async function withBacklogs(ctx: OpContext): Promise<[Node, SiteBacklog | undefined][]> {
  const listed = await registry(ctx).volumes();
  const volumes = (await ctx.store.getMany(listed.map((v) => v._id))).filter(isVolume);
  const backlog = ctx.backlog;
  const backlogs = await Promise.all(volumes.map((v) => backlog?.(v.name as string)));
  return volumes.map((v, i) => [v, backlogs[i]]);
}

/** `GET sites`: every volume, its switches, agent on/off, last heartbeat, capacity and backlog. */
export async function listSites(ctx: OpContext): Promise<OpResult> {
  const now = ctx.now();
  const sites = (await withBacklogs(ctx)).map(([volume, backlog]) => siteStatus(volume, now, backlog));
  return { status: 200, body: sites };
}

/** The figures of `GET stats` and `/metrics`, one entry per site. */
export async function statsFigures(ctx: OpContext): Promise<SiteStats[]> {
  const now = ctx.now();
  return (await withBacklogs(ctx)).map(([volume, backlog]) => siteStats(volume, now, backlog));
}

/** `GET stats`: `{time, sites: [{site, agentStatus, lastHeartbeat, pending, bytes, …}]}`. */
export async function stats(ctx: OpContext): Promise<OpResult> {
  return { status: 200, body: { time: ctx.now(), sites: await statsFigures(ctx) } };
}

/**
 * `POST heartbeat {site, …agent keys}`: sets the keys and `lastHeartbeat` (server time) on the site's
 * volume and answers the volume, so the agent reads its switches in the same call.
 */
export async function heartbeat(ctx: OpContext, body: unknown): Promise<OpResult> {
  const { site, ...keys } = parseBodyWith(HeartbeatBody, body, 'heartbeat');
  assertSiteScope(ctx.caller, site);
  const volume = await findSite(ctx, site);
  const updated = await ctx.store.update(volume._id, { ...(keys as NodeBody), lastHeartbeat: ctx.now() }, []);
  if (!updated) throw notFound(`unknown site ${site}`);
  return { status: 200, body: updated };
}
