/**
 * Recent transfer rate per site, counted from change events (a file whose `synced_<site>` changed
 * was delivered there: see changes.ts), and the catch-up estimate it gives for a site's backlog. Pure.
 * The tracker keeps no transfer history, so the rate covers what the page saw since it opened (at
 * most the last WINDOW_MS), and never a span shorter than MIN_SPAN_MS (a few quick copies right
 * after opening do not make a wild estimate).
 */
import type { Node } from '../../client/types.js';
import { siteChanges } from './changes.js';
import { formatDuration } from './format.js';

export const WINDOW_MS = 10 * 60_000;
export const MIN_SPAN_MS = 60_000;

interface Delivery {
  at: number;
  bytes: number;
}

export interface SiteRate {
  /** The span the figures cover. */
  spanMs: number;
  files: number;
  bytes: number;
  /** Deliveries per minute over the window. */
  filesPerMinute: number;
  bytesPerSecond: number;
}

export interface CatchUp {
  /** undefined: nothing pending (up to date) or no recent transfers (unknown). */
  ms: number | undefined;
  text: string;
}

export class TransferRates {
  private readonly deliveries = new Map<string, Delivery[]>();
  /** `<file>|<site>|<synced value>` already counted (a later change of the file repeats the value). */
  private readonly counted = new Set<string>();

  constructor(
    /** When the page started watching (ms epoch). */
    private readonly startedAt: number,
    private readonly windowMs = WINDOW_MS,
  ) {}

  /** Reads one changed file (an event seen at `at`; `before`: its node before, if the page saw it). */
  observe(node: Node | null, before: Node | undefined, at: number): void {
    if (!node || !node._id.startsWith('/')) return;
    for (const { site, delivered } of siteChanges(node, before)) {
      const value = node[`synced_${site}`];
      // A delivery sets synced_<site> to its claim time: ignore values older than the window.
      if (!delivered || typeof value !== 'number' || value < at - this.windowMs) continue;
      const id = `${node._id}|${site}|${value}`;
      if (this.counted.has(id)) continue;
      this.counted.add(id);
      const bytes = typeof node.file_size === 'number' ? node.file_size : 0;
      const list = this.deliveries.get(site) ?? [];
      list.push({ at, bytes });
      this.deliveries.set(site, list);
    }
    if (this.counted.size > 50_000) this.counted.clear();
  }

  rate(site: string, now: number): SiteRate {
    const since = now - this.windowMs;
    const list = (this.deliveries.get(site) ?? []).filter((d) => d.at >= since);
    this.deliveries.set(site, list);
    const bytes = list.reduce((sum, d) => sum + d.bytes, 0);
    const spanMs = Math.min(this.windowMs, Math.max(MIN_SPAN_MS, now - this.startedAt));
    return {
      spanMs,
      files: list.length,
      bytes,
      filesPerMinute: list.length / (spanMs / 60_000),
      bytesPerSecond: bytes / (spanMs / 1000),
    };
  }
}

/** Time to clear `pending` files (`bytes` of them) at the recent rate; by bytes when sizes are known. */
export function catchUp(pending: number | undefined, bytes: number | undefined, rate: SiteRate): CatchUp {
  if (pending === undefined) return { ms: undefined, text: 'no queue figures' };
  if (pending === 0) return { ms: undefined, text: 'up to date' };
  if (rate.files === 0)
    return { ms: undefined, text: `unknown: no transfers in the last ${formatDuration(rate.spanMs)}` };
  const ms =
    bytes && rate.bytesPerSecond > 0
      ? (bytes / rate.bytesPerSecond) * 1000
      : (pending / rate.filesPerMinute) * 60_000;
  return { ms, text: '' };
}
