/** The DynamoDB store against real DynamoDB Local: plans read by index, writes are atomic. */
import { randomBytes } from 'node:crypto';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { Node } from '../../functions/core/nodes.js';
import type { Plan } from '../../functions/core/ports.js';
import { createDocumentClient } from '../../functions/store/dynamo-client.js';
import { toItem } from '../../functions/store/items.js';
import { DynamoNodeStore } from '../../functions/store/node-store.js';
import { prefixUpperBound } from '../../functions/store/requests.js';
import { localTableNames } from '../../functions/store/schema.js';
import { ensureTables } from '../../local/tables.js';

const db = createDocumentClient(inject('dynamodbEndpoint'));
const names = localTableNames(`s${randomBytes(4).toString('hex')}`);
const store = new DynamoNodeStore(db, names.nodes);
const FILLER = 1500;

async function all(plan: Plan): Promise<{ ids: string[]; read: number }> {
  const before = store.consumed.read;
  const ids: string[] = [];
  for await (const page of store.find(plan)) ids.push(...page.map((n) => n._id));
  return { ids: ids.sort(), read: store.consumed.read - before };
}

beforeAll(async () => {
  await ensureTables(db, names);
  const nodes: Node[] = [
    { _id: '/p/s1/a', '#parent': 'x' },
    { _id: '/p/s1/b' },
    { _id: '/p/s1/deep/c' },
    { _id: '/p/s1/' },
    { _id: 'c1', '#parent': '/p/s1/a' },
    { _id: 'edge', src_id: '/p/s1/b', tgt_id: '/p/s1/a' },
    ...Array.from({ length: FILLER }, (_, i) => ({ _id: `/fill/${i % 30}/${i}`, pad: 'x'.repeat(300) })),
  ];
  for (let i = 0; i < nodes.length; i += 25) {
    const batch = nodes.slice(i, i + 25).map((n) => ({ PutRequest: { Item: toItem(n) } }));
    await db.send(new BatchWriteCommand({ RequestItems: { [names.nodes]: batch } }));
  }
});
afterAll(() => db.destroy());

describe('query plans', () => {
  it('answers each plan with the right candidates, reading far less than a scan', async () => {
    const scan = await all({ kind: 'scan' });
    expect(scan.ids).toHaveLength(FILLER + 6);
    const cases: [Plan, string[]][] = [
      [{ kind: 'prefix', prefix: '/p/s1/' }, ['/p/s1/', '/p/s1/a', '/p/s1/b', '/p/s1/deep/c']],
      [{ kind: 'dir', dir: '/p/s1/' }, ['/p/s1/', '/p/s1/a', '/p/s1/b']],
      [{ kind: 'parent', parent: '/p/s1/a' }, ['c1']],
      [{ kind: 'target', target: '/p/s1/a' }, ['edge']],
      [{ kind: 'get', ids: ['/p/s1/b', 'missing'] }, ['/p/s1/b']],
    ];
    for (const [plan, expected] of cases) {
      const got = await all(plan);
      expect(got.ids, plan.kind).toEqual(expected);
      expect(got.read, plan.kind).toBeLessThan(scan.read / 20);
    }
  });

  it('turns a prefix into a BETWEEN range with the right upper bound', () => {
    expect(prefixUpperBound('/p/s1/')).toBe('/p/s10');
    expect(prefixUpperBound('/p/\uffff')).toBeUndefined();
    expect(prefixUpperBound('')).toBeUndefined();
  });

  it('falls back to a filtered scan when the prefix does not name its first folder', async () => {
    expect((await all({ kind: 'prefix', prefix: '/p' })).ids).toHaveLength(4);
  });
});

