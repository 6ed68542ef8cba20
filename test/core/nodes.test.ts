import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  asList,
  expandIds,
  generateId,
  resultStatus,
  storedSize,
  validateBody,
  validateId,
} from '../../functions/core/nodes.js';
import type { TrackerError } from '../../functions/core/errors.js';
import { MAX_NODE_BYTES } from '../../functions/core/limits.js';
import { assertResponseFits } from '../../functions/core/ops/context.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (error) {
    return (error as TrackerError).code;
  }
};

describe('validateId', () => {
  it('accepts strings up to 1024 UTF-8 bytes and refuses the rest', () => {
    expect(validateId('/a/b')).toBe('/a/b');
    expect(validateId('é'.repeat(512))).toHaveLength(512);
    expect(codeOf(() => validateId('é'.repeat(513)))).toBe('badRequest');
    for (const bad of [5, null, {}, [], '', '\ud800x'])
      expect(codeOf(() => validateId(bad))).toBe('badRequest');
  });
});

describe('validateBody and storedSize', () => {
  it('refuses empty keys, lone surrogates, deep nesting and numbers DynamoDB cannot store', () => {
    expect(codeOf(() => validateBody({ '': 1 }))).toBe('badRequest');
    expect(codeOf(() => validateBody(JSON.parse('{"a":{"__proto__":1}}')))).toBe('badRequest');
    expect(codeOf(() => validateBody({ k: '\udc00' }))).toBe('badRequest');
    expect(codeOf(() => validateBody({ k: 1e200 }))).toBe('badRequest');
    expect(codeOf(() => validateBody({ k: 1e-200 }))).toBe('badRequest');
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expect(codeOf(() => validateBody({ deep }))).toBe('badRequest');
    expect(codeOf(() => validateBody([1]))).toBe('badRequest');
    expect(validateBody({ ok: [1, { two: null }], n: -0, big: 9.99e125, small: 1e-130 })).toBeTruthy();
  });

  it('refuses nodes over the item size with 413', () => {
    expect(codeOf(() => validateBody({ big: 'x'.repeat(MAX_NODE_BYTES) }))).toBe('payloadTooLarge');
    expect(codeOf(() => validateBody({ big: 'x'.repeat(MAX_NODE_BYTES - 100) }))).toBe('ok');
  });

  it('never underestimates the JSON size of strings by more than the DynamoDB overheads', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ minLength: 1 }).filter((k) => k !== '__proto__'),
          fc.string(),
        ),
        (node) => {
          const json = Buffer.byteLength(JSON.stringify(node));
          expect(storedSize(node)).toBeLessThanOrEqual(json + 3);
        },
      ),
    );
  });
});

describe('lists, ids and statuses', () => {
  it('keeps whether the body was single, refuses empty arrays', () => {
    expect(asList({ a: 1 })).toEqual({ items: [{ a: 1 }], single: true });
    expect(asList([1, 2]).single).toBe(false);
    expect(codeOf(() => asList([]))).toBe('badRequest');
  });

  it('expands _id arrays in order and validates each id', () => {
    expect(expandIds([{ _id: ['a', 'b'], k: 1 }, { _id: 'c' }])).toEqual([
      { _id: 'a', k: 1 },
      { _id: 'b', k: 1 },
      { _id: 'c' },
    ]);
    expect(codeOf(() => expandIds([{ _id: ['a', 5] }]))).toBe('badRequest');
  });

  it('generates 24 lowercase hex ids ordered by time', () => {
    const a = generateId(1_000_000);
    const b = generateId(2_000_000);
    expect(a).toMatch(/^[0-9a-f]{24}$/);
    expect(a < b).toBe(true);
  });

  it('applies the damas result rule', () => {
    expect(resultStatus([1, 2], 201, 409)).toBe(201);
    expect(resultStatus([1, null], 201, 409)).toBe(207);
    expect(resultStatus([null, null], 201, 409)).toBe(409);
  });

  it('refuses id lists over the response limit with a pointer to search_mongo', () => {
    const ids = Array.from({ length: 60_000 }, (_, i) => `/${'x'.repeat(90)}/${i}`);
    expect(() => assertResponseFits(ids, 'search')).toThrow(/search_mongo with limit and skip/);
    expect(() => assertResponseFits(ids.slice(0, 1000), 'search')).not.toThrow();
  });
});
