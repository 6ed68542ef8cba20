/**
 * How a file's copy at a site reads on the page: the state from the tracker's own rules
 * (functions/core/sync-state.ts), with an icon and a word so it reads without colour.
 */
import type { Node } from '../../client/types.js';
import { SITE_STATES, siteState, type SiteState } from '../../functions/core/sync-state.js';

export { siteState, type SiteState };

export interface CellState {
  state: SiteState;
  /** Icon, then the word: both are shown. */
  icon: string;
  label: string;
  /** Longer text for screen readers and the tooltip. */
  title: string;
}

const ICONS: Record<SiteState, string> = {
  current: '✓',
  outdated: '◐',
  syncing: '⇣',
  error: '✕',
  missing: '○',
};

/** The tooltip of each state but `error`, which names its code. */
const TITLES: Record<Exclude<SiteState, 'error'>, string> = {
  current: 'copy is current',
  outdated: 'copy is older than the file',
  syncing: 'transfer in progress',
  missing: 'no copy yet',
};

/** The cell of `file` at `site`: `error 23` carries the rsync exit code. */
export function cellState(file: Node, site: string): CellState {
  const state = siteState(file, site);
  const icon = ICONS[state];
  if (state === 'error') {
    const code = file[`syncError_${site}`];
    const message = file[`syncErrorMessage_${site}`];
    return {
      state,
      icon,
      label: `error ${String(code)}`,
      title: `${site}: transfer failed (rsync exit code ${String(code)})${typeof message === 'string' ? `: ${message}` : ''}`,
    };
  }
  return { state, icon, label: state, title: `${site}: ${TITLES[state]}` };
}

export const STATE_LEGEND: CellState[] = SITE_STATES.map((state) => ({
  state,
  icon: ICONS[state],
  label: state,
  title: state,
}));
