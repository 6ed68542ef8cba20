/**
 * One scan of the volume against the local index: new files and packages are published (origin =
 * this site), changed ones reported as modified, vanished ones as missing — unless more than the
 * threshold share of the tracked files vanished at once (an unmounted disk looks empty): then
 * nothing is marked and the hold is reported. An unchanged tree costs a walk and no tracker call.
 */
import { siteState } from '../functions/core/sync-state.js';
import type { AgentContext } from './context.js';
import { fileId } from './paths.js';
import { scanRules } from './rules.js';
import type { NewFile, ScanChange } from './tracker.js';
import { walk, type Found } from './walk.js';

export interface ScanSummary {
  scanned: number;
  published: number;
  modified: number;
  missing: number;
  /** Files that looked gone but were not marked: over the threshold. */
  held: number;
  durationMs: number;
}

const PUBLISH_BATCH = 100;
const SCANNED_BATCH = 1000;

const keyOf = (found: Found) => (found.package ? `${found.rel}/` : found.rel);
const idOf = (found: Found) => fileId(found.rel, found.package);
const modification = (f: Found): ScanChange => ({
  _id: idOf(f),
  change: 'modified',
  file_size: f.size,
  file_mtime: f.mtime,
});

export async function scan(ctx: AgentContext): Promise<ScanSummary> {
  const started = Date.now();
  const { volume, globals, index } = ctx;
  const rules = scanRules(globals, volume);
  const packages = volume.enableDiscoveryPackages !== false;
  const round = ++index.round;
  const added: Found[] = [];
  const changed: Found[] = [];
  const back: string[] = [];
  let scanned = 0;
  const visit = (found: Found) => {
    scanned++;
    const entry = index.get(keyOf(found));
    if (!entry) return void added.push(found);
    entry.seen = round;
    if (entry.missing) back.push(keyOf(found));
    if (entry.size !== found.size || entry.mtime !== found.mtime) changed.push(found);
  };
  await walk(
    ctx.options.root,
    rules,
    visit,
    (rel) => index.entries.has(`${rel}/`) || (packages && rules.isPackage(rel)),
  );

  let tracked = 0;
  const gone: string[] = [];
  for (const [key, entry] of index.entries) {
    if (entry.missing) continue;
    tracked++;
    if (entry.seen !== round && rules.includes(key.endsWith('/') ? key.slice(0, -1) : key)) gone.push(key);
  }
  const hold = gone.length > 0 && gone.length > ctx.options.missingThreshold * tracked;
  const summary: ScanSummary = {
    scanned,
    published: 0,
    modified: 0,
    missing: 0,
    held: hold ? gone.length : 0,
    durationMs: 0,
  };
  if (hold)
    ctx.log.warn(
      { gone: gone.length, tracked },
      'scan held: too many files look gone (is the volume mounted?)',
    );

  if (volume.enableDiscovery !== false) await publishNew(ctx, added, summary);
  if (volume.enableDiscoveryUpdatedFiles !== false)
    summary.modified += await report(ctx, changed.map(modification));
  if (!hold && volume.enableDiscoveryDeletedFiles !== false) {
    summary.missing = await report(
      ctx,
      gone.map((key) => ({ _id: `/${key}`, change: 'missing' })),
    );
  }
  await report(
    ctx,
    back.map((key) => ({ _id: `/${key}`, change: 'present' })),
  );
  summary.durationMs = Date.now() - started;
  return summary;
}

/**
 * Publishes new files (counted in `summary.published`); for ids the tracker already has, decides
 * from the node what the local copy is (modifications counted in `summary.modified`).
 */
async function publishNew(ctx: AgentContext, added: Found[], summary: ScanSummary): Promise<void> {
  for (let i = 0; i < added.length; i += PUBLISH_BATCH) {
    const batch = added.slice(i, i + PUBLISH_BATCH);
    const files: NewFile[] = batch.map((f) => ({ _id: idOf(f), file_size: f.size, file_mtime: f.mtime }));
    const existing = new Set(await ctx.tracker.publish(files));
    const known: Found[] = [];
    for (const f of batch) {
      if (existing.has(idOf(f))) known.push(f);
      else ctx.index.set(keyOf(f), f.size, f.mtime);
    }
    summary.published += batch.length - known.length;
    if (known.length) summary.modified += await adoptKnown(ctx, known);
  }
}

/**
 * Files found here that the tracker already has: the same size and mtime → this copy is simply
 * indexed; different while the tracker says this site holds the current version → a modification;
 * different while this site's copy is outdated → an old version that reception will replace (left
 * unindexed, so the next scan looks again).
 */
async function adoptKnown(ctx: AgentContext, known: Found[]): Promise<number> {
  const nodes = await ctx.tracker.read(known.map(idOf));
  const modified: Found[] = [];
  known.forEach((f, i) => {
    const node = nodes[i];
    if (!node) return;
    if (node.file_size === f.size && (node.file_mtime === undefined || node.file_mtime === f.mtime))
      ctx.index.set(keyOf(f), f.size, f.mtime);
    else if (siteState(node, ctx.options.site) === 'current') modified.push(f);
  });
  return report(ctx, modified.map(modification));
}

/** Sends scan changes in batches and updates the index for the ones applied; answers how many applied. */
async function report(ctx: AgentContext, changes: ScanChange[]): Promise<number> {
  let applied = 0;
  for (let i = 0; i < changes.length; i += SCANNED_BATCH) {
    const batch = changes.slice(i, i + SCANNED_BATCH);
    const nodes = await ctx.tracker.scanned(batch);
    batch.forEach((change, j) => {
      const key = change._id.slice(1);
      if (!nodes[j]) {
        // Missing: gone from the tracker too; modified: published anew by the next scan.
        if (change.change !== 'present') ctx.index.delete(key);
        return;
      }
      applied++;
      if (change.change === 'modified') ctx.index.set(key, change.file_size, change.file_mtime);
      else ctx.index.setMissing(key, change.change === 'missing');
    });
  }
  return applied;
}
