/**
 * search_mongo (DESIGN.md §4): decode the damas regex encodings, evaluate filters and sorts with
 * mingo, paginate. User input never executes code: script operators are refused before mingo
 * sees the query, and mingo runs with scripts disabled as a second guard.
 */
import type { Query } from 'mingo';

type Mingo = typeof import('mingo');
let mingo: Mingo | undefined;

/**
 * mingo is the largest module of the API bundle; it is loaded on the first search_mongo instead of
 * at every cold start. Call (and await) this before compileMongoQuery or sortNodes.
 */
export async function loadMongoEngine(): Promise<void> {
  mingo ??= await import('mingo');
}

function engine(): Mingo {
  if (!mingo) throw new Error('the Mongo query engine is not loaded: await loadMongoEngine() first');
  return mingo;
}
import { MAX_QUERY_DEPTH } from './limits.js';
import { userRegExp } from './regex.js';
import { BadQueryError, type NodeLike } from './search.js';

/**
 * The query operators search_mongo accepts. Anything else is refused: `$where`, `$function` and
 * `$accumulator` run code, and expression operators (`$expr` with `$range`…) can exhaust memory.
 */
const ALLOWED_OPERATORS = new Set([
  '$eq',
  '$ne',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$in',
  '$nin',
  '$exists',
  '$type',
  '$regex',
  '$options',
  '$not',
  '$and',
  '$or',
  '$nor',
  '$all',
  '$elemMatch',
  '$size',
  '$mod',
]);
const MINGO_OPTIONS = { scriptEnabled: false } as const;

export type SortSpec = Record<string, 1 | -1>;

/**
 * Returns a copy of a search_mongo `query` with `REGEX_<pattern>` and `RX_<pattern>_RX<flags>`
 * strings turned into RegExps. Throws BadQueryError for a non-object query, a bad regex, a
 * forbidden operator or nesting deeper than MAX_QUERY_DEPTH.
 */
export function decodeMongoQuery(q: unknown): Record<string, unknown> {
  if (!isRecord(q)) throw new BadQueryError('query must be a JSON object');
  return decodeValue(q, 0) as Record<string, unknown>;
}

function decodeValue(value: unknown, depth: number): unknown {
  if (depth > MAX_QUERY_DEPTH) throw new BadQueryError(`query nested deeper than ${MAX_QUERY_DEPTH} levels`);
  if (typeof value === 'string') return decodeRegexString(value);
  if (Array.isArray(value)) return value.map((element) => decodeValue(element, depth + 1));
  if (!isRecord(value)) return value;
  // fromEntries defines own properties, so a `__proto__` key cannot reach the prototype.
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => {
      if (key.startsWith('$') && !ALLOWED_OPERATORS.has(key)) {
        throw new BadQueryError(`operator ${key} is not allowed in search_mongo`);
      }
      // A `$regex` string is checked like the other encodings (unsafe patterns refused), then kept.
      if (key === '$regex' && typeof child === 'string') userRegExp(child, '', `$regex ${child}`);
      return [key, decodeValue(child, depth + 1)];
    }),
  );
}

function decodeRegexString(value: string): string | RegExp {
  if (value.startsWith('REGEX_')) return makeRegex(value.slice('REGEX_'.length), '', value);
  const flagsAt = value.lastIndexOf('_RX');
  if (value.startsWith('RX_') && flagsAt >= 'RX_'.length) {
    return makeRegex(value.slice('RX_'.length, flagsAt), value.slice(flagsAt + '_RX'.length), value);
  }
  return value;
}

function makeRegex(pattern: string, flags: string, original: string): RegExp {
  // `g` only adds state between tests; `y` would make results depend on earlier tests.
  if (flags.includes('y')) throw new BadQueryError(`sticky flag y is not supported in ${original}`);
  return userRegExp(pattern, flags.replace('g', ''), original);
}

/** Compiles a DECODED query (see decodeMongoQuery) into a predicate. Errors are BadQueryErrors. */
export function compileMongoQuery(query: Record<string, unknown>): (node: NodeLike) => boolean {
  let compiled: Query;
  try {
    compiled = new (engine().Query)(query, MINGO_OPTIONS);
  } catch (error) {
    throw asBadQuery(error);
  }
  return (node) => {
    try {
      return compiled.test(node);
    } catch (error) {
      throw asBadQuery(error); // e.g. an $expr that fails on a node's values
    }
  };
}

function asBadQuery(error: unknown): BadQueryError {
  if (error instanceof BadQueryError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new BadQueryError(`invalid query: ${reason}`, { cause: error });
}

/** Validates a Mongo sort spec: absent, null or {} means no sort; otherwise `{key: 1 | -1, …}`. */
export function parseSortSpec(sort: unknown): SortSpec | undefined {
  if (sort === undefined || sort === null) return undefined;
  if (!isRecord(sort)) throw new BadQueryError('sort must be an object like {"time": -1}');
  const entries = Object.entries(sort);
  for (const [key, direction] of entries) {
    if (key === '' || key.startsWith('$')) throw new BadQueryError(`invalid sort key "${key}"`);
    if (direction !== 1 && direction !== -1)
      throw new BadQueryError(`sort direction of "${key}" must be 1 or -1`);
  }
  return entries.length === 0 ? undefined : (sort as SortSpec);
}

/** Sorts with MongoDB semantics (missing < null < numbers < strings < …); returns a new array. */
export function sortNodes<T extends NodeLike>(nodes: readonly T[], sort: unknown): T[] {
  const spec = parseSortSpec(sort);
  if (!spec) return [...nodes];
  try {
    return new (engine().Query)({}, MINGO_OPTIONS)
      .find<T>(nodes as T[])
      .sort(spec)
      .all();
  } catch (error) {
    throw asBadQuery(error);
  }
}

/** Validates `limit` / `skip`: absent or null is 0; else a non-negative integer (or its decimal string). */
export function parsePageParam(name: 'limit' | 'skip', value: unknown): number {
  if (value === undefined || value === null) return 0;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new BadQueryError(`${name} must be a non-negative integer`);
  }
  return n;
}

/** Applies skip then limit; limit 0 means no limit. */
export function paginate<T>(items: readonly T[], limit?: unknown, skip?: unknown): T[] {
  const max = parsePageParam('limit', limit);
  const from = parsePageParam('skip', skip);
  return items.slice(from, max === 0 ? undefined : from + max);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof RegExp);
}
