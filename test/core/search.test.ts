import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TrackerError } from '../../functions/core/errors.js';
import { BadQueryError, matchesTerms, parseDamasQuery, resolvePath } from '../../functions/core/search.js';

const matches = (node: Record<string, unknown>, query: string) =>
  matchesTerms({ _id: 'n', ...node }, parseDamasQuery(query));

describe('parseDamasQuery', () => {
  it('splits on spaces, ignoring empty pieces', () => {
    expect(parseDamasQuery('  a:1   b:2 ')).toEqual([
      { kind: 'eq', key: 'a', value: '1' },
      { kind: 'eq', key: 'b', value: '2' },
    ]);
  });

  it('splits key and value on the first colon only', () => {
    expect(parseDamasQuery('url:ssh://h:22/p')).toEqual([{ kind: 'eq', key: 'url', value: 'ssh://h:22/p' }]);
  });

  it('takes the operator that occurs first', () => {
    expect(parseDamasQuery('a:b<c')).toEqual([{ kind: 'eq', key: 'a', value: 'b<c' }]);
    expect(parseDamasQuery('a<b:c')).toEqual([{ kind: 'cmp', key: 'a', op: '<', value: 'b:c' }]);
    expect(parseDamasQuery('a>=b')).toEqual([{ kind: 'cmp', key: 'a', op: '>=', value: 'b' }]);
    expect(parseDamasQuery('a<=b')).toEqual([{ kind: 'cmp', key: 'a', op: '<=', value: 'b' }]);
    expect(parseDamasQuery('a>b')).toEqual([{ kind: 'cmp', key: 'a', op: '>', value: 'b' }]);
    expect(parseDamasQuery('a<=')).toEqual([{ kind: 'cmp', key: 'a', op: '<=', value: '' }]);
  });

  it('ignores terms without an operator such as *', () => {
    expect(parseDamasQuery('*')).toEqual([]);
    expect(parseDamasQuery('* a:1')).toEqual([{ kind: 'eq', key: 'a', value: '1' }]);
  });

  it('parses /pattern/flags values as regular expressions', () => {
    const [term] = parseDamasQuery('_id:/^\\/proj\\/a/gi');
    expect(term?.kind).toBe('regex');
    if (term?.kind !== 'regex') return;
    expect(term.regex.source).toBe('^\\/proj\\/a');
    expect(term.regex.flags).toBe('gi');
    expect(parseDamasQuery('k:/a/b/my')[0]).toMatchObject({ kind: 'regex' });
  });

  it('keeps values whose "flags" are not from g, i, m, y as plain strings', () => {
    expect(parseDamasQuery('_id:/proj/a/b.exr')).toEqual([
      { kind: 'eq', key: '_id', value: '/proj/a/b.exr' },
    ]);
    expect(parseDamasQuery('k:/a/s')).toEqual([{ kind: 'eq', key: 'k', value: '/a/s' }]);
    expect(parseDamasQuery('k:/')).toEqual([{ kind: 'eq', key: 'k', value: '/' }]);
  });

  it('rejects invalid regular expressions, naming the term', () => {
    expect(() => parseDamasQuery('a:1 name:/(/')).toThrow(BadQueryError);
    expect(() => parseDamasQuery('name:/(/')).toThrow(/name:\/\(\//);
    expect(() => parseDamasQuery('name:/a/gg')).toThrow(BadQueryError);
  });

  it('rejects empty and whitespace-only queries as a 400', () => {
    expect(() => parseDamasQuery('')).toThrow('empty query');
    expect(() => parseDamasQuery('   ')).toThrow(BadQueryError);
    try {
      parseDamasQuery('');
    } catch (error) {
      expect(error).toBeInstanceOf(TrackerError);
      expect((error as TrackerError).status).toBe(400);
    }
  });
});

describe('matchesTerms', () => {
  it('matches everything with * and ANDs terms', () => {
    expect(matches({}, '*')).toBe(true);
    expect(matches({ a: 'x', b: 'y' }, 'a:x b:y')).toBe(true);
    expect(matches({ a: 'x', b: 'z' }, 'a:x b:y')).toBe(false);
  });

  it('compares equality as strings, including numbers and booleans', () => {
    expect(matches({ size: 12 }, 'size:12')).toBe(true);
    expect(matches({ ok: true }, 'ok:true')).toBe(true);
    expect(matches({ size: 12 }, 'size:012')).toBe(false);
    expect(matches({ o: { a: 1 } }, 'o:[object Object]')).toBe(false);
  });

  it('needs the key to exist', () => {
    expect(matches({}, 'a:')).toBe(false);
    expect(matches({ a: '' }, 'a:')).toBe(true);
    expect(matches({}, 'a>0')).toBe(false);
    expect(matches({}, 'a:/.*/')).toBe(false);
  });

  it('matches elements of array values', () => {
    expect(matches({ author: ['ann', 'bob'] }, 'author:bob')).toBe(true);
    expect(matches({ author: ['ann', 'bob'] }, 'author:/^b/')).toBe(true);
    expect(matches({ author: ['ann', 'bob'] }, 'author:carl')).toBe(false);
    expect(matches({ v: [1, 20] }, 'v>10')).toBe(true);
  });

  it('tests regexes against the string form, without state between nodes', () => {
    const terms = parseDamasQuery('name:/a/g');
    expect([1, 2, 3].map(() => matchesTerms({ _id: 'x', name: 'a' }, terms))).toEqual([true, true, true]);
    const sticky = parseDamasQuery('name:/a/y');
    expect(matchesTerms({ _id: 'x', name: 'ab' }, sticky)).toBe(true);
    expect(matchesTerms({ _id: 'y', name: 'ab' }, sticky)).toBe(true);
    expect(matchesTerms({ _id: 'z', name: 'ba' }, sticky)).toBe(false);
    expect(matches({ size: 1234 }, 'size:/^12/')).toBe(true);
    expect(matches({ name: 'ABC' }, 'name:/abc/i')).toBe(true);
  });

  it('addresses nested fields and literal dotted keys', () => {
    expect(matches({ a: { b: { c: 'x' } } }, 'a.b.c:x')).toBe(true);
    expect(matches({ 'sync.x': true }, 'sync.x:true')).toBe(true);
    expect(matches({ 'a.b': { c: 1 } }, 'a.b.c:1')).toBe(true);
    expect(matches({ a: [{ b: 1 }, { b: 2 }] }, 'a.b:2')).toBe(true);
    expect(matches({ a: { b: 1 } }, 'a.c:1')).toBe(false);
  });

  it('compares numerically when both sides are numbers, else as strings', () => {
    expect(matches({ time: 9 }, 'time<10')).toBe(true); // as strings "9" > "10"
    expect(matches({ time: '9' }, 'time<10')).toBe(true);
    expect(matches({ time: 10 }, 'time<=10')).toBe(true);
    expect(matches({ time: 10 }, 'time>=10')).toBe(true);
    expect(matches({ time: 10 }, 'time>10')).toBe(false);
    expect(matches({ p: -2 }, 'p<-1')).toBe(true);
    expect(matches({ name: 'b' }, 'name>a')).toBe(true);
    expect(matches({ name: 'b9' }, 'name<b10')).toBe(false); // string comparison
    expect(matches({ name: '' }, 'name<0')).toBe(true); // '' is not a number: "" < "0"
  });
});

describe('resolvePath', () => {
  it('returns every addressed value', () => {
    expect(resolvePath({ 'a.b': 1, a: { b: 2 } }, 'a.b')).toEqual([1, 2]);
    expect(resolvePath({ a: 1 }, 'a.b')).toEqual([]);
    expect(resolvePath('x', 'a')).toEqual([]);
  });
});

describe('properties', () => {
  const safeKey = fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/);
  const safeValue = fc.stringMatching(/^[a-zA-Z0-9_.-]{0,12}$/);

  it('an equality term matches exactly the nodes holding that value', () => {
    fc.assert(
      fc.property(safeKey, safeValue, safeValue, (key, stored, wanted) => {
        const terms = parseDamasQuery(`${key}:${wanted}`);
        expect(matchesTerms({ _id: 'n', [key]: stored }, terms)).toBe(stored === wanted);
      }),
    );
  });

  it('numeric comparisons agree with numbers', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), (stored, bound) => {
        const node = { _id: 'n', v: stored };
        expect(matchesTerms(node, parseDamasQuery(`v<${bound}`))).toBe(stored < bound);
        expect(matchesTerms(node, parseDamasQuery(`v>=${bound}`))).toBe(stored >= bound);
      }),
    );
  });
});

describe('unsafe regular expressions', () => {
  it('refuses nested quantifiers that could backtrack for minutes', () => {
    expect(() => parseDamasQuery('s:/(a+)+$/')).toThrow(/exponential/);
    expect(parseDamasQuery('s:/^a+b$/')).toHaveLength(1);
  });
});
