/**
 * The event log against DynamoDB Local: idempotent appends, id order across shards, prefix replays
 * read from the deepest folder scope (capacity proportional to the result), TTL on every item.
 * Each test logs events in its own time range, later than the tests before it, so `*` replays
 * from the start of that range see only its events. Times are near now: DynamoDB Local deletes
 * expired items.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventId, firstIdAt, type ChangeEvent } from '../../../functions/core/events.js';
import {
  DynamoEventLog,
  eventScopes,
  replayScope,
  SHARDS,
  shardOf,
} from '../../../functions/store/event-log.js';
import { freshTables } from './tables.js';

const { db, names, ready } = freshTables();
const RETENTION_MS = 24 * 60 * 60 * 1000;
const log = new DynamoEventLog(db, names.events, RETENTION_MS);

const START = Date.now();
let range = 0;
/** The start (ms) of a new time range, after every range used before. */
const newRange = () => START + ++range * 1_000_000;
let sequence = 0;

function event(_id: string, time: number, op: ChangeEvent['op'] = 'update'): ChangeEvent {
  const seq = String(++sequence);
  const node = op === 'delete' ? null : { _id, seq };
  return {
    id: eventId(time, seq),
    op,
    _id,
    time,
    node,
    ...(op !== 'create' && { previous: { _id, old: 1 } }),
  };
}

async function replay(afterId: string, prefix?: string) {
  const before = log.consumed.read;
  const pages: ChangeEvent[][] = [];
  for await (const page of log.replay(afterId, prefix)) pages.push(page);
  const events = pages.flat();
  return { pages, events, ids: events.map((e) => e._id), read: log.consumed.read - before };
}

const items = async (pk: string) =>
  (
    await db.send(
      new QueryCommand({
        TableName: names.events,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': pk },
      }),
    )
  ).Items ?? [];

beforeAll(ready);
afterAll(() => db.destroy());

describe('scopes', () => {
  it('logs an event in `*`, `/` and its folders down to depth 3, and replays from the deepest', () => {
    expect(eventScopes('/proj/seq/shot/sub/file.exr')).toEqual([
      '*',
      '/',
      '/proj/',
      '/proj/seq/',
      '/proj/seq/shot/',
    ]);
    expect(eventScopes('/proj/seq/')).toEqual(['*', '/', '/proj/', '/proj/seq/']);
    expect(eventScopes('/file')).toEqual(['*', '/']);
    expect(eventScopes('c1')).toEqual(['*']);
    const cases: [string | undefined, string][] = [
      [undefined, '*'],
      ['/proj/seq/', '/proj/seq/'],
      ['/proj/seq/sh', '/proj/seq/'],
      ['/proj/seq/shot/a/b/c', '/proj/seq/shot/'],
      ['/p', '/'],
      ['plain', '*'],
    ];
    for (const [prefix, scope] of cases) expect(replayScope(prefix), prefix).toBe(scope);
  });
});

