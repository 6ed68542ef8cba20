/** `damas sites` and `damas queue <site>`: the sites' agents and backlogs, and a site's next files. */
import type { QueuedPair, SiteStatus } from '../../types.js';
import type { CliContext, Handler, Outcome } from '../context.js';
import { UsageError } from '../failures.js';
import { columns, painter } from '../output.js';
import { count } from './crud.js';

/** `3d`, `5h`, `12m`, `40s`: how long ago (or from now) `ms` milliseconds is. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** `1.5 MiB`. */
export function size(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function siteRow(site: SiteStatus, now: number): string[] {
  const heartbeat = site.lastHeartbeat === null ? 'never' : `${duration(now - site.lastHeartbeat)} ago`;
  const backlog = site.backlog ? `${site.backlog.pending} (${size(site.backlog.bytes)})` : '-';
  const errors = site.errors
    ? Object.entries(site.errors)
        .map(([code, n]) => `${code}×${n}`)
        .join(', ') || 'none'
    : '-';
  return [site.name, site.agentStatus, heartbeat, backlog, errors];
}

export async function sites(
  ctx: CliContext,
  _args: string[],
  options: Record<string, unknown>,
): Promise<Outcome> {
  const reply = await ctx.client().sites();
  if (options.json) return reply;
  if (reply.body.length === 0) {
    ctx.note('no sites: create volume nodes ({_id, name, url}) as an admin');
    return { status: reply.status, text: '' };
  }
  const paint = painter(ctx.io.stdout, ctx.io.env);
  const rows = [
    ['site', 'agent', 'heartbeat', 'backlog', 'errors'],
    ...reply.body.map((s) => siteRow(s, Date.now())),
  ];
  const onOff = (column: number, cell: string) =>
    column === 1 ? (cell === 'on' ? 'green' : 'red') : undefined;
  return { status: reply.status, text: [...columns(rows, paint, onOff), ''].join('\n') };
}

function pairRow(pair: QueuedPair, now: number): string[] {
  const error = pair.syncError === undefined ? '' : ` (error ${pair.syncError})`;
  const due =
    pair.dueAt === undefined ? '' : `, ${pair.dueAt > now ? `in ${duration(pair.dueAt - now)}` : 'due'}`;
  return [
    String(pair.sync_priority),
    pair.file_size === undefined ? '-' : size(pair.file_size),
    `${pair.state}${error}${due}`,
    pair._id,
  ];
}

export async function queue(
  ctx: CliContext,
  args: string[],
  options: Record<string, unknown>,
): Promise<Outcome> {
  const site = args[0]!;
  const limit = count(options.limit, '--limit');
  if (limit < 1 || limit > 1000) throw new UsageError('--limit must be from 1 to 1000');
  const reply = await ctx.client().queue(site, limit);
  if (options.json) return reply;
  if (reply.body.length === 0) {
    ctx.note(`site ${site} waits for no file`);
    return { status: reply.status, text: '' };
  }
  const paint = painter(ctx.io.stdout, ctx.io.env);
  const rows = [['priority', 'size', 'state', 'path'], ...reply.body.map((p) => pairRow(p, Date.now()))];
  return { status: reply.status, text: [...columns(rows, paint), ''].join('\n') };
}

export const SITE_HANDLERS = { sites, queue } satisfies Record<string, Handler>;
