/**
 * Node rules: what a valid node is, the reserved keys, `_id` expansion, generated ids and the
 * damas result rule (success / 207 / 404-or-409). Pure: no I/O.
 */
import { badRequest, payloadTooLarge } from './errors.js';
import {
  MAX_ELEMENTS,
  MAX_ID_BYTES,
  MAX_KEY_BYTES,
  MAX_NESTING,
  MAX_NODE_BYTES,
  MAX_NUMBER,
  MIN_NUMBER,
} from './limits.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type Node = { _id: string } & { [key: string]: JsonValue };
export type NodeBody = { [key: string]: JsonValue };

export const PARENT_KEY = '#parent';

const utf8 = new TextEncoder();
export const byteLength = (s: string) => utf8.encode(s).length;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function validateId(id: unknown, what = '_id'): string {
  if (typeof id !== 'string') throw badRequest(`${what} must be a string`);
  if (id.length === 0) throw badRequest(`${what} must not be empty`);
  if (!id.isWellFormed()) throw badRequest(`${what} is not valid Unicode (lone surrogate)`);
  if (byteLength(id) > MAX_ID_BYTES) throw badRequest(`${what} is longer than ${MAX_ID_BYTES} bytes`);
  return id;
}

/**
 * Checks a JSON value can be stored as-is and returns its approximate DynamoDB size in bytes.
 * Rules: keys non-empty, strings well-formed, numbers within DynamoDB's range, bounded nesting.
 */
export function storedSize(value: unknown, path = '', depth = 0): number {
  if (depth > MAX_NESTING) throw badRequest(`${path || 'node'} is nested deeper than ${MAX_NESTING} levels`);
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') {
    if (!value.isWellFormed()) throw badRequest(`${path || 'value'} is not valid Unicode (lone surrogate)`);
    return byteLength(value);
  }
  if (typeof value === 'number') {
    const abs = Math.abs(value);
    if (!Number.isFinite(value) || abs >= MAX_NUMBER || (abs !== 0 && abs < MIN_NUMBER)) {
      throw badRequest(`${path || 'value'} is a number outside the storable range (1e-130 to 1e126)`);
    }
    return Math.ceil(String(abs).replace(/\D|e.*$/g, '').length / 2) + 1;
  }
  if (Array.isArray(value)) {
    return value.reduce<number>((sum, v, i) => sum + 1 + storedSize(v, `${path}[${i}]`, depth + 1), 3);
  }
  if (isPlainObject(value)) {
    let sum = 3;
    for (const [key, v] of Object.entries(value)) {
      if (key.length === 0) throw badRequest(`${path ? path + ': ' : ''}keys must not be empty`);
      if (!key.isWellFormed()) throw badRequest(`key ${JSON.stringify(key)} is not valid Unicode`);
      if (key === '__proto__')
        throw badRequest(`${path ? path + ': ' : ''}'__proto__' is not allowed as a key`);
      const keyBytes = byteLength(key);
      if (keyBytes > MAX_KEY_BYTES) throw badRequest(`a key is longer than ${MAX_KEY_BYTES} bytes`);
      sum += 1 + keyBytes + storedSize(v, path ? `${path}.${key}` : key, depth + 1);
    }
    return sum;
  }
  throw badRequest(`${path || 'value'} is not a JSON value`);
}

/** Validates an element of a write request: a JSON object that fits in one DynamoDB item. */
export function validateBody(value: unknown, what = 'element'): NodeBody {
  if (!isPlainObject(value)) throw badRequest(`${what} must be a JSON object`);
  const size = storedSize(value);
  if (size > MAX_NODE_BYTES) {
    throw payloadTooLarge(`node is ${size} bytes, over the ${MAX_NODE_BYTES}-byte limit of one node`);
  }
  return value as NodeBody;
}

/** Turns a request body into a list of elements, remembering whether it was a single value. */
export function asList(body: unknown): { items: unknown[]; single: boolean } {
  if (Array.isArray(body)) {
    if (body.length === 0) throw badRequest('empty array');
    if (body.length > MAX_ELEMENTS)
      throw badRequest(`at most ${MAX_ELEMENTS} elements per request; split it`);
    return { items: body, single: false };
  }
  return { items: [body], single: true };
}

/** `_id` given as an array of ids becomes one element per id with the same other keys. */
export function expandIds(elements: NodeBody[]): NodeBody[] {
  return elements.flatMap((element) => {
    const id = element._id;
    if (!Array.isArray(id)) return [element];
    if (id.length === 0) throw badRequest('_id array is empty');
    return id.map((one) => ({ ...element, _id: validateId(one) }));
  });
}

/** A 24 lowercase hex characters id (time-ordered like a MongoDB ObjectId, as damas clients expect). */
export function generateId(now = Date.now()): string {
  const seconds = Math.floor(now / 1000)
    .toString(16)
    .padStart(8, '0');
  const random = crypto.getRandomValues(new Uint8Array(8));
  return seconds + Array.from(random, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** damas rule: no null → success; some null → 207; all null → the all-failed status. */
export function resultStatus(results: readonly unknown[], success: number, allFailed: number): number {
  const failed = results.filter((r) => r === null).length;
  if (failed === 0) return success;
  return failed === results.length ? allFailed : 207;
}
