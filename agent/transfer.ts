/**
 * Transfers: claim pairs, group them by source (and priority, so higher-priority files are copied
 * first), run one rsync per group, move each complete file from the staging folder into place, and
 * journal every file's result in the outbox. Pulls write into `<root>/.syncplanet/incoming` in place
 * (a crash leaves a partial file there to resume from, never at the final path); a whole file is then
 * renamed into place, which is atomic on the volume's filesystem.
 */
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Node } from '../client/types.js';
import type { ClaimDirection } from '../functions/core/ports.js';
import type { AgentContext } from './context.js';
import { finalPath, PathRefused, relativePath } from './paths.js';
import { parseRsyncArgs, RsyncArgsRefused } from './rsync-args.js';
import {
  parseVolumeUrl,
  PARTIAL_CODES,
  runRsync,
  SetupRefused,
  sshCommand,
  type Remote,
  type RsyncOutcome,
} from './rsync.js';
import type { ClaimedPair, TransferResult } from './tracker.js';
import { packageOf } from './walk.js';

/** rsync's code for "errors selecting input/output files, dirs": used for refused paths. */
export const REFUSED_CODE = 3;
/** rsync's code for a syntax or usage error: used for refused `rsync_args` or a bad volume url. */
export const USAGE_CODE = 1;

export interface TransferSummary {
  claimed: number;
  done: number;
  bytes: number;
  failed: number;
}

/** Pairs a round claims: the volume's `syncAmountReception` / `syncAmountEmission` (at most 100), else 10. */
export function claimLimit(volume: Node, direction: ClaimDirection): number {
  const value = direction === 'reception' ? volume.syncAmountReception : volume.syncAmountEmission;
  return typeof value === 'number' && Number.isInteger(value) ? Math.min(value, 100) : 10;
}

/** One round in one direction: claims up to the volume's amount and transfers them. */
export async function transferRound(
  ctx: AgentContext,
  direction: 'reception' | 'emission',
): Promise<TransferSummary> {
  const summary: TransferSummary = { claimed: 0, done: 0, bytes: 0, failed: 0 };
  const { volume } = ctx;
  const enabled =
    direction === 'reception' ? volume.enableReception !== false : volume.enableEmission === true;
  const limit = claimLimit(volume, direction);
  if (!enabled || limit < 1) return summary;
  const claims = await ctx.tracker.claim(limit, ctx.options.lease, direction);
  summary.claimed = claims.length;
  for (const group of groups(claims, direction)) {
    if (ctx.signal.aborted) break;
    const results = await transferGroup(ctx, group, direction);
    for (const r of results) {
      if ('error' in r && r.error !== undefined) summary.failed++;
      else {
        summary.done++;
        summary.bytes += group.find((c) => c._id === r._id)?.file_size ?? 0;
      }
    }
    await ctx.outbox.add(results);
  }
  return summary;
}

/** Consecutive claims (queue order) with the same peer and priority. */
function groups(claims: ClaimedPair[], direction: 'reception' | 'emission'): ClaimedPair[][] {
  const peer = (c: ClaimedPair) =>
    `${direction === 'reception' ? c.source.url : c.destination.url} ${c.priority}`;
  const out: ClaimedPair[][] = [];
  for (const claim of claims) {
    const last = out.at(-1);
    if (last && peer(last[0]!) === peer(claim)) last.push(claim);
    else out.push([claim]);
  }
  return out;
}

const failure = (claim: ClaimedPair, code: number, message: string, direction: string): TransferResult => ({
  ...target(claim, direction),
  error: code,
  message: message.slice(0, 1000),
});
const target = (claim: ClaimedPair, direction: string): { _id: string; destination?: string } =>
  direction === 'emission' ? { _id: claim._id, destination: claim.destination.site } : { _id: claim._id };
const success = (claim: ClaimedPair, direction: string): TransferResult => ({
  ...target(claim, direction),
  ok: true,
});

