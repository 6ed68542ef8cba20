/**
 * Synchronisation planning (DESIGN.md §3, §5). Pure: which sites need a file, in what order, what
 * state each (file, site) pair is in, where a copy can be fetched from, and when a failed copy is
 * retried. The per-site queues are a projection of these rules over the file nodes' keys.
 *
 * Keys on a file node for site S: `synced_S` (time of the version delivered), `syncing_S` (a
 * transfer is leased since), `syncLease_S` (until when), `syncError_S` (rsync exit code of the last
 * failure), `syncLastAttempt_S`, `syncAttempts_S` (failures in a row), `modified_S`, `sync_S`.
 */
import { z } from 'zod';
import { badRequest } from './errors.js';
import type { Node } from './nodes.js';
import { isSet, siteState } from './sync-state.js';

export const GLOBAL_PARAMETERS_ID = 'rsyncGlobalParameters';
export const SITE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** A site name in a request body: claims, results, scans, heartbeats, tokens. */
export const SiteName = z
  .string()
  .regex(SITE_NAME, 'must be a site name (1-64 letters, digits, dashes or underscores)');
/** A user or host starting with `-` would reach the agents' ssh and rsync as an option: refused. */
const VOLUME_URL = /^ssh:\/\/[^-@/\s:][^@/\s:]*@[^-@/\s:][^@/\s:]*(?::\d{1,5})?\/(?:[^\s]*\/)?$/;

/** A node is a volume when its id is not a path and it has a string `name` and `url` (SyncPlanet). */
export const isVolume = (node: Node | null | undefined): node is Node =>
  !!node && !node._id.startsWith('/') && typeof node.name === 'string' && typeof node.url === 'string';

/** Only file nodes are planned: paths, not publish history children or comments. */
export const isPlannedFile = (node: Node | null | undefined): node is Node =>
  !!node && node._id.startsWith('/') && node['#parent'] === undefined;

const bool = z.boolean();
const count = z.number().int().min(0).max(10_000);
export const VolumeKeys = z
  .object({
    name: z.string().regex(SITE_NAME, 'must be 1-64 letters, digits, dashes or underscores'),
    url: z.string().max(2048).regex(VOLUME_URL, 'must look like ssh://user@host[:port]/path/'),
    enableDiscovery: bool,
    enableDiscoveryPackages: bool,
    enableDiscoveryUpdatedFiles: bool,
    enableDiscoveryDeletedFiles: bool,
    enableEmission: bool,
    enableReception: bool,
    syncAmountEmission: count,
    syncAmountReception: count,
    rsync_args: z.string().max(4096),
  })
  .partial();

/** Checks the keys of a volume node that the tracker relies on (others are free). Throws 400. */
export function validateVolume(node: Node): void {
  const result = VolumeKeys.safeParse(node);
  if (result.success) return;
  const issue = result.error.issues[0]!;
  throw badRequest(`volume ${node._id}: ${issue.path.join('.')} ${issue.message}`);
}

/** The receiving sites of a set of volumes: name → volume (reception enabled unless set to false). */
export function receivingSites(volumes: readonly Node[]): Map<string, Node> {
  return new Map(
    volumes.filter((v) => isVolume(v) && v.enableReception !== false).map((v) => [v.name as string, v]),
  );
}

/**
 * The sites a file must be at: every receiving volume but its origin (unless the file was modified
 * elsewhere since: then the origin needs the new version too), limited — when the file's
 * `syncEverywhere` (else the global default, else true) is false — to sites with `sync_<site>: true`.
 */
export function destinations(file: Node, volumes: readonly Node[], globals?: Node): string[] {
  if (!isPlannedFile(file)) return [];
  const everywhere =
    typeof file.syncEverywhere === 'boolean' ? file.syncEverywhere : globals?.syncEverywhere !== false;
  return [...receivingSites(volumes).keys()]
    .filter((site) => !(site === file.origin && siteState(file, site) === 'current'))
    .filter((site) => everywhere || file[`sync_${site}`] === true)
    .sort();
}

export type PairState = 'current' | 'pending' | 'leased' | 'waiting';

/**
 * The state a pair is queued in, from the keys alone (no clock): leased while a transfer holds it,
 * waiting after a failure, pending otherwise. Expired leases and due retries are found by time.
 */
export function queuedState(file: Node, site: string): PairState {
  if (siteState(file, site) === 'current') return 'current';
  if (file[`syncing_${site}`] !== undefined && num(file[`syncLease_${site}`]) !== undefined) return 'leased';
  if (retryDueAt(file, site) !== undefined) return 'waiting';
  return 'pending';
}

