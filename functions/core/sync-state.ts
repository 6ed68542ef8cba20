/**
 * Per-site synchronisation state of file nodes, from the keys the tracker keeps on them. Pure.
 *
 * Sites: the `origin` of each file, every `<site>` named by a `synced_`, `syncing_`, `syncError_`
 * or `modified_` key, and the `name` of volume nodes (nodes with an `enableReception` key).
 *
 * State of a file at a site S, first rule that applies:
 * 1. current  — `synced_S >= time`, or `modified_S >= time` (the change was scanned at S), or S is
 *               the `origin` and no site has `modified_X >= time` (the newest version is the origin's);
 * 2. syncing  — `syncing_S` is set (a transfer to S is in progress);
 * 3. error    — `syncError_S` is set (the last transfer failed; its rsync exit code);
 * 4. outdated — `synced_S` is older than `time`;
 * 5. missing  — otherwise.
 * A file without `time` counts as time 0. A key set to null or false counts as absent.
 */
import type { Node } from './nodes.js';

export const SITE_STATES = ['current', 'outdated', 'syncing', 'error', 'missing'] as const;
export type SiteState = (typeof SITE_STATES)[number];

export interface FileSyncState {
  _id: string;
  /** One entry per site of the table, in its order. */
  states: Record<string, SiteState>;
}

export interface SyncTable {
  /** Sorted site names. */
  sites: string[];
  files: FileSyncState[];
  /** How many cells are in each state. */
  totals: Record<SiteState, number>;
}

const SITE_KEY = /^(?:synced|syncing|syncError|modified)_(.+)$/;

export const isSet = (value: unknown) => value !== undefined && value !== null && value !== false;
const timeOf = (file: Node) => (typeof file.time === 'number' ? file.time : 0);
const atLeast = (value: unknown, time: number) => typeof value === 'number' && value >= time;

/** The sites a file node mentions: its origin and the sites of its sync keys. */
export function sitesOfFile(file: Node): string[] {
  const sites = new Set<string>();
  if (typeof file.origin === 'string' && file.origin !== '') sites.add(file.origin);
  for (const key of Object.keys(file)) {
    const site = SITE_KEY.exec(key)?.[1];
    if (site) sites.add(site);
  }
  return [...sites];
}

/** Site names of volume nodes (those with an `enableReception` key and a string `name`). */
export function sitesOfVolumes(volumes: readonly Node[]): string[] {
  return volumes.flatMap((v) =>
    'enableReception' in v && typeof v.name === 'string' && v.name !== '' ? [v.name] : [],
  );
}

export function siteState(file: Node, site: string): SiteState {
  const time = timeOf(file);
  if (atLeast(file[`synced_${site}`], time) || atLeast(file[`modified_${site}`], time)) return 'current';
  if (file.origin === site && !modifiedElsewhere(file, time)) return 'current';
  if (isSet(file[`syncing_${site}`])) return 'syncing';
  if (isSet(file[`syncError_${site}`])) return 'error';
  if (typeof file[`synced_${site}`] === 'number') return 'outdated';
  return 'missing';
}

function modifiedElsewhere(file: Node, time: number): boolean {
  return Object.entries(file).some(([key, value]) => key.startsWith('modified_') && atLeast(value, time));
}

/** The state of every file at every site found on the files or the volumes. */
export function syncTable(files: readonly Node[], volumes: readonly Node[] = []): SyncTable {
  const sites = [...new Set([...files.flatMap(sitesOfFile), ...sitesOfVolumes(volumes)])].sort();
  const totals = Object.fromEntries(SITE_STATES.map((s) => [s, 0])) as Record<SiteState, number>;
  const rows = files.map((file) => {
    const states: Record<string, SiteState> = {};
    for (const site of sites) {
      const state = siteState(file, site);
      states[site] = state;
      totals[state]++;
    }
    return { _id: file._id, states };
  });
  return { sites, files: rows, totals };
}
