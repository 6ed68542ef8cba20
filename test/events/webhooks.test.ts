/**
 * Webhook deliveries end to end on the real local tracker: nodes written through the REST API, the
 * DynamoDB Local stream polled into the fan-out, the delivery worker POSTing to receivers on
 * 127.0.0.1. Signed payloads, prefix filters, retries with a stable webhook-id, 410 Gone, a hanging
 * receiver next to a fast one, dead letters. Each test uses its own prefix and receivers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalTracker } from '../../local/runtime.js';
import { call, startTestTracker } from '../support/tracker.js';
import { Receiver, subscribe, type Answer, type Arrival } from './webhooks-receiver.js';

let t: LocalTracker;
const receivers: Receiver[] = [];

beforeAll(async () => {
  t = await startTestTracker({
    // 4 attempts 200 ms apart; a hanging receiver is given up on after 5 s.
    settings: { WEBHOOK_RETRIES: '200ms,200ms,200ms', WEBHOOK_TIMEOUT: '5s' },
  });
});
afterAll(async () => {
  // Receivers first: their connections end, so the worker's sends in flight end at once.
  await Promise.all(receivers.map((r) => r.close()));
  await t?.close();
});

async function receiver(answer?: (arrival: Arrival, copies: number) => Answer): Promise<Receiver> {
  const r = await Receiver.start(answer);
  receivers.push(r);
  return r;
}

async function write(method: string, route: string, body: unknown): Promise<void> {
  const r = await call(t, method, route, body);
  expect(r.status, `${method} ${route} ${JSON.stringify(body)}: ${r.text}`).toBeLessThan(300);
}
const create = (_id: string, fields: Record<string, unknown> = {}) =>
  write('POST', 'create', { _id, ...fields });
const update = (_id: string, fields: Record<string, unknown>) => write('PUT', 'update', { _id, ...fields });
const remove = (_id: string) => write('DELETE', 'delete', _id);

interface ListedHook {
  id: string;
  disabled?: { at: number; reason: string };
}
async function listed(id: string): Promise<ListedHook | undefined> {
  const r = await call(t, 'GET', 'webhooks');
  return (r.json as ListedHook[]).find((h) => h.id === id);
}

interface Failure {
  id: string;
  eventId: string;
  attempts: number;
  lastError: string;
  event: { op: string; _id: string; time: number };
}
async function failures(id: string): Promise<Failure[]> {
  const r = await call(t, 'GET', `webhooks/${id}/failures`);
  expect(r.status).toBe(200);
  return r.json as Failure[];
}

/** Polls the failures list until `count` are there (bounded). */
async function waitForFailures(id: string, count: number, ms = 20_000): Promise<Failure[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const dead = await failures(id);
    if (dead.length >= count) return dead;
    if (Date.now() > deadline)
      throw new Error(`waited ${ms} ms for ${count} failures of ${id}: ${JSON.stringify(dead)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('webhook deliveries', () => {
  it('sends signed, verifiable create/update/delete events under the prefix, nothing outside it', async () => {
    const r = await receiver();
    const hookId = await subscribe(t, r, { prefix: '/wh/in/' });
    await create('/wh/out/a', { v: 1 });
    await create('/wh/in/a', { v: 1 });
    await create('/wh/inside', { v: 1 }); // shares the text '/wh/in' but not the prefix '/wh/in/'
    await update('/wh/in/a', { v: 2 });
    await update('/wh/out/a', { v: 2 });
    await remove('/wh/out/a');
    await remove('/wh/in/a');
    // Up to 4 sends per webhook run at once: events of one round may arrive in any order.
    await r.waitForEvent('create', '/wh/in/a');
    await r.waitForEvent('update', '/wh/in/a');
    await r.waitForEvent('delete', '/wh/in/a');
    // A last change inside, made after all the others: delivered in a later round than any of them.
    await create('/wh/in/z');
    await r.waitForEvent('create', '/wh/in/z');

    expect(r.arrivals.filter((a) => a.verifyError)).toEqual([]);
    expect(r.arrivals).toHaveLength(4);
    expect(r.events()).toEqual(['create /wh/in/a', 'update /wh/in/a', 'delete /wh/in/a', 'create /wh/in/z']);
    const [created, updated, deleted] = r.arrivals
      .map((a) => a.event!)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(created).toEqual({
      id: expect.stringMatching(/^\d{13}-\d{40}$/),
      op: 'create',
      _id: '/wh/in/a',
      time: expect.any(Number),
      node: expect.objectContaining({ _id: '/wh/in/a', v: 1 }),
    });
    expect(updated!.node).toMatchObject({ _id: '/wh/in/a', v: 2 });
    expect(deleted).toMatchObject({ op: 'delete', _id: '/wh/in/a', node: null });
    for (const a of r.arrivals) {
      expect(a.event).not.toHaveProperty('previous');
      expect(a.headers['content-type']).toBe('application/json');
      // webhook-id: msg_<webhook id without wh_>_<event id>
      expect(a.webhookId).toBe(`msg_${hookId.slice(3)}_${a.event!.id}`);
    }
  });

  it('retries a failing receiver with the same webhook-id until it succeeds, then stops', async () => {
    // 500 for the first two copies of each message, then 200.
    const r = await receiver((_arrival, copies) => (copies <= 2 ? 500 : 200));
    const hookId = await subscribe(t, r, { prefix: '/wh/retry/' });
    await create('/wh/retry/a');
    await r.waitFor((all) => all.length >= 3, 'the third copy of create /wh/retry/a');
    const first = r.arrivals[0]!;
    expect(r.arrivals.map((a) => a.webhookId)).toEqual([first.webhookId, first.webhookId, first.webhookId]);
    expect(r.arrivals.map((a) => a.body)).toEqual([first.body, first.body, first.body]);
    expect(r.arrivals.every((a) => a.event?._id === '/wh/retry/a')).toBe(true);

    // A later event, itself retried twice: a 4th copy of the first, due 200 ms after the 3rd, would be here by then.
    await create('/wh/retry/b');
    await r.waitFor(
      (all) => all.filter((a) => a.event?._id === '/wh/retry/b').length === 3,
      'create /wh/retry/b',
    );
    expect(r.copiesOf(first.webhookId)).toBe(3);
    expect(await failures(hookId)).toEqual([]);
  });

  it('disables a webhook whose receiver answers 410: one delivery, then nothing', async () => {
    const gone = await receiver(() => 410);
    const control = await receiver();
    const goneId = await subscribe(t, gone, { prefix: '/wh/gone/' });
    await subscribe(t, control, { prefix: '/wh/gone/' });
    await create('/wh/gone/a');
    await gone.waitForEvent('create', '/wh/gone/a');
    await waitForFailures(goneId, 1);
    expect((await listed(goneId))?.disabled).toEqual({
      at: expect.any(Number),
      reason: expect.stringMatching(/410/),
    });

    // Two later changes, one after the other reached the control receiver: none reaches the 410 one.
    await create('/wh/gone/b');
    await control.waitForEvent('create', '/wh/gone/b');
    await update('/wh/gone/b', { v: 2 });
    await control.waitForEvent('update', '/wh/gone/b');
    expect(gone.events()).toEqual(['create /wh/gone/a']);
    expect(gone.arrivals).toHaveLength(1);
    const dead = await failures(goneId);
    expect(dead.map((f) => [f.event._id, f.attempts, f.lastError])).toEqual([['/wh/gone/a', 1, 'HTTP 410']]);
  });

  it('a hanging receiver does not delay another receiver', async () => {
    const hanging = await receiver(() => 'hang');
    const fast = await receiver();
    await subscribe(t, hanging, { prefix: '/wh/slow/' });
    await subscribe(t, fast, { prefix: '/wh/slow/' });
    await create('/wh/slow/a');
    await hanging.waitForEvent('create', '/wh/slow/a');
    await fast.waitForEvent('create', '/wh/slow/a');
    // While the first request hangs, later events still reach the fast receiver.
    await create('/wh/slow/b');
    await create('/wh/slow/c');
    await fast.waitForEvent('create', '/wh/slow/c');
    await fast.waitForEvent('create', '/wh/slow/b');
    const stuck = hanging.arrivals[0]!;
    const lastFast = Math.max(...fast.arrivals.map((a) => a.seq));
    expect(stuck.abandonedSeq ?? Infinity, 'the hanging request was still open').toBeGreaterThan(lastFast);
    expect(fast.events()).toEqual(['create /wh/slow/a', 'create /wh/slow/b', 'create /wh/slow/c']);
    // The tracker gives up on the hanging request at WEBHOOK_TIMEOUT (and will retry it).
    await hanging.waitFor(() => stuck.abandonedSeq !== undefined, 'the tracker to drop the hanging request');
  });

  it('dead-letters a delivery after the whole retry schedule: listed with attempts and last error', async () => {
    const r = await receiver(() => 500);
    const hookId = await subscribe(t, r, { prefix: '/wh/dead/' });
    await create('/wh/dead/a');
    const [dead] = await waitForFailures(hookId, 1);
    expect(r.arrivals).toHaveLength(4);
    const sent = r.arrivals[0]!;
    expect(new Set(r.arrivals.map((a) => a.webhookId))).toEqual(new Set([sent.webhookId]));
    expect(dead).toEqual({
      id: sent.webhookId,
      eventId: sent.event!.id,
      attempts: 4,
      lastError: 'HTTP 500',
      event: { op: 'create', _id: '/wh/dead/a', time: sent.event!.time },
    });
  });
});
