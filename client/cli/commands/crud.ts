/** Commands that send JSON as given: damas CRUD, search, graph, and publish/comment. */
import type { RouteName } from '../../api-client.js';
import type { ApiReply } from '../../transport.js';
import type { CliContext, Handler } from '../context.js';
import { UsageError } from '../failures.js';
import { jsonArgument } from '../input.js';

/** Parses the JSON argument first (bad JSON sends nothing), then sends it to the route. */
const sendJson =
  (route: RouteName): Handler =>
  async (ctx, args) => {
    const body = await jsonArgument(args, ctx.io);
    return ctx.client().call(route, body);
  };

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`invalid JSON ${what}: ${(error as Error).message}`);
  }
}

/** A whole number >= 0 given as text (`--depth`, limit, skip). */
export function count(text: unknown, what: string): number {
  const value = Number(text);
  if (typeof text !== 'string' || text.trim() === '' || !Number.isSafeInteger(value) || value < 0) {
    throw new UsageError(`${what} must be a whole number >= 0, not '${String(text)}'`);
  }
  return value;
}

function jsonObject(text: string, what: string): Record<string, unknown> {
  const value = parseJson(text, what);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

async function searchMongo(ctx: CliContext, args: string[]): Promise<ApiReply<unknown>> {
  const [query = '', sort = '{}', limit = '0', skip = '0'] = args;
  const body = {
    query: jsonObject(query, 'query'),
    sort: jsonObject(sort, 'sort'),
    limit: count(limit, 'limit'),
    skip: count(skip, 'skip'),
  };
  return ctx.client().call('searchMongo', body);
}

async function graph(ctx: CliContext, args: string[], options: Record<string, unknown>) {
  const depth = count(options.depth, '--depth');
  const body = await jsonArgument(args, ctx.io);
  return ctx.client().call('graph', body, `${depth}/`);
}

export const CRUD_HANDLERS = {
  create: sendJson('create'),
  read: sendJson('read'),
  update: sendJson('update'),
  upsert: sendJson('upsert'),
  delete: sendJson('delete'),
  search: async (ctx, args) => ctx.client().search(args.join(' ')),
  search_mongo: searchMongo,
  graph,
  publish: sendJson('publish'),
  comment: sendJson('comment'),
} satisfies Record<string, Handler>;
