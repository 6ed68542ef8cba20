/** search, search_one, search_mongo, graph: reads that a plan answers by key or index where it can. */
import { badRequest, notFound } from '../errors.js';
import {
  compileMongoQuery,
  loadMongoEngine,
  decodeMongoQuery,
  paginate,
  parsePageParam,
  parseSortSpec,
  sortNodes,
} from '../mongo.js';
import { MAX_GRAPH_NODES } from '../limits.js';
import { parseBodyWith, SearchMongoBody } from '../schemas.js';
import { resultStatus, type Node } from '../nodes.js';
import { planDamas, planMongo } from '../plan.js';
import type { Plan } from '../ports.js';
import { matchesTerms, parseDamasQuery } from '../search.js';
import { assertResponseFits, checkDeadline, type OpContext, type OpResult } from './context.js';
import { parseIds } from './crud.js';

/** Every node the plan yields that matches, page by page, bounded by the context's deadline. */
async function* matching(ctx: OpContext, plan: Plan, test: (n: Node) => boolean, operation: string) {
  for await (const page of ctx.store.find(plan)) {
    checkDeadline(ctx, operation);
    for (const node of page) if (test(node)) yield node;
  }
}

export async function search(ctx: OpContext, query: string): Promise<OpResult> {
  const terms = parseDamasQuery(query);
  const ids: string[] = [];
  for await (const node of matching(ctx, planDamas(terms), (n) => matchesTerms(n, terms), 'search')) {
    ids.push(node._id);
  }
  ids.sort();
  assertResponseFits(ids, 'search');
  return { status: 200, body: ids };
}

export async function searchOne(ctx: OpContext, query: string): Promise<OpResult> {
  const terms = parseDamasQuery(query);
  for await (const node of matching(ctx, planDamas(terms), (n) => matchesTerms(n, terms), 'search_one')) {
    return { status: 200, body: node };
  }
  return { status: 200, body: null };
}

export async function searchMongo(ctx: OpContext, body: unknown): Promise<OpResult> {
  const fields = parseBodyWith(SearchMongoBody, body, 'expected {query, sort, limit, skip}');
  await loadMongoEngine();
  // Check everything before reading anything.
  const query = decodeMongoQuery(fields.query ?? {});
  const test = compileMongoQuery(query);
  const sort = parseSortSpec(fields.sort);
  const limit = parsePageParam('limit', fields.limit);
  const skip = parsePageParam('skip', fields.skip);
  // Keep only what sorting needs, so large result sets stay small in memory.
  const sortKeys = Object.keys(sort ?? {});
  const found: Node[] = [];
  for await (const node of matching(ctx, planMongo(query), test, 'search_mongo')) {
    found.push(Object.fromEntries([['_id', node._id], ...sortKeys.map((k) => [k, node[k]])]) as Node);
  }
  const ids = paginate(
    sortNodes(found, sort).map((n) => n._id),
    limit,
    skip,
  );
  assertResponseFits(ids, 'search_mongo');
  return { status: 200, body: { count: found.length, ids } };
}

/** Parses the depth of graph/<depth>: a non-negative integer, 0 meaning unlimited. */
function parseDepth(raw: string | undefined): number {
  const depth = Number(raw ?? '0');
  if (!Number.isInteger(depth) || depth < 0) throw badRequest('depth must be a non-negative integer');
  return depth === 0 ? Infinity : depth;
}

/**
 * Walks edges backwards from the requested nodes: edges are nodes with `src_id`/`tgt_id`; each
 * level adds the sources of edges pointing at the current set. Answers requested nodes, then the
 * source nodes found, then the edges.
 */
export async function graph(ctx: OpContext, depthText: string | undefined, body: unknown): Promise<OpResult> {
  const depth = parseDepth(depthText);
  const { ids } = parseIds(body);
  const requested = await ctx.store.getMany(ids);
  if (requested.every((n) => n === undefined)) {
    throw notFound(ids.length === 1 ? `${ids[0]} does not exist` : 'none of the nodes exist');
  }
  const visited = new Set(ids);
  const edges = new Map<string, Node>();
  const sourceIds: string[] = [];
  let frontier = ids.filter((_, i) => requested[i] !== undefined);
  for (let level = 0; level < depth && frontier.length > 0; level++) {
    const next: string[] = [];
    for (const target of frontier) {
      for await (const edge of matching(
        ctx,
        { kind: 'target', target },
        (n) => n.tgt_id === target,
        'graph',
      )) {
        if (edges.has(edge._id)) continue;
        edges.set(edge._id, edge);
        const source = edge.src_id;
        if (typeof source === 'string' && source !== '' && !visited.has(source)) {
          visited.add(source);
          next.push(source);
          sourceIds.push(source);
        }
        if (edges.size + visited.size > MAX_GRAPH_NODES) {
          throw badRequest(`graph reaches more than ${MAX_GRAPH_NODES} nodes; ask for a smaller depth`);
        }
      }
    }
    frontier = next;
  }
  // As in damas-core: a source id whose node is missing shows as null and makes the answer a 207.
  const nodes = [...requested, ...(await ctx.store.getMany(sourceIds))].map((n) => n ?? null);
  return { status: resultStatus(nodes, 200, 404), body: [...nodes, ...edges.values()] };
}