describe('writes', () => {
  it('writes a unit all or nothing: an existing first node leaves its companions unwritten', async () => {
    const [ok] = await store.create([[{ _id: '/w/file' }, { _id: 'w-history-1', '#parent': '/w/file' }]]);
    expect(ok).toBe(true);
    const [again] = await store.create([[{ _id: '/w/file' }, { _id: 'w-history-2', '#parent': '/w/file' }]]);
    expect(again).toBe(false);
    expect(await store.get('w-history-2')).toBeUndefined();
  });

  it('writes many units in shared transactions, dropping only those whose file exists', async () => {
    const units = Array.from({ length: 120 }, (_, i): Node[] => [
      { _id: `/batch/${i}` },
      { _id: `batch-history-${i}`, '#parent': `/batch/${i}` },
    ]);
    await store.create([units[7]!, units[80]!]);
    const again = units.map((unit, i) =>
      i === 7 || i === 80 ? [unit[0]!, { ...unit[1]!, _id: `dup-${i}` }] : unit,
    );
    const written = await store.create(again);
    expect(written.filter((w) => !w)).toHaveLength(2);
    expect(written[7]).toBe(false);
    expect(written[80]).toBe(false);
    expect(await store.get('dup-7')).toBeUndefined();
    expect((await all({ kind: 'prefix', prefix: '/batch/' })).ids).toHaveLength(120);
    expect((await all({ kind: 'parent', parent: '/batch/119' })).ids).toEqual(['batch-history-119']);
  });

  it('updates a node and creates its child in one transaction: both or neither', async () => {
    await store.create([[{ _id: '/w/mod', size: 1 }]]);
    const child = (id: string, size: number): Node => ({ _id: id, '#parent': '/w/mod', size });
    expect(await store.updateWithChild('/w/mod', { size: 2 }, [], child('w-mod-1', 2))).toBe(true);
    expect(await store.get('/w/mod')).toMatchObject({ size: 2 });
    expect((await all({ kind: 'parent', parent: '/w/mod' })).ids).toEqual(['w-mod-1']);
    // The child's id exists: the node keeps its keys. The node does not exist: no child.
    expect(await store.updateWithChild('/w/mod', { size: 3 }, [], child('w-mod-1', 3))).toBe(false);
    expect(await store.get('/w/mod')).toMatchObject({ size: 2 });
    expect(await store.updateWithChild('/w/none', { size: 3 }, [], child('w-none-1', 3))).toBe(false);
    expect(await store.get('w-none-1')).toBeUndefined();
  });

  it('keeps index attributes in step when #parent or tgt_id change', async () => {
    await store.create([[{ _id: 'moved', '#parent': 'old' }]]);
    await store.update('moved', { '#parent': 'new' }, []);
    expect((await all({ kind: 'parent', parent: 'old' })).ids).toEqual([]);
    expect((await all({ kind: 'parent', parent: 'new' })).ids).toEqual(['moved']);
    await store.update('moved', {}, ['#parent']);
    expect((await all({ kind: 'parent', parent: 'new' })).ids).toEqual([]);
  });

  it('locks once per user, refuses others, and reports missing nodes', async () => {
    await store.create([[{ _id: '/w/lockme' }], [{ _id: '/w/free' }]]);
    expect(await store.setLock(['/w/lockme'], 'ann', 'lock')).toEqual(['ok']);
    expect(await store.setLock(['/w/lockme'], 'ann', 'lock')).toEqual(['ok']);
    expect(await store.setLock(['/w/lockme'], 'bob', 'lock')).toEqual(['conflict']);
    expect(await store.setLock(['/w/lockme'], 'bob', 'unlock')).toEqual(['conflict']);
    expect(await store.setLock(['/w/none'], 'ann', 'lock')).toEqual(['notFound']);
  });

  it('changes nothing when one of several ids is held by someone else', async () => {
    expect(await store.setLock(['/w/free', '/w/lockme'], 'bob', 'lock')).toEqual(['ok', 'conflict']);
    expect((await store.get('/w/free'))!.lock).toBeUndefined();
    expect(await store.setLock(['/w/free', '/w/none', '/w/lockme'], 'ann', 'lock')).toEqual([
      'ok',
      'notFound',
      'ok',
    ]);
    expect((await store.get('/w/free'))!.lock).toBe('ann');
    expect(await store.setLock(['/w/free', '/w/lockme'], 'ann', 'unlock')).toEqual(['ok', 'ok']);
    expect((await store.get('/w/lockme'))!.lock).toBeUndefined();
  });

  it('upserts concurrently without losing keys or creating twice', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        store.upsert('/w/up', { [`k${i}`]: i }, [], { _id: '/w/up', [`k${i}`]: i }),
      ),
    );
    expect(results).toHaveLength(12);
    const node = (await store.get('/w/up'))!;
    for (let i = 0; i < 12; i++) expect(node[`k${i}`]).toBe(i);
  });
});
