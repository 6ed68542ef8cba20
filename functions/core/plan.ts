/**
 * Query planning: which index can answer a query without a table scan. A plan only narrows the
 * candidates (a superset of the matches): the store always re-applies the full query to them.
 */
import type { Term } from './search.js';

export type Plan =
  | { kind: 'get'; ids: string[] } // exactly these ids
  | { kind: 'prefix'; prefix: string } // ids starting with prefix (see prefixRoot)
  | { kind: 'dir'; dir: string } // ids whose dirOf() is dir, PLUS the node whose _id is dir itself
  | { kind: 'parent'; parent: string } // nodes whose `#parent` is parent
  | { kind: 'scan' };

const SCAN: Plan = { kind: 'scan' };
const PARENT_KEY = '#parent';

/** First path segment of a path id: '/proj/a/b.exr' → '/proj'. undefined unless id starts with '/'. */
export function rootOf(id: string): string | undefined {
  if (!id.startsWith('/')) return undefined;
  const slash = id.indexOf('/', 1);
  return slash === -1 ? id : id.slice(0, slash);
}

/** Folder holding a path id, with its trailing '/': '/proj/a/b.exr' → '/proj/a/', '/proj/pkg/' → '/proj/'. */
export function dirOf(id: string): string | undefined {
  if (!id.startsWith('/') || id === '/') return undefined;
  const path = id.endsWith('/') ? id.slice(0, -1) : id; // a folder package lives in its parent folder
  return path.slice(0, path.lastIndexOf('/') + 1);
}

/** The root shared by every id starting with prefix, when the prefix fixes it ('/proj/sh' → '/proj'). */
export function prefixRoot(prefix: string): string | undefined {
  if (!prefix.startsWith('/')) return undefined;
  const slash = prefix.indexOf('/', 1);
  return slash === -1 ? undefined : prefix.slice(0, slash);
}

const METACHARACTERS = new Set([...'.*+?()[]{}|^$']);
const OPTIONAL_QUANTIFIERS = new Set(['?', '*', '{']);
/** `[^/]+$`, `[^\/]*$`, … optionally with `/?` or `\/?` before `$`: the direct children of a folder. */
const DIRECT_CHILDREN_TAIL = /^\[\^\\?\/\][+*](?:\\?\/\?)?\$$/;

type LiteralPrefix = { prefix: string; end: number };

/** The literal text every match must start with, and where it ends in the source. */
function literalPrefixOf(source: string, flags: string): LiteralPrefix | null {
  if (!source.startsWith('^') || /[im]/.test(flags) || hasTopLevelAlternation(source, flags)) return null;
  const units: string[] = [];
  let i = 1;
  while (i < source.length) {
    const c = source.charAt(i);
    if (c === '\\') {
      const escaped = source.charAt(i + 1);
      if (escaped === '' || /[A-Za-z0-9]/.test(escaped)) break; // \d, \w, \b, \u…, back-references
      units.push(escaped);
      i += 2;
    } else if (METACHARACTERS.has(c)) {
      break;
    } else {
      units.push(c);
      i++;
    }
  }
  if (OPTIONAL_QUANTIFIERS.has(source.charAt(i))) {
    const dropped = units.pop() ?? '';
    // With the u/v flags a quantifier applies to a whole astral character (two UTF-16 units).
    if (/^[\uDC00-\uDFFF]$/.test(dropped) && /^[\uD800-\uDBFF]$/.test(units.at(-1) ?? '')) units.pop();
  }
  const prefix = units.join('');
  return prefix === '' ? null : { prefix, end: i };
}

function hasTopLevelAlternation(source: string, flags: string): boolean {
  let groupDepth = 0;
  let classDepth = 0;
  const nestedClasses = flags.includes('v');
  for (let i = 0; i < source.length; i++) {
    const c = source.charAt(i);
    if (c === '\\') i++;
    else if (classDepth > 0) {
      if (c === ']') classDepth--;
      else if (c === '[' && nestedClasses) classDepth++;
    } else if (c === '[') classDepth++;
    else if (c === '(') groupDepth++;
    else if (c === ')') groupDepth--;
    else if (c === '|' && groupDepth === 0) return true;
  }
  return false;
}

