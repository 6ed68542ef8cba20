import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMongoQuery } from '../../functions/core/mongo.js';
import {
  dirOf,
  planDamas,
  planMongo,
  prefixRoot,
  regexLiteralPrefix,
  rootOf,
} from '../../functions/core/plan.js';
import { parseDamasQuery } from '../../functions/core/search.js';

describe('rootOf / dirOf / prefixRoot', () => {
  it('rootOf gives the first path segment', () => {
    expect(rootOf('/proj/a/b.exr')).toBe('/proj');
    expect(rootOf('/proj')).toBe('/proj');
    expect(rootOf('/proj/')).toBe('/proj');
    expect(rootOf('@ann')).toBeUndefined();
    expect(rootOf('')).toBeUndefined();
  });

  it('dirOf gives the containing folder; a folder package lives in its parent', () => {
    expect(dirOf('/proj/a/b.exr')).toBe('/proj/a/');
    expect(dirOf('/proj/pkg/')).toBe('/proj/');
    expect(dirOf('/a')).toBe('/');
    expect(dirOf('/a/')).toBe('/');
    expect(dirOf('/')).toBeUndefined();
    expect(dirOf('5f1d0c')).toBeUndefined();
  });

  it('prefixRoot is known only once the prefix has a second slash', () => {
    expect(prefixRoot('/proj/sh')).toBe('/proj');
    expect(prefixRoot('/proj/')).toBe('/proj');
    expect(prefixRoot('/pr')).toBeUndefined();
    expect(prefixRoot('abc/')).toBeUndefined();
  });

  it('every id starting with a prefix shares its root', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^\/[a-z/]{0,6}$/),
        fc.stringMatching(/^[a-z/]{0,6}$/),
        (prefix, rest) => {
          const root = prefixRoot(prefix);
          if (root !== undefined) expect(rootOf(prefix + rest)).toBe(root);
        },
      ),
    );
  });
});