async function transferGroup(
  ctx: AgentContext,
  group: ClaimedPair[],
  direction: 'reception' | 'emission',
): Promise<TransferResult[]> {
  const results: TransferResult[] = [];
  const paths = new Map<string, ClaimedPair>();
  // Checked together (the file system answers them in parallel); the check is repeated when placing.
  const checked = await Promise.all(
    group.map(async (claim) => {
      try {
        const rel = relativePath(claim._id);
        await finalPath(ctx.options.root, rel);
        return { claim, entry: claim._id.endsWith('/') ? `${rel}/` : rel }; // rsync's entry: a package ends with /
      } catch (error) {
        if (!(error instanceof PathRefused)) throw error;
        return { claim, refused: error };
      }
    }),
  );
  for (const { claim, entry, refused } of checked) {
    if (entry !== undefined) paths.set(entry, claim);
    else {
      ctx.log.warn({ id: claim._id, err: refused.message }, 'refused a path');
      results.push(failure(claim, REFUSED_CODE, `refused: ${refused.message}`, direction));
    }
  }
  if (paths.size === 0) return results;
  const peer = direction === 'reception' ? group[0]!.source.url : group[0]!.destination.url;
  const { ssh } = ctx;
  let remote: Remote;
  let extraArgs: string[];
  try {
    remote = parseVolumeUrl(peer);
    sshCommand(remote, ssh); // built here only to refuse a path it cannot quote: these files fail, not the round
    extraArgs = parseRsyncArgs(ctx.volume.rsync_args as string | undefined, {
      allowDeletion: ctx.volume.enableDeletion === true,
    });
  } catch (error) {
    if (!(error instanceof RsyncArgsRefused) && !(error instanceof SetupRefused)) throw error;
    ctx.log.error({ err: error.message }, 'cannot transfer');
    return [...results, ...[...paths.values()].map((c) => failure(c, USAGE_CODE, error.message, direction))];
  }
  ctx.peers.set(`${remote.user}@${remote.host}:${remote.port}`, remote);
  const outcome = await runRsync({
    remote,
    direction: direction === 'reception' ? 'pull' : 'push',
    local: direction === 'reception' ? ctx.staging : ctx.options.root,
    paths: [...paths.keys()],
    extraArgs,
    ssh,
    signal: ctx.signal,
  });
  ctx.log.info(
    {
      peer: remote.host,
      direction,
      files: paths.size,
      exitCode: outcome.exitCode,
      bytesReceived: outcome.bytesReceived,
      bytesSent: outcome.bytesSent,
    },
    'rsync finished',
  );
  for (const [entry, claim] of paths) {
    const failed = fileFailure(outcome, entry);
    if (failed) results.push(failure(claim, failed.code, failed.message, direction));
    else if (direction === 'emission') results.push(success(claim, direction));
    else {
      const placed = place(ctx, entry.replace(/\/$/, ''), entry.endsWith('/'));
      results.push(
        await placed.then(
          () => success(claim, direction),
          (error: Error) =>
            failure(claim, error instanceof PathRefused ? REFUSED_CODE : 23, error.message, direction),
        ),
      );
    }
  }
  return results;
}

function fileFailure(outcome: RsyncOutcome, rel: string): { code: number; message: string } | undefined {
  const failed = outcome.failed.get(rel);
  if (failed) return failed;
  if (outcome.transferred.has(rel) || PARTIAL_CODES.has(outcome.exitCode)) return undefined;
  return { code: outcome.exitCode, message: outcome.stderr || `rsync exited with ${outcome.exitCode}` };
}

/** Moves a whole file (or package) from staging to its final path and records it in the index. */
async function place(ctx: AgentContext, rel: string, isPackage: boolean): Promise<void> {
  const { root } = ctx.options;
  const from = join(ctx.staging, rel);
  const to = await finalPath(root, rel);
  await mkdir(dirname(to), { recursive: true });
  if (isPackage) {
    await placeFolder(root, from, rel, to);
    const found = packageOf(root, rel);
    ctx.index.set(`${rel}/`, found.size, found.mtime);
  } else {
    await rename(from, to);
    const stats = await lstat(to);
    ctx.index.set(rel, stats.size, Math.floor(stats.mtimeMs));
  }
}

/**
 * A package folder (`to`: its checked final path): renamed whole when new, else merged entry by
 * entry, a new subfolder renamed whole (nothing at the destination is removed).
 */
async function placeFolder(root: string, from: string, rel: string, to: string): Promise<void> {
  const existing = await lstat(to).catch(() => null);
  if (!existing) return rename(from, to);
  if (!existing.isDirectory()) throw new PathRefused(`/${rel}/: a file is in the way of the package folder`);
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const child = `${rel}/${entry.name}`;
    const childTo = await finalPath(root, child);
    if (entry.isDirectory()) await placeFolder(root, join(from, entry.name), child, childTo);
    else await rename(join(from, entry.name), childTo);
  }
  await rm(from, { recursive: true, force: true });
}
