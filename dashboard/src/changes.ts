/**
 * What a change event did to a file's copies, from the node before it (when the page saw it) and
 * after. Events carry only the new image, so for a node first seen in an update the change is taken
 * to be the site key with the newest time (a claim sets `syncing_`, a result `synced_` or
 * `syncLastAttempt_`, a scan `modified_`). Pure.
 */
import type { Node } from '../../client/types.js';
import { siteState, type SiteState } from './states.js';

const TIMED_KEY = /^(synced|syncing|syncLastAttempt|modified)_(.+)$/;
const STATE_KEY = /^(?:synced|syncing|syncError|modified)_(.+)$/;

export interface SiteChange {
  site: string;
  state: SiteState;
  /** The copy at `site` was just delivered (`synced_<site>` changed). */
  delivered: boolean;
}

function sitesOf(...nodes: (Node | undefined)[]): string[] {
  const sites = new Set<string>();
  for (const node of nodes)
    for (const key of Object.keys(node ?? {})) {
      const site = STATE_KEY.exec(key)?.[1];
      if (site) sites.add(site);
    }
  return [...sites].sort();
}

/** The sites whose copy changed state (or was delivered again) in this update. */
export function siteChanges(node: Node, before: Node | undefined): SiteChange[] {
  if (before) {
    return sitesOf(node, before).flatMap((site) => {
      const state = siteState(node, site);
      const synced = node[`synced_${site}`];
      const delivered = typeof synced === 'number' && synced !== before[`synced_${site}`];
      return state !== siteState(before, site) || delivered ? [{ site, state, delivered }] : [];
    });
  }
  let newest = -Infinity;
  let found: { site: string; kind: string }[] = [];
  for (const [key, value] of Object.entries(node)) {
    const match = TIMED_KEY.exec(key);
    if (!match || typeof value !== 'number' || value < newest) continue;
    if (value > newest) found = [];
    newest = value;
    found.push({ kind: match[1]!, site: match[2]! });
  }
  return found.map(({ site, kind }) => ({
    site,
    state: siteState(node, site),
    delivered: kind === 'synced',
  }));
}