describe('regexLiteralPrefix', () => {
  it('collects literal characters after ^', () => {
    expect(regexLiteralPrefix(/^\/proj\/a/)).toBe('/proj/a');
    expect(regexLiteralPrefix(/^\/proj\/a\.exr$/)).toBe('/proj/a.exr');
    expect(regexLiteralPrefix(new RegExp('^\\/my\\-proj\\/x\\ y'))).toBe('/my-proj/x y');
    expect(regexLiteralPrefix(new RegExp('^/p/a b'))).toBe('/p/a b');
  });

  it('stops at metacharacters and class escapes', () => {
    expect(regexLiteralPrefix(/^\/p\/.*\.exr$/)).toBe('/p/');
    expect(regexLiteralPrefix(/^\/p\/[a-z]/)).toBe('/p/');
    expect(regexLiteralPrefix(/^\/p(a)/)).toBe('/p');
    expect(regexLiteralPrefix(/^\/p\d/)).toBe('/p');
    expect(regexLiteralPrefix(/^\/p\w/)).toBe('/p');
    expect(regexLiteralPrefix(/^\/p\b/)).toBe('/p');
    expect(regexLiteralPrefix(/^\/p\u0041/)).toBe('/p');
    expect(regexLiteralPrefix(/^\/p+x/)).toBe('/p');
  });

  it('drops a literal made optional or repeatable by a quantifier', () => {
    expect(regexLiteralPrefix(/^\/pa?/)).toBe('/p');
    expect(regexLiteralPrefix(/^\/pa*/)).toBe('/p');
    expect(regexLiteralPrefix(/^\/pa{0,2}/)).toBe('/p');
    expect(regexLiteralPrefix(/^\/p\.?x/)).toBe('/p');
    expect(regexLiteralPrefix(/^a?/)).toBeNull();
    expect(regexLiteralPrefix(/^x😀?/u)).toBe('x');
  });

  it('refuses alternation, i and m flags, and unanchored patterns', () => {
    expect(regexLiteralPrefix(/^\/p|\/q/)).toBeNull();
    expect(regexLiteralPrefix(/^\/p\/(a|b)/)).toBe('/p/');
    expect(regexLiteralPrefix(/^\/p[|]/)).toBe('/p');
    expect(regexLiteralPrefix(/^\/p\|/)).toBe('/p|');
    expect(regexLiteralPrefix(/^\/p/i)).toBeNull();
    expect(regexLiteralPrefix(/^\/p/m)).toBeNull();
    expect(regexLiteralPrefix(/\/p/)).toBeNull();
    expect(regexLiteralPrefix(/^/)).toBeNull();
    expect(regexLiteralPrefix(/^\/p/gy)).toBe('/p');
  });

  it('is sound: whatever the regex matches starts with the prefix', () => {
    const atoms = [
      'a',
      'b',
      '/',
      '\\/',
      '\\.',
      '.',
      '*',
      '+',
      '?',
      '|',
      '(',
      ')',
      '[ab]',
      '{1,2}',
      '\\d',
      '$',
      '-',
    ];
    const sources = fc
      .array(fc.constantFrom(...atoms), { maxLength: 8 })
      .map((parts) => `^${parts.join('')}`);
    const subjects = fc.stringMatching(/^[ab/.\-1]{0,8}$/);
    fc.assert(
      fc.property(sources, fc.array(subjects, { maxLength: 20 }), (source, inputs) => {
        let re: RegExp;
        try {
          re = new RegExp(source);
        } catch {
          return; // not a valid pattern
        }
        const prefix = regexLiteralPrefix(re);
        if (prefix === null) return;
        for (const s of [prefix, ...inputs, prefix + 'a', prefix.slice(0, -1)]) {
          if (re.test(s)) expect(s.startsWith(prefix)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

const damas = (query: string) => planDamas(parseDamasQuery(query));
const mongo = (query: unknown) => planMongo(decodeMongoQuery(query));

describe('planDamas', () => {
  it('prefers _id equality, then #parent, then an _id regex', () => {
    expect(damas('_id:/p/a.exr')).toEqual({ kind: 'get', ids: ['/p/a.exr'] });
    expect(damas('#parent:/p/a.exr comment:/x/')).toEqual({ kind: 'parent', parent: '/p/a.exr' });
    expect(damas('_id:/^\\/p\\/sh/ #parent:x')).toEqual({ kind: 'parent', parent: 'x' });
    expect(damas('_id:/^\\/p\\/sh/ _id:abc')).toEqual({ kind: 'get', ids: ['abc'] });
    expect(damas('_id:/^\\/p\\/sh/')).toEqual({ kind: 'prefix', prefix: '/p/sh' });
  });

  it('detects folder listings', () => {
    expect(damas('_id:/^\\/p\\/a\\/[^\\/]+$/')).toEqual({ kind: 'dir', dir: '/p/a/' });
    expect(damas('_id:/^\\/p\\/a\\/[^/]*$/')).toEqual({ kind: 'dir', dir: '/p/a/' });
    expect(damas('_id:/^\\/p\\/a\\/[^/]+\\/?$/')).toEqual({ kind: 'dir', dir: '/p/a/' });
    expect(damas('_id:/^\\/[^/]+$/')).toEqual({ kind: 'dir', dir: '/' });
    expect(damas('_id:/^\\/p\\/a\\/[^/]+/')).toEqual({ kind: 'prefix', prefix: '/p/a/' });
    expect(damas('_id:/^\\/p\\/a[^/]+$/')).toEqual({ kind: 'prefix', prefix: '/p/a' });
  });

  it('a dir plan covers every match: children of dir, or dir itself', () => {
    const tails = ['[^/]+$', '[^/]*$', '[^\\/]+$', '[^\\/]*$', '[^/]+\\/?$', '[^/]*/?$'];
    const dirs = fc.constantFrom('/', '/p/', '/p/a/');
    const ids = fc.stringMatching(/^\/[pa/x]{0,6}$/);
    fc.assert(
      fc.property(dirs, fc.constantFrom(...tails), fc.array(ids, { maxLength: 30 }), (dir, tail, inputs) => {
        const term = { kind: 'regex' as const, key: '_id', regex: new RegExp(`^${dir}${tail}`) };
        expect(planDamas([term])).toEqual({ kind: 'dir', dir });
        for (const id of [...inputs, dir, `${dir}x`, `${dir}x/`, `${dir}x/y`, `${dir}/`]) {
          if (term.regex.test(id)) expect(id === dir || dirOf(id) === dir).toBe(true);
        }
      }),
    );
  });

  it('scans otherwise', () => {
    for (const q of [
      '*',
      'origin:paris',
      '_id:/^abc/',
      '_id:/\\/p\\//',
      '_id:/^\\/p/i',
      '_id>/p',
      '#parent:/x/',
    ]) {
      expect(damas(q)).toEqual({ kind: 'scan' });
    }
  });
});

describe('planMongo', () => {
  it('plans _id lookups', () => {
    expect(mongo({ _id: '/p/a' })).toEqual({ kind: 'get', ids: ['/p/a'] });
    expect(mongo({ _id: { $eq: 'x' } })).toEqual({ kind: 'get', ids: ['x'] });
    expect(mongo({ _id: { $in: ['x', 'y', 'x'] } })).toEqual({ kind: 'get', ids: ['x', 'y'] });
    expect(mongo({ _id: { $in: ['x', 'REGEX_y'] } })).toEqual({ kind: 'scan' });
  });

  it('plans _id regexes in every spelling', () => {
    expect(mongo({ _id: 'REGEX_^/p/sh' })).toEqual({ kind: 'prefix', prefix: '/p/sh' });
    expect(mongo({ _id: 'RX_^/p/[^/]+$_RX' })).toEqual({ kind: 'dir', dir: '/p/' });
    expect(mongo({ _id: 'RX_^/p/_RXi' })).toEqual({ kind: 'scan' });
    expect(mongo({ _id: { $regex: '^/p/a/[^/]*$' } })).toEqual({ kind: 'dir', dir: '/p/a/' });
    expect(mongo({ _id: { $regex: '^/p/a', $options: 'i' } })).toEqual({ kind: 'scan' });
    expect(mongo({ _id: { $regex: '^/p/a b', $options: 'x' } })).toEqual({ kind: 'scan' });
    expect(mongo({ _id: { $regex: 'REGEX_^/p/a', $options: 's' } })).toEqual({
      kind: 'prefix',
      prefix: '/p/a',
    });
  });

  it('plans #parent and $and, and ranks plans', () => {
    expect(mongo({ '#parent': 'x' })).toEqual({ kind: 'parent', parent: 'x' });
    expect(mongo({ '#parent': { $eq: 'x' } })).toEqual({ kind: 'parent', parent: 'x' });
    expect(mongo({ $and: [{ origin: 'a' }, { _id: 'REGEX_^/p/a' }] })).toEqual({
      kind: 'prefix',
      prefix: '/p/a',
    });
    expect(mongo({ _id: 'REGEX_^/p/a', $and: [{ $and: [{ '#parent': 'y' }] }] })).toEqual({
      kind: 'parent',
      parent: 'y',
    });
    expect(mongo({ _id: 'REGEX_^/pr', $and: [{ _id: 'REGEX_^/pr/x' }] })).toEqual({
      kind: 'prefix',
      prefix: '/pr/x',
    });
  });

  it('scans otherwise', () => {
    const scans = [
      {},
      { origin: 'paris' },
      { $or: [{ _id: 'a' }, { _id: 'b' }] },
      { $nor: [{ _id: 'a' }] },
      { _id: { $not: { $eq: 'a' } } },
      { _id: { $ne: 'a' } },
      { _id: 5 },
      { '#parent': { $in: ['a'] } },
    ];
    for (const q of scans) expect(mongo(q)).toEqual({ kind: 'scan' });
  });
});
