/**
 * damas search syntax (DESIGN.md §4): `key:value`, `key:/re/flags`, `key<v`, `key<=v`, `key>v`,
 * `key>=v`, space separated and ANDed. Pure: parsing and in-memory matching only.
 */
import { BadQueryError } from './errors.js';
import { userRegExp } from './regex.js';

export { BadQueryError };

/** The shape search works on; any stored node fits. */
export type NodeLike = { _id: string; [key: string]: unknown };

export type CompareOp = '<' | '<=' | '>' | '>=';
export type Term =
  | { kind: 'eq'; key: string; value: string }
  | { kind: 'regex'; key: string; regex: RegExp }
  | { kind: 'cmp'; key: string; op: CompareOp; value: string };

const REGEX_VALUE = /^\/(.*)\/([gimy]*)$/s;

/** Parses a damas query string (already URL-decoded). Throws BadQueryError on an empty query or bad regex. */
export function parseDamasQuery(query: string): Term[] {
  const pieces = query.split(' ').filter((piece) => piece.trim() !== '');
  if (pieces.length === 0) throw new BadQueryError('empty query');
  return pieces.flatMap((piece) => {
    const term = parseTerm(piece);
    return term ? [term] : [];
  });
}

/** The operator that occurs first wins; at one position `<=`/`>=` beat `<`/`>`. */
function parseTerm(piece: string): Term | undefined {
  for (let i = 0; i < piece.length; i++) {
    const c = piece[i];
    if (c !== ':' && c !== '<' && c !== '>') continue;
    const key = piece.slice(0, i);
    if (c === ':') return equalityTerm(piece, key, piece.slice(i + 1));
    const op = (piece[i + 1] === '=' ? `${c}=` : c) as CompareOp;
    return { kind: 'cmp', key, op, value: piece.slice(i + op.length) };
  }
  return undefined; // no operator (e.g. `*`): ignored, like damas
}

function equalityTerm(piece: string, key: string, value: string): Term {
  const m = REGEX_VALUE.exec(value);
  if (!m) return { kind: 'eq', key, value };
  return { kind: 'regex', key, regex: userRegExp(m[1] ?? '', m[2] ?? '', `in term "${piece}"`) };
}

/** True when the node satisfies every term. */
export function matchesTerms(node: NodeLike, terms: readonly Term[]): boolean {
  return terms.every((term) => resolvePath(node, term.key).some((value) => matchesValue(value, term)));
}

function matchesValue(value: unknown, term: Term): boolean {
  // Like MongoDB (damas' original backend), a term matches an array if it matches any element.
  if (Array.isArray(value)) return value.some((element) => matchesScalar(element, term));
  return matchesScalar(value, term);
}

function matchesScalar(value: unknown, term: Term): boolean {
  const text = scalarText(value);
  if (text === undefined) return false;
  switch (term.kind) {
    case 'eq':
      return text === term.value;
    case 'regex':
      term.regex.lastIndex = 0; // `g`/`y` regexes are stateful: never carry state between values
      return term.regex.test(text);
    case 'cmp':
      return compare(text, term.op, term.value);
  }
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * damas compares as strings. Improvement (documented in the README): when both sides parse as
 * finite numbers, they are compared numerically, so `time>1700000000000` and `size<9` work.
 */
function compare(left: string, op: CompareOp, right: string): boolean {
  const l = asNumber(left);
  const r = asNumber(right);
  const order =
    l !== undefined && r !== undefined ? Math.sign(l - r) : left < right ? -1 : left > right ? 1 : 0;
  switch (op) {
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
}

function asNumber(text: string): number | undefined {
  if (text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Every value a (possibly dotted) key can address. A literal key containing dots (`sync.x`) is
 * tried first, then each split into a nested field; arrays of objects are traversed like MongoDB.
 */
export function resolvePath(value: unknown, key: string): unknown[] {
  if (Array.isArray(value))
    return value.flatMap((element) => (isRecord(element) ? resolvePath(element, key) : []));
  if (!isRecord(value)) return [];
  const found: unknown[] = Object.hasOwn(value, key) ? [value[key]] : [];
  for (let dot = key.indexOf('.'); dot !== -1; dot = key.indexOf('.', dot + 1)) {
    const head = key.slice(0, dot);
    if (Object.hasOwn(value, head)) found.push(...resolvePath(value[head], key.slice(dot + 1)));
  }
  return found;
}
