/**
 * Child process of the agent-scan figures (run with --expose-gc, IPC to the parent): the agent's
 * real `scan(ctx)` over `<root>` with a stub tracker that answers "all new" to publish and counts
 * every call. `memory <root> <files>`: memory readings (gc() before each) before the agent code is
 * loaded, once it is, during the scan (highest at its first and last publish call) and after it.
 * `rescan <root>`: a first scan fills the index, then each `scan` message times one rescan.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AgentContext } from '../agent/context.js';
import type { NewFile, ScanChange } from '../agent/tracker.js';

interface Reading {
  heap: number;
  rss: number;
}
export type MemoryReport = Record<'before' | 'loaded' | 'peak' | 'after', Reading> & { tracked: number };
export interface RescanReport {
  ms: number;
  scanned: number;
  /** Tracker calls made by this rescan. */
  calls: number;
}

const reading = (): Reading => {
  globalThis.gc!();
  const { heapUsed, rss } = process.memoryUsage();
  return { heap: heapUsed, rss };
};
const highest = (a: Reading, b: Reading): Reading => ({
  heap: Math.max(a.heap, b.heap),
  rss: Math.max(a.rss, b.rss),
});
const send = (message: unknown) =>
  new Promise<void>((done) => process.send!(message, undefined, {}, () => done()));

/** What scan calls on the tracker: every call counted; publish reports each batch as new. */
class StubTracker {
  calls = 0;
  published = 0;
  onPublish: (call: number) => void = () => {};
  async publish(files: NewFile[]): Promise<string[]> {
    this.published += files.length;
    this.onPublish(++this.calls);
    return [];
  }
  async scanned(changes: ScanChange[]) {
    this.calls++;
    return changes.map(() => null);
  }
  async read(ids: string[]) {
    this.calls++;
    return ids.map(() => null);
  }
}

async function context(root: string, tracker: StubTracker): Promise<AgentContext> {
  const { LocalIndex } = await import('../agent/local-index.js');
  return {
    options: { root, site: 'A', missingThreshold: 0.5 },
    tracker,
    log: { warn() {} },
    index: new LocalIndex(join(root, '..', 'index')), // never saved
    volume: { _id: 'vol-A', name: 'A' },
    globals: undefined,
  } as unknown as AgentContext;
}

async function memory(root: string, files: number): Promise<void> {
  const before = reading();
  const { scan } = await import('../agent/scan.js');
  const tracker = new StubTracker();
  const ctx = await context(root, tracker);
  const loaded = reading();
  const lastCall = Math.ceil(files / 100);
  let peak = loaded;
  tracker.onPublish = (call) => {
    if (call !== 1 && call !== lastCall) return;
    peak = highest(peak, reading());
  };
  await scan(ctx);
  const after = reading();
  peak = highest(peak, after);
  await send({ before, loaded, peak, after, tracked: ctx.index.entries.size } satisfies MemoryReport);
  process.disconnect();
}

async function rescan(root: string): Promise<void> {
  const { scan } = await import('../agent/scan.js');
  const tracker = new StubTracker();
  const ctx = await context(root, tracker);
  await scan(ctx);
  const published = tracker.published;
  process.on('message', (message) => {
    if (message !== 'scan') return process.disconnect();
    tracker.calls = 0;
    const start = performance.now();
    void scan(ctx).then(async (summary) =>
      send({
        ms: performance.now() - start,
        scanned: summary.scanned,
        calls: tracker.calls,
      } satisfies RescanReport),
    );
  });
  await send({ published });
}

const [mode, root, files] = process.argv.slice(2);
await (mode === 'memory' ? memory(root!, Number(files)) : rescan(root!));
