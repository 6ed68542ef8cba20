/** `damas status <path>`: the per-site sync state of a file or of the files under a folder, as a table. */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  SITE_STATES,
  syncTable,
  type SiteState,
  type SyncTable,
} from '../../../functions/core/sync-state.js';
import type { TrackerClient } from '../../api-client.js';
import { sendInBatches } from '../../bulk.js';
import { ApiError } from '../../errors.js';
import { notFound } from '../../../functions/core/errors.js';
import type { Node } from '../../types.js';
import type { CliContext, Outcome } from '../context.js';
import { columns, painter, type Paint } from '../output.js';
import { pathToId } from '../repository.js';
import { count } from './crud.js';

const COLOURS = {
  current: 'green',
  outdated: 'yellow',
  syncing: 'cyan',
  error: 'red',
  missing: 'gray',
} as const satisfies Record<SiteState, string>;

export async function status(
  ctx: CliContext,
  args: string[],
  options: Record<string, unknown>,
): Promise<Outcome> {
  const repository = ctx.repository();
  const path = args[0]!;
  const local = statSync(resolve(ctx.io.cwd, path), { throwIfNoEntry: false });
  const folder = local ? local.isDirectory() : path.endsWith('/');
  const id = pathToId(repository, ctx.io.cwd, path, folder);
  const client = ctx.client();
  const files = folder
    ? await filesUnder(ctx, client, id, count(options.limit, '--limit'))
    : [await fileAt(client, id)];
  const table = syncTable(files, await volumes(ctx, client));
  if (options.json) return { status: 200, body: table };
  return { status: 200, text: render(table, painter(ctx.io.stdout, ctx.io.env)) };
}

async function fileAt(client: TrackerClient, id: string): Promise<Node> {
  return (await client.read(id)).body;
}

/** The folder's own node (a package) and every file under it, by id, at most `limit`. */
async function filesUnder(
  ctx: CliContext,
  client: TrackerClient,
  folder: string,
  limit: number,
): Promise<Node[]> {
  const pattern = `REGEX_^${folder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
  const found = await client.searchMongo({ query: { _id: pattern }, sort: { _id: 1 }, limit });
  if (found.body.ids.length === 0) {
    throw notFound(`nothing is tracked under ${folder}`);
  }
  if (found.body.count > found.body.ids.length) {
    ctx.note(`showing ${found.body.ids.length} of ${found.body.count} files (--limit)`);
  }
  const read = await sendInBatches(found.body.ids, (batch) => client.read(batch), {
    success: 200,
    allFailed: 404,
  });
  return read.body.filter((node): node is Node => node !== null);
}

/**
 * Every site of `GET sites`, as the volume nodes syncTable counts (a `name` and an `enableReception`
 * key). A failure only leaves the sites named on the files.
 */
async function volumes(ctx: CliContext, client: TrackerClient): Promise<Node[]> {
  try {
    const sites = (await client.sites()).body;
    return sites.map((site) => ({
      _id: site._id,
      name: site.name,
      enableReception: site.enableReception ?? true,
    }));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (ctx.flags.verbose) ctx.note(`volumes not read: ${error.message}`);
    return [];
  }
}

/** A padded table, one row per file and one column per site, then the totals. */
function render(table: SyncTable, paint: Paint): string {
  const header = ['path', ...table.sites];
  const rows = table.files.map((file) => [file._id, ...table.sites.map((site) => file.states[site]!)]);
  const state = (column: number, cell: string) => (column > 0 ? COLOURS[cell as SiteState] : undefined);
  const totals = SITE_STATES.filter((s) => table.totals[s] > 0).map((s) => `${table.totals[s]} ${s}`);
  const summary = `${table.files.length} file(s) × ${table.sites.length} site(s): ${totals.join(', ') || 'no sites'}`;
  return [...columns([header, ...rows], paint, state), summary, ''].join('\n');
}
