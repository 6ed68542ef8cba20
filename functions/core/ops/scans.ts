/**
 * `POST scanned`: what a site's agent found on its volume about files the tracker already has —
 * modified there (every other copy becomes outdated, and a history child records the new version),
 * missing there (marked, never deleted: DESIGN.md §5), or present again. The tracker sets `time`
 * and `modified_<site>` itself: agents may not set `time` (a protected key).
 */
import { z } from 'zod';
import { badRequest, notFound, TrackerError } from '../errors.js';
import { MAX_ELEMENTS, MAX_ID_BYTES } from '../limits.js';
import {
  byteLength,
  generateId,
  isPlainObject,
  PARENT_KEY,
  resultStatus,
  type Node,
  type NodeBody,
} from '../nodes.js';
import { assertSiteScope } from '../permissions.js';
import { SiteName } from '../sync.js';
import type { OpContext, OpResult } from './context.js';
import { afterWrite } from '../volume-rules.js';
import { findSite } from './sites.js';

const FilePath = z
  .string()
  .min(1, 'must not be empty')
  .refine(
    (id) => id.startsWith('/'),
    'must be a file path starting with / (volumes, users and global parameters are not files)',
  )
  .refine((id) => id.isWellFormed(), 'is not valid Unicode (lone surrogate)')
  .refine((id) => byteLength(id) <= MAX_ID_BYTES, `is longer than ${MAX_ID_BYTES} bytes`);

/** The file changed on the volume: its new size (bytes) and modification time (ms epoch). */
const Modified = z.strictObject({
  _id: FilePath,
  change: z.literal('modified'),
  file_size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  file_mtime: z.number().int().min(0).max(1e15),
});
/** The file is gone from the volume. */
const Missing = z.strictObject({ _id: FilePath, change: z.literal('missing') });
/** The file is on the volume again (after `missing`). */
const Present = z.strictObject({ _id: FilePath, change: z.literal('present') });

const ScannedEntry = z.discriminatedUnion('change', [Modified, Missing, Present], {
  error: (issue) =>
    issue.code === 'invalid_union' ? 'must be "modified", "missing" or "present"' : undefined,
});

const ScannedBody = z.object({
  site: SiteName,
  files: z
    .array(ScannedEntry)
    .min(1, 'give at least one file')
    .max(MAX_ELEMENTS, `at most ${MAX_ELEMENTS} files per request; split it`),
});

/** One entry of `POST scanned`. */
export type ScannedFile = z.input<typeof ScannedEntry>;

/** Validates the whole body; a bad entry is named by its position and, when readable, its `_id`. */
function parseScanned(body: unknown): z.output<typeof ScannedBody> {
  const result = ScannedBody.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const [top, index, ...rest] = issue.path;
    let where = issue.path.join('.');
    if (top === 'files' && typeof index === 'number') {
      const raw = (body as { files: unknown[] }).files[index];
      const id = isPlainObject(raw) ? raw._id : undefined;
      const named = typeof id === 'string' && id.isWellFormed() ? ` (${id.slice(0, 200)})` : '';
      where = [`files[${index}]${named}`, ...rest].join('.');
    }
    throw badRequest(`scanned: ${where ? `${where}: ` : ''}${issue.message}`);
  }
  const first = new Map<string, number>();
  result.data.files.forEach(({ _id }, i) => {
    const earlier = first.get(_id);
    if (earlier !== undefined) {
      throw badRequest(`scanned: files[${i}] (${_id}) repeats files[${earlier}]; give each file once`);
    }
    first.set(_id, i);
  });
  return result.data;
}

/** The keys one entry sets and removes on its file node. */
function changeOf(file: z.output<typeof ScannedEntry>, site: string, now: number) {
  const missing = `missing_${site}`;
  switch (file.change) {
    case 'modified': {
      const set: NodeBody = {
        time: now,
        [`modified_${site}`]: now,
        file_size: file.file_size,
        file_mtime: file.file_mtime,
        comment: `modified at ${site}`,
      };
      return { set, remove: [missing] };
    }
    case 'missing':
      return { set: { [missing]: now }, remove: [] };
    case 'present':
      return { set: {}, remove: [missing] };
  }
}

/**
 * Applies one update per file (each key atomically, so concurrent writers' keys stay); a modification
 * and its publish-history child (`#parent` = the file, the file's keys after the change) are one
 * transaction. With several files, one the database refuses is a null like a missing file, never a
 * half-applied 4xx.
 */
async function applyEach(
  ctx: OpContext,
  files: readonly z.output<typeof ScannedEntry>[],
  site: string,
  now: number,
): Promise<{ nodes: (Node | null)[]; refused?: TrackerError }> {
  let refused: TrackerError | undefined;
  const modified = files.filter((file) => file.change === 'modified').map((file) => file._id);
  const found = modified.length ? await ctx.store.getMany(modified) : [];
  const before = new Map(modified.map((id, i) => [id, found[i]]));
  const nodes = await Promise.all(
    files.map(async (file): Promise<Node | null> => {
      const { set, remove } = changeOf(file, site, now);
      try {
        if (file.change !== 'modified') return (await ctx.store.update(file._id, set, remove)) ?? null;
        const existing = before.get(file._id);
        if (!existing) return null;
        const removed = Object.fromEntries(remove.map((key) => [key, null]));
        const after = afterWrite(file._id, { ...set, ...removed }, existing);
        const child: Node = { ...after, _id: generateId(now), [PARENT_KEY]: file._id };
        return (await ctx.store.updateWithChild(file._id, set, remove, child)) ? after : null;
      } catch (error) {
        if (files.length === 1 || !(error instanceof TrackerError) || !error.exposed) throw error;
        refused ??= error;
        return null;
      }
    }),
  );
  return { nodes, ...(refused && { refused }) };
}

/**
 * `POST scanned {site, files: [{_id, change: "modified", file_size, file_mtime} | {_id, change:
 * "missing"} | {_id, change: "present"}]}` → the updated file nodes in input order; null for files the
 * tracker does not have (207; 404 when it has none of them).
 *
 * A modified file gets a publish-history child (`#parent` = the file, a generated id, the file's keys
 * after the change) in the same transaction as the change. The answer for a modified file is built
 * from the node read just before, so a key another writer set in between may be missing from it
 * (it is kept on the node).
 */
export async function scanned(ctx: OpContext, body: unknown): Promise<OpResult> {
  const { site, files } = parseScanned(body);
  assertSiteScope(ctx.caller, site);
  await findSite(ctx, site);
  const now = ctx.now();
  const { nodes, refused } = await applyEach(ctx, files, site, now);
  const status = resultStatus(nodes, 200, 404);
  if (status === 404) {
    if (refused) throw refused;
    throw notFound(files.length === 1 ? `${files[0]!._id} does not exist` : 'none of the files exist');
  }
  return { status, body: nodes };
}
