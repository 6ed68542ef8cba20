/** damas file commands: ids from paths in a repository, sent in batches (init, add, show, rm, lock, unlock, stats). */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { TrackerClient } from '../../api-client.js';
import { sendInBatches } from '../../bulk.js';
import { publishFiles } from '../../publish.js';
import { apiBaseUrl } from '../../server-url.js';
import type { ApiReply } from '../../transport.js';
import { DEFAULT_SERVER, type CliContext, type Handler, type Outcome } from '../context.js';
import { UsageError } from '../failures.js';
import { pathArguments, prompter } from '../input.js';
import { idsOf, localFiles } from '../local-files.js';
import { findRepository, writeConfig } from '../repository.js';

const SITE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

async function init(ctx: CliContext, args: string[], options: Record<string, unknown>): Promise<Outcome> {
  const { io, flags } = ctx;
  const site = options.site as string | undefined;
  if (site !== undefined && !SITE_NAME.test(site)) {
    throw new UsageError('--site must be letters, digits, dots, dashes or underscores');
  }
  const root = resolve(io.cwd, io.env.DAMAS_DIR || '.');
  let given = args[0] ?? flags.server ?? (io.env.DAMAS_SERVER || undefined);
  if (given === undefined && io.stdin.isTTY) {
    given = await prompter(io)(`remote URL (default = ${DEFAULT_SERVER}): `);
  }
  let url: string;
  try {
    url = apiBaseUrl(given || DEFAULT_SERVER);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const previous = findRepository(root, root)?.config;
  const config = { url, site: site ?? previous?.site };
  writeConfig(root, config);
  ctx.note(
    `${previous ? 'Reinitialized existing' : 'Initialized empty'} damas repository in ${root}/.damas/`,
  );
  return { status: 200, body: { root, ...config } };
}

/** Publishes new files; files already tracked are left as they are and only noted. */
async function add(ctx: CliContext, args: string[], options: Record<string, unknown>): Promise<Outcome> {
  const repository = ctx.repository();
  const paths = await pathArguments(args, ctx.io);
  const files = await localFiles(repository, ctx.io.cwd, paths, options.recursive === true);
  const origin =
    (options.origin as string | undefined) ?? repository.config.site ?? (ctx.io.env.DAMAS_SITE || hostname());
  const bars = { check: ctx.progress('add: checking'), publish: ctx.progress('add: publishing') };
  const { created, tracked, changed } = await publishFiles(ctx.client(), files, {
    origin,
    comment: String(options.comment),
    onProgress: (phase, done, total) => {
      bars[phase].update(done, total);
      if (done === total) bars[phase].finish();
    },
  }).finally(() => Object.values(bars).forEach((bar) => bar.finish()));
  if (tracked.length > 0) {
    const differ = changed.length > 0 ? `; ${changed.length} differ on disk (damas stats updates them)` : '';
    ctx.note(`${tracked.length} of ${files.length} files were already tracked and left unchanged${differ}`);
  }
  return { status: created.length > 0 ? 201 : 200, body: created };
}

/** Sends items in batches of one route, with a progress bar; 404 is what a batch of missing nodes gets. */
async function inBatches<I>(
  ctx: CliContext,
  label: string,
  items: readonly I[],
  send: (batch: I[]) => Promise<ApiReply<unknown>>,
): Promise<Outcome> {
  const progress = ctx.progress(label);
  try {
    return await sendInBatches(items, send, { success: 200, allFailed: 404, onProgress: progress.update });
  } finally {
    progress.finish();
  }
}

/** show, rm, lock, unlock: the ids of the paths (which need not exist locally). */
const idsCommand =
  (label: string, send: (client: TrackerClient, ids: string[]) => Promise<ApiReply<unknown>>): Handler =>
  async (ctx, args) => {
    const ids = idsOf(ctx.repository(), ctx.io.cwd, await pathArguments(args, ctx.io));
    const client = ctx.client();
    return inBatches(ctx, label, ids, (batch) => send(client, batch));
  };

/** lock/unlock answer `true` when every node changed, as damas does; else the array with nulls. */
const allTrue =
  (handler: Handler): Handler =>
  async (ctx, args, options) => {
    const outcome = await handler(ctx, args, options);
    return outcome.status === 200 ? { status: 200, body: true } : outcome;
  };

/** Each file gets its own size and mtime (damas.sh gave every file those of the first). */
async function stats(ctx: CliContext, args: string[]): Promise<Outcome> {
  const files = await localFiles(ctx.repository(), ctx.io.cwd, await pathArguments(args, ctx.io), false);
  const updates = files.map((f) => ({ _id: f.id, file_size: f.size, file_mtime: f.mtime }));
  const client = ctx.client();
  return inBatches(ctx, 'stats', updates, (batch) => client.update(batch));
}

export const FILE_HANDLERS = {
  init,
  add,
  show: idsCommand('show', (client, ids) => client.read(ids)),
  rm: idsCommand('rm', (client, ids) => client.delete(ids)),
  lock: allTrue(idsCommand('lock', (client, ids) => client.lock(ids))),
  unlock: allTrue(idsCommand('unlock', (client, ids) => client.unlock(ids))),
  stats,
} satisfies Record<string, Handler>;