/**
 * Literal prefix of an anchored regex (`/^\/proj\/a/` → '/proj/a'), or null when there is none or
 * when it cannot be trusted (flags i or m, top-level alternation).
 */
export function regexLiteralPrefix(re: RegExp): string | null {
  return literalPrefixOf(re.source, re.flags)?.prefix ?? null;
}

function regexPlan(source: string, flags: string): Plan {
  if (!/^[dgsuvy]*$/.test(flags)) return SCAN; // also refuses Mongo's `x` (whitespace-insensitive)
  const literal = literalPrefixOf(source, flags);
  if (!literal || !literal.prefix.startsWith('/')) return SCAN;
  const { prefix, end } = literal;
  if (prefix.endsWith('/') && DIRECT_CHILDREN_TAIL.test(source.slice(end)))
    return { kind: 'dir', dir: prefix };
  return { kind: 'prefix', prefix };
}

/** Lower is better: exact ids, then a node's children, then a folder, then a path prefix. */
function rank(plan: Plan): number {
  switch (plan.kind) {
    case 'get':
      return 0;
    case 'parent':
      return 1;
    case 'dir':
      return 2;
    case 'prefix':
      return prefixRoot(plan.prefix) === undefined ? 4 : 3;
    case 'scan':
      return 5;
  }
}

function best(plans: Plan[]): Plan {
  return plans.reduce((chosen, plan) => (rank(plan) < rank(chosen) ? plan : chosen), SCAN);
}

/** Plan for ANDed damas terms: `_id:x` → get, `#parent:x` → parent, `_id:/^\/path/` → dir or prefix. */
export function planDamas(terms: readonly Term[]): Plan {
  return best(
    terms.map((term): Plan => {
      if (term.key === '_id' && term.kind === 'eq') return { kind: 'get', ids: [term.value] };
      if (term.key === PARENT_KEY && term.kind === 'eq') return { kind: 'parent', parent: term.value };
      if (term.key === '_id' && term.kind === 'regex') return regexPlan(term.regex.source, term.regex.flags);
      return SCAN;
    }),
  );
}

/** Plan for a DECODED search_mongo query (see decodeMongoQuery). `$or`, `$nor`, `$not` give no plan. */
export function planMongo(query: Record<string, unknown>): Plan {
  return best(
    Object.entries(query).flatMap(([key, condition]): Plan[] => {
      if (key === '_id') return [idPlan(condition)];
      if (key === PARENT_KEY) return [parentPlan(condition)];
      if (key === '$and' && Array.isArray(condition)) return condition.filter(isRecord).map(planMongo);
      return [];
    }),
  );
}

function idPlan(condition: unknown): Plan {
  if (typeof condition === 'string') return { kind: 'get', ids: [condition] };
  if (condition instanceof RegExp) return regexPlan(condition.source, condition.flags);
  if (!isRecord(condition)) return SCAN;
  const { $eq: eq, $in: among, $regex: regex, $options: options } = condition;
  if (typeof eq === 'string') return { kind: 'get', ids: [eq] };
  if (Array.isArray(among) && among.every((id) => typeof id === 'string')) {
    return { kind: 'get', ids: [...new Set(among)] };
  }
  const extraFlags = typeof options === 'string' ? options : '';
  if (regex instanceof RegExp) return regexPlan(regex.source, regex.flags + extraFlags);
  if (typeof regex === 'string') return regexPlan(regex, extraFlags);
  return SCAN;
}

function parentPlan(condition: unknown): Plan {
  if (typeof condition === 'string') return { kind: 'parent', parent: condition };
  if (isRecord(condition) && typeof condition.$eq === 'string')
    return { kind: 'parent', parent: condition.$eq };
  return SCAN;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof RegExp);
}