const num = (value: unknown) => (typeof value === 'number' ? value : undefined);

/** Failed copies are retried after 1, 2, 4 … minutes, at most 6 hours apart. */
export function retryDelayMs(attempts: number): number {
  return Math.min(6 * 3_600_000, 60_000 * 2 ** Math.max(0, attempts - 1));
}

/**
 * The state of a (file, destination) pair at `now`: current; leased (a transfer holds an unexpired
 * lease); waiting (the last attempt failed and its retry is not due); pending otherwise.
 */
export function pairState(file: Node, site: string, now: number): PairState {
  if (siteState(file, site) === 'current') return 'current';
  if ((num(file[`syncLease_${site}`]) ?? 0) > now && file[`syncing_${site}`] !== undefined) return 'leased';
  const due = retryDueAt(file, site);
  if (due !== undefined && due > now) return 'waiting';
  return 'pending';
}

/** When a failed pair may be tried again; undefined when the last attempt did not fail. */
export function retryDueAt(file: Node, site: string): number | undefined {
  const last = num(file[`syncLastAttempt_${site}`]);
  if (file[`syncError_${site}`] === undefined || last === undefined) return undefined;
  return last + retryDelayMs(num(file[`syncAttempts_${site}`]) ?? 1);
}

const PRIORITY_LIMIT = 9_999_999;

/**
 * Sorts pending work: higher `sync_priority` first (clamped to ±9,999,999 and rounded), then older
 * `time`, then the id. As a string, so a DynamoDB sort key orders it.
 */
export function queueOrderKey(file: Node): string {
  const priority = Math.round(
    Math.max(-PRIORITY_LIMIT, Math.min(PRIORITY_LIMIT, num(file.sync_priority) ?? 0)),
  );
  const time = Math.max(0, Math.floor(num(file.time) ?? 0));
  return `${String(PRIORITY_LIMIT - priority).padStart(8, '0')}#${String(time).padStart(13, '0')}#${file._id}`;
}

// ---- the queues' registry and claims ---------------------------------------------------------

/** Volumes and the global parameters: the nodes the queues are planned from. */
export const isRegistryNode = (node: Node | null | undefined): node is Node =>
  node?._id === GLOBAL_PARAMETERS_ID || isVolume(node);

const planningOf = (node: Node | null | undefined) =>
  isVolume(node) ? `${node.name as string} ${node.enableReception !== false}` : undefined;

/**
 * Whether a change of a registry node moves files between queues: a volume added, removed, renamed
 * or its `enableReception` switched; the global `syncEverywhere` changed (an absent node counts as
 * true). Answers the sites whose pairs may have to leave (a volume's old and new name), or
 * undefined when planning is unaffected.
 */
export function replanSites(
  old: Node | null | undefined,
  next: Node | null | undefined,
): string[] | undefined {
  if ((next ?? old)?._id === GLOBAL_PARAMETERS_ID) {
    return (old?.syncEverywhere !== false) === (next?.syncEverywhere !== false) ? undefined : [];
  }
  if (planningOf(old) === planningOf(next)) return undefined;
  return [...new Set([old, next].flatMap((n) => (isVolume(n) ? [n.name as string] : [])))];
}

/**
 * Whether a pair just leased may be copied: the site is still a destination, its copy is not
 * current, and a failed transfer's retry is due (queue items can lag behind the node).
 */
export function claimable(
  file: Node,
  site: string,
  volumes: readonly Node[],
  globals: Node | undefined,
  now: number,
) {
  return (
    destinations(file, volumes, globals).includes(site) &&
    siteState(file, site) !== 'current' &&
    (retryDueAt(file, site) ?? 0) <= now
  );
}

/**
 * Where `destination` fetches a file from: the origin's volume while its copy is current, else the
 * first volume by name holding a current copy; with that volume's `url`. A copy its site's scan
 * found gone (`missing_<site>`, cleared when a scan sees it again) comes last: tried only when no
 * other copy exists (the transfer then fails with 23 and is retried later). Undefined when no
 * volume holds a current copy.
 */
export function claimSource(
  file: Node,
  volumes: readonly Node[],
  destination: string,
): { site: string; url: string } | undefined {
  const urls = new Map(volumes.filter(isVolume).map((v) => [v.name as string, v.url as string]));
  urls.delete(destination);
  const origin = typeof file.origin === 'string' && urls.has(file.origin) ? [file.origin] : [];
  const current = [...origin, ...[...urls.keys()].sort()].filter((s) => siteState(file, s) === 'current');
  const site = current.find((s) => !isSet(file[`missing_${s}`])) ?? current[0];
  return site === undefined ? undefined : { site, url: urls.get(site)! };
}