describe('append', () => {
  it('is idempotent: the same events appended twice (or twice in one call) replay once', async () => {
    const t = newRange();
    const events = Array.from({ length: 30 }, (_, i) => event(`/idem/${i % 7}/n${i}`, t + i));
    await log.append(events);
    await log.append(events);
    await log.append([events[3]!, events[3]!, events[4]!]);
    const all = await replay(firstIdAt(t));
    expect(all.events.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect((await replay(firstIdAt(t), '/idem/')).events).toHaveLength(30);
  });

  it('spreads a scope over its shards and stamps every item with the TTL', async () => {
    const t = newRange();
    const deep = event('/ttl/seq/shot/sub/file.exr', t + 1);
    await log.append([deep]);
    const shard = shardOf(deep._id);
    const scoped = await Promise.all(eventScopes(deep._id).map((scope) => items(`${scope}#${shard}`)));
    const written = scoped.flat().filter((item) => item.id === deep.id);
    expect(written).toHaveLength(5);
    for (const item of written) expect(item.expiresAt).toBe(Math.ceil((deep.time + RETENTION_MS) / 1000));
    const stored = await db.send(
      new GetCommand({ TableName: names.events, Key: { pk: `*#${shard}`, id: deep.id } }),
    );
    expect(stored.Item?.event).toEqual({ op: 'update', _id: deep._id, time: deep.time, node: deep.node });

    // 40 node ids land in every shard of `*`, so no partition takes every write.
    await log.append(Array.from({ length: 40 }, (_, i) => event(`spread-${i}`, t + 10 + i)));
    for (let s = 0; s < SHARDS; s++) expect((await items(`*#${s}`)).length, `shard ${s}`).toBeGreaterThan(0);
  });
});

describe('replay', () => {
  it('merges shards and scopes in id order, in pages of at most 100', async () => {
    const t = newRange();
    const ids = ['/ord/a/x', '/ord/b/c/d/e/f', '/ord/', '/top', 'plain', '/ord/a/y', '/z/q/'];
    const events = Array.from({ length: 250 }, (_, i) => event(`${ids[i % ids.length]}${i % 3}`, t + i));
    const shuffled = [...events].sort(() => Math.random() - 0.5);
    await Promise.all([log.append(shuffled.slice(0, 120)), log.append(shuffled.slice(120))]);
    const all = await replay(firstIdAt(t));
    expect(all.events.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(all.pages.map((p) => p.length)).toEqual([100, 100, 50]);
    const ord = await replay(firstIdAt(t), '/ord/');
    expect(ord.events.map((e) => e.id)).toEqual(
      events.filter((e) => e._id.startsWith('/ord/')).map((e) => e.id),
    );
  });

  it('returns the events under a prefix: folder scope, partial name, deep prefix, no prefix', async () => {
    const t = newRange();
    const events = [
      event('/pfx/a/1', t + 1),
      event('/pfx/a/b/c/d/e', t + 2, 'delete'),
      event('/pfx/ab', t + 3, 'create'),
      event('/pfx/', t + 4),
      event('/other/x', t + 5),
      event('plain-id', t + 6),
      event('/pfx/a/b/c/d/f', t + 7),
      event('*star', t + 8),
    ];
    await log.append(events);
    const from = firstIdAt(t);
    const cases: [string | undefined, string[]][] = [
      ['/pfx/', ['/pfx/a/1', '/pfx/a/b/c/d/e', '/pfx/ab', '/pfx/', '/pfx/a/b/c/d/f']],
      ['/pfx/a', ['/pfx/a/1', '/pfx/a/b/c/d/e', '/pfx/ab', '/pfx/a/b/c/d/f']],
      ['/pfx/a/', ['/pfx/a/1', '/pfx/a/b/c/d/e', '/pfx/a/b/c/d/f']],
      ['/pfx/a/b/c/d/e', ['/pfx/a/b/c/d/e']],
      ['/pfx/a/b/c/d/', ['/pfx/a/b/c/d/e', '/pfx/a/b/c/d/f']],
      ['/', ['/pfx/a/1', '/pfx/a/b/c/d/e', '/pfx/ab', '/pfx/', '/other/x', '/pfx/a/b/c/d/f']],
      ['/o', ['/other/x']],
      ['plain', ['plain-id']],
      ['*', ['*star']],
      ['/nothing/', []],
      [undefined, events.map((e) => e._id)],
    ];
    for (const [prefix, expected] of cases)
      expect((await replay(from, prefix)).ids, prefix).toEqual(expected);

    // A delete keeps its old image (filters match it); other events drop theirs.
    const [update, deleted, created] = (await replay(from, '/pfx/')).events;
    expect(deleted).toStrictEqual(events[1]);
    const { previous: _previous, ...withoutPrevious } = events[0]!;
    expect(update).toStrictEqual(withoutPrevious);
    expect(created).toStrictEqual(events[2]);
  });

  it('returns only ids above afterId', async () => {
    const t = newRange();
    const events = Array.from({ length: 5 }, (_, i) => event(`/after/${i}`, t + i));
    await log.append(events);
    expect((await replay(events[1]!.id, '/after/')).ids).toEqual(['/after/2', '/after/3', '/after/4']);
    expect((await replay(events[1]!.id)).ids).toEqual(['/after/2', '/after/3', '/after/4']);
    expect((await replay(events[4]!.id, '/after/')).pages).toEqual([]);
  });

  it('returns an event logged late with a lower id to a replay starting before it', async () => {
    const t = newRange();
    const early = Array.from({ length: 4 }, (_, i) => event(`/late/${i}`, t + 1000 + i));
    await log.append(early);
    const late = event('/late/x', t + 500);
    await log.append([late]);
    expect((await replay(firstIdAt(t), '/late/')).events.map((e) => e.id)).toEqual([
      late.id,
      ...early.map((e) => e.id),
    ]);
    // From after the late id only what follows it (the subscriber's grace window covers the rest).
    expect((await replay(early[0]!.id, '/late/')).ids).toEqual(['/late/1', '/late/2', '/late/3']);
  });

  it('reads capacity proportional to what a folder-prefix replay returns, not to the log', async () => {
    const t = newRange();
    const filler = Array.from({ length: 1500 }, (_, i) => ({
      ...event(`/fill/${i % 30}/${i}`, t + i),
      node: { _id: `/fill/${i % 30}/${i}`, pad: 'x'.repeat(300) },
    }));
    const small = Array.from({ length: 5 }, (_, i) => event(`/cap/s/${i}`, t + 2000 + i));
    await log.append([...filler, ...small]);
    const from = firstIdAt(t);
    const everything = await replay(from);
    expect(everything.events).toHaveLength(1505);
    const folder = await replay(from, '/cap/s/');
    expect(folder.ids).toEqual(small.map((e) => e._id));
    const partial = await replay(from, '/cap/s');
    expect(partial.ids).toEqual(small.map((e) => e._id));
    const fifty = await replay(from, '/fill/7/');
    expect(fifty.events).toHaveLength(50);
    expect(everything.read).toBeGreaterThan(100);
    // Four consistent queries of a few small items each: a constant, whatever the log holds.
    expect(folder.read).toBeLessThanOrEqual(2 * SHARDS);
    expect(partial.read).toBeLessThanOrEqual(2 * SHARDS);
    expect(fifty.read).toBeLessThan(everything.read / 10);
  });
});
