/**
 * The delivery queue against DynamoDB Local: idempotent enqueue, leases (parallel claimers never
 * share a delivery, an expired lease is due again), retry, complete and dead letters. Each test
 * uses its own webhook id and a `now` far from the others', so their due items do not mix.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventId, type ChangeEvent } from '../../../functions/core/events.js';
import type { Delivery } from '../../../functions/core/ports.js';
import { DynamoDeliveryQueue } from '../../../functions/store/delivery-queue.js';
import { freshTables } from './tables.js';

const { db, names, ready } = freshTables();
const KEEP_MS = 24 * 60 * 60 * 1000;
const queue = new DynamoDeliveryQueue(db, names.deliveries, KEEP_MS);
const other = new DynamoDeliveryQueue(db, names.deliveries, KEEP_MS);
// Within KEEP_MS of now: DynamoDB Local deletes items whose `expiresAt` has passed.
const START = Date.now();
/** The `now` of the n-th test: each earlier than every due time of the tests before it. */
const nowOf = (n: number) => START - n * 10_000_000;
let sequence = 0;

function delivery(webhookId: string, dueAt: number, node = true): Delivery {
  const time = dueAt - 1000;
  const _id = `/proj/file${++sequence}`;
  const event: ChangeEvent = node
    ? { id: eventId(time, String(sequence)), op: 'update', _id, time, node: { _id, v: sequence } }
    : { id: eventId(time, String(sequence)), op: 'delete', _id, time, node: null, previous: { _id } };
  return { id: `msg_${webhookId}_${event.id}`, webhookId, event, attempt: 0, dueAt, state: 'pending' };
}

const raw = async (id: string) =>
  (await db.send(new GetCommand({ TableName: names.deliveries, Key: { pk: id }, ConsistentRead: true })))
    .Item;
const ids = (deliveries: Delivery[]) => deliveries.map((d) => d.id).sort();

beforeAll(ready);
afterAll(() => db.destroy());

describe('deliveries', () => {
  it('enqueues once per id and claims only what is due, leasing it', async () => {
    const now = nowOf(0);
    const due = [delivery('wh_a', now - 10), delivery('wh_a', now, false)];
    const later = delivery('wh_a', now + 60_000);
    await queue.enqueue([...due, later]);
    await queue.enqueue([{ ...due[0]!, attempt: 7, dueAt: now + 99_999 }]);

    const claimed = await queue.claimDue(now, 10, 30_000);
    expect(ids(claimed)).toEqual(ids(due));
    const first = claimed.find((d) => d.id === due[0]!.id)!;
    expect(first).toStrictEqual({ ...due[0]!, dueAt: now + 30_000 });
    expect(claimed.find((d) => d.id === due[1]!.id)!.event).toStrictEqual(due[1]!.event);
    // Leased: not due again before the lease ends, due again after it.
    expect(await queue.claimDue(now + 29_999, 10, 30_000)).toEqual([]);
    expect(ids(await queue.claimDue(now + 30_000, 10, 30_000))).toEqual(ids(due));
    expect(await queue.claimDue(now, 0, 30_000)).toEqual([]);
  });

  it('never gives one delivery to two parallel claimers', async () => {
    const now = nowOf(1);
    const all = Array.from({ length: 60 }, (_, i) => delivery('wh_par', now - i));
    await queue.enqueue(all);
    const shards = await Promise.all(all.map(async (d) => (await raw(d.id))?.dueShard));
    expect(new Set(shards).size).toBe(4);
    // Rounds of four parallel claimers until nothing is due (leases outlast the test).
    const got: string[] = [];
    for (let round = 0; round < 10; round++) {
      const claims = await Promise.all([queue, other, queue, other].map((q) => q.claimDue(now, 12, 60_000)));
      for (const claim of claims) expect(claim.length).toBeLessThanOrEqual(12);
      got.push(...claims.flat().map((d) => d.id));
      if (claims.every((claim) => claim.length === 0)) break;
    }
    expect(new Set(got).size).toBe(got.length);
    expect(got.sort()).toEqual(ids(all));
  });

  it('retries at a later time, keeping the attempt and the error', async () => {
    const now = nowOf(2);
    const d = delivery('wh_retry', now);
    await queue.enqueue([d]);
    expect(ids(await queue.claimDue(now, 5, 1000))).toEqual([d.id]);
    await queue.retry(d.id, 1, now + 5000, 'HTTP 500');
    expect(await queue.claimDue(now + 4999, 5, 1000)).toEqual([]);
    const [again] = await queue.claimDue(now + 5000, 5, 1000);
    expect(again).toStrictEqual({ ...d, attempt: 1, dueAt: now + 6000, lastError: 'HTTP 500' });
  });

  it('completes: never due again, kept so the same id is never queued again', async () => {
    const now = nowOf(3);
    const d = delivery('wh_done', now);
    await queue.enqueue([d]);
    await queue.claimDue(now, 5, 1000);
    await queue.complete(d.id, now + 10);
    await queue.enqueue([d]);
    // A late retry from a worker whose lease had expired does not bring it back.
    await queue.retry(d.id, 1, now, 'late');
    expect(await queue.claimDue(now + 1_000_000, 5, 1000)).toEqual([]);
    const item = await raw(d.id);
    expect(item).toMatchObject({ state: 'done', expiresAt: Math.ceil((now + 10 + KEEP_MS) / 1000) });
    expect(item).not.toHaveProperty('dueShard');
    // Completing or dead-lettering an unknown id creates nothing.
    await queue.complete('msg_none', now);
    await queue.deadLetter('msg_none', 1, 'x', now);
    expect(await raw('msg_none')).toBeUndefined();
  });

  it('dead-letters: listed per webhook in event order, never due again', async () => {
    const now = nowOf(4);
    const dead = [
      delivery('wh_dead', now - 30),
      delivery('wh_dead', now - 20, false),
      delivery('wh_dead', now),
    ];
    const alive = delivery('wh_dead', now - 10);
    const elsewhere = delivery('wh_other', now);
    await queue.enqueue([...dead, alive, elsewhere]);
    for (const d of [dead[2]!, dead[0]!, dead[1]!, elsewhere])
      await queue.deadLetter(d.id, 5, 'HTTP 404', now + 1);

    const failures = await queue.failures('wh_dead');
    expect(failures.map((d) => d.event.id)).toEqual(dead.map((d) => d.event.id));
    expect(failures[1]).toStrictEqual({ ...dead[1]!, attempt: 5, state: 'dead', lastError: 'HTTP 404' });
    expect((await queue.failures('wh_other')).map((d) => d.id)).toEqual([elsewhere.id]);
    expect(await queue.failures('wh_none')).toEqual([]);

    const item = await raw(dead[0]!.id);
    expect(item).toMatchObject({ deadFor: 'wh_dead', expiresAt: Math.ceil((now + 1 + KEEP_MS) / 1000) });
    expect(item).not.toHaveProperty('dueShard');
    expect(ids(await queue.claimDue(now + 10_000, 10, 1000))).toEqual([alive.id]);
    expect(await raw(alive.id)).not.toHaveProperty('deadFor');
  });
});
