import { beforeAll, describe, expect, it } from 'vitest';
import {
  compileMongoQuery,
  loadMongoEngine,
  decodeMongoQuery,
  paginate,
  parseSortSpec,
  sortNodes,
} from '../../functions/core/mongo.js';
import { MAX_QUERY_DEPTH } from '../../functions/core/limits.js';
import { BadQueryError, type NodeLike } from '../../functions/core/search.js';

beforeAll(loadMongoEngine);

const run = (query: unknown, nodes: NodeLike[]) => {
  const test = compileMongoQuery(decodeMongoQuery(query));
  return nodes.filter(test).map((n) => n._id);
};

const files: NodeLike[] = [
  { _id: '/p/a.exr', time: 3, origin: 'paris', tags: ['hero', 'wip'], sync_priority: 2 },
  { _id: '/p/b.exr', time: 1, origin: 'tokyo', sync_priority: -1 },
  { _id: '/q/c.abc', time: 2, origin: 'Paris', meta: { size: 10 } },
];

describe('decodeMongoQuery', () => {
  it('turns REGEX_ and RX_…_RX strings into RegExps, deeply', () => {
    const decoded = decodeMongoQuery({
      _id: 'REGEX_^/p/',
      origin: { $in: ['RX_^par_RXi', 'x'] },
      $or: [{ a: 'RX_a_RX_b_RXm' }],
    });
    expect(decoded._id).toEqual(/^\/p\//);
    expect(decoded.origin).toEqual({ $in: [/^par/i, 'x'] });
    expect(decoded.$or).toEqual([{ a: /a_RX_b/m }]);
  });

  it('leaves other values alone and does not mutate the input', () => {
    const query = { a: 'RX_no_end', b: 1, c: null, d: true, e: 'plain' };
    expect(decodeMongoQuery(query)).toEqual(query);
    const nested = { a: { b: 'REGEX_x' } };
    decodeMongoQuery(nested);
    expect(nested.a.b).toBe('REGEX_x');
  });

  it('drops the g flag and refuses the y flag', () => {
    const decoded = decodeMongoQuery({ a: 'RX_x_RXgi' });
    expect(decoded.a).toEqual(/x/i);
    expect(() => decodeMongoQuery({ a: 'RX_x_RXy' })).toThrow(BadQueryError);
  });

  it('rejects invalid regexes and flags', () => {
    expect(() => decodeMongoQuery({ a: 'REGEX_(' })).toThrow(BadQueryError);
    expect(() => decodeMongoQuery({ a: 'RX_a_RXq' })).toThrow(BadQueryError);
    expect(() => decodeMongoQuery({ a: 'RX_a_RXii' })).toThrow(/RX_a_RXii/);
  });

  it('rejects non-object queries', () => {
    for (const q of [null, undefined, 'a', 1, [], [{ a: 1 }]])
      expect(() => decodeMongoQuery(q)).toThrow(BadQueryError);
  });

  it('rejects operators that execute code, wherever they are', () => {
    expect(() => decodeMongoQuery({ $where: 'this.a == 1' })).toThrow(/\$where/);
    expect(() => decodeMongoQuery({ $or: [{ $where: 'true' }] })).toThrow(BadQueryError);
    const fn = { $function: { body: 'function () { return true }', args: [], lang: 'js' } };
    expect(() => decodeMongoQuery({ a: fn })).toThrow(/\$function/);
    expect(() => decodeMongoQuery({ $expr: fn })).toThrow(/\$expr is not allowed/);
    expect(() => decodeMongoQuery({ a: { $accumulator: {} } })).toThrow(BadQueryError);
  });

  it('refuses expression operators and unsafe regexes', () => {
    expect(() => decodeMongoQuery({ $expr: { $range: [0, 1e9] } })).toThrow(/\$expr is not allowed/);
    expect(() => decodeMongoQuery({ s: 'REGEX_(a+)+$' })).toThrow(/exponential/);
    expect(() => decodeMongoQuery({ s: { $regex: '(x*)*y' } })).toThrow(/exponential/);
    expect(decodeMongoQuery({ s: { $regex: '^/proj/' } })).toEqual({ s: { $regex: '^/proj/' } });
  });

  it('limits nesting depth', () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_QUERY_DEPTH + 5; i++) deep = { $and: [deep] };
    expect(() => decodeMongoQuery(deep)).toThrow(/nested/);
    expect(() => decodeMongoQuery({ a: { b: { c: 1 } } })).not.toThrow();
  });

  it('keeps a __proto__ key as data', () => {
    const decoded = decodeMongoQuery(JSON.parse('{"__proto__": {"polluted": 1}}'));
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('compileMongoQuery', () => {
  it('evaluates Mongo filters', () => {
    expect(run({ origin: 'paris' }, files)).toEqual(['/p/a.exr']);
    expect(run({ origin: 'RX_^paris$_RXi' }, files)).toEqual(['/p/a.exr', '/q/c.abc']);
    expect(run({ _id: 'REGEX_^/p/' }, files)).toEqual(['/p/a.exr', '/p/b.exr']);
    expect(run({ tags: 'wip' }, files)).toEqual(['/p/a.exr']);
    expect(run({ meta: { $exists: true } }, files)).toEqual(['/q/c.abc']);
    expect(run({ 'meta.size': { $gte: 10 } }, files)).toEqual(['/q/c.abc']);
    expect(run({ $or: [{ time: { $gt: 2 } }, { origin: 'tokyo' }] }, files)).toEqual([
      '/p/a.exr',
      '/p/b.exr',
    ]);
    expect(run({ $and: [{ time: { $lt: 3 } }, { sync_priority: { $lt: 0 } }] }, files)).toEqual(['/p/b.exr']);
    expect(run({ origin: { $in: ['REGEX_^tok', 'Paris'] } }, files)).toEqual(['/p/b.exr', '/q/c.abc']);
    expect(run({}, files)).toHaveLength(3);
  });

  it('turns mingo errors into BadQueryErrors', () => {
    expect(() => compileMongoQuery({ a: { $bogus: 1 } })).toThrow(BadQueryError);
    expect(() => compileMongoQuery({ $bogus: 1 })).toThrow(/invalid query/);
    expect(() => compileMongoQuery({ $jsonSchema: {} })).toThrow(BadQueryError);
    const failsLater = compileMongoQuery({ $expr: { $add: ['$origin', 1] } });
    expect(() => failsLater(files[0]!)).toThrow(BadQueryError);
  });

  it('never runs scripts, even when the decoder is bypassed', () => {
    expect(() => compileMongoQuery({ $where: 'true' })).toThrow(BadQueryError);
    const fn = { $function: { body: () => true, args: [], lang: 'js' } };
    expect(() => compileMongoQuery({ $expr: fn })(files[0]!)).toThrow(BadQueryError);
  });
});

describe('sortNodes', () => {
  const mixed: NodeLike[] = [
    { _id: 'a', time: 3 },
    { _id: 'b' },
    { _id: 'c', time: 1 },
    { _id: 'd', time: 'x' },
  ];

  it('sorts with Mongo semantics without touching the input', () => {
    expect(sortNodes(mixed, { time: -1 }).map((n) => n._id)).toEqual(['d', 'a', 'c', 'b']);
    expect(sortNodes(mixed, { time: 1 }).map((n) => n._id)).toEqual(['b', 'c', 'a', 'd']);
    expect(mixed.map((n) => n._id)).toEqual(['a', 'b', 'c', 'd']);
    expect(sortNodes(mixed, { time: 1 })[0]).toBe(mixed[1]);
  });

  it('sorts on several keys', () => {
    const nodes: NodeLike[] = [
      { _id: '1', o: 'b', t: 1 },
      { _id: '2', o: 'a', t: 1 },
      { _id: '3', o: 'a', t: 2 },
    ];
    expect(sortNodes(nodes, { o: 1, t: -1 }).map((n) => n._id)).toEqual(['3', '2', '1']);
  });

  it('does not sort for an absent or empty spec', () => {
    for (const spec of [undefined, null, {}])
      expect(sortNodes(mixed, spec).map((n) => n._id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('validates the spec', () => {
    for (const spec of ['time', [], { time: 2 }, { time: '-1' }, { $natural: 1 }, { '': 1 }]) {
      expect(() => sortNodes(mixed, spec)).toThrow(BadQueryError);
    }
    expect(parseSortSpec({ time: -1 })).toEqual({ time: -1 });
  });
});

describe('paginate', () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];

  it('applies skip then limit, limit 0 meaning no limit', () => {
    expect(paginate(ids, 2, 1)).toEqual(['b', 'c']);
    expect(paginate(ids, 0, 3)).toEqual(['d', 'e']);
    expect(paginate(ids, 0, 0)).toEqual(ids);
    expect(paginate(ids)).toEqual(ids);
    expect(paginate(ids, null, null)).toEqual(ids);
    expect(paginate(ids, 10, 4)).toEqual(['e']);
    expect(paginate(ids, 1, 10)).toEqual([]);
    expect(paginate(ids, '2', '0')).toEqual(['a', 'b']);
  });

  it('validates limit and skip', () => {
    for (const bad of [-1, 1.5, NaN, Infinity, '-1', '1e3', 'x', true, {}]) {
      expect(() => paginate(ids, bad, 0)).toThrow(/limit/);
      expect(() => paginate(ids, 0, bad)).toThrow(/skip/);
    }
  });
});
