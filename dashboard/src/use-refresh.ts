/**
 * Re-reads figures that change with every transfer (`sites`, `stats`: they read each site's whole
 * queue): at once, every `pollMs`, and after change events, coalesced to at most one read per
 * `gapMs` so a busy tracker is not asked again for each event.
 */
import { useEffect } from 'preact/hooks';
import type { LiveFeed } from './live.js';

export interface RefreshTiming {
  pollMs?: number;
  gapMs?: number;
}

/** `load(active)`: `active()` is false once the view is gone (drop the answer then). */
export function useRefresh(
  live: LiveFeed,
  load: (active: () => boolean) => Promise<void>,
  { pollMs = 10_000, gapMs = 3000 }: RefreshTiming = {},
): void {
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last = 0;
    const active = () => !stopped;
    const run = () => {
      clearTimeout(timer);
      timer = undefined;
      last = Date.now();
      void load(active);
    };
    const soon = () => {
      timer ??= setTimeout(run, Math.max(500, last + gapMs - Date.now()));
    };
    run();
    const poll = setInterval(run, pollMs);
    const unlisten = live.listen(soon);
    return () => {
      stopped = true;
      clearInterval(poll);
      clearTimeout(timer);
      unlisten();
    };
  }, [live]);
}
