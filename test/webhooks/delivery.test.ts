/**
 * Webhook delivery against real receivers (node:http servers on 127.0.0.1, WEBHOOK_ALLOW=loopback)
 * with an in-memory queue and webhook store: signatures, retries with a stable webhook-id, 410,
 * timeouts, the address policy, isolation of slow receivers, and stopping.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook as Signer } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { eventId, eventPayload, type ChangeEvent } from '../../functions/core/events.js';
import type { Delivery, DeliveryQueue, Webhook, WebhookStore } from '../../functions/core/ports.js';
import { deliveriesFor, newWebhookId, newWebhookSecret } from '../../functions/core/webhooks.js';
import {
  DeliveryWorker,
  sendDelivery,
  USER_AGENT,
  type DeliveryWorkerDeps,
} from '../../functions/webhooks/delivery.js';

// ---- in-memory ports -------------------------------------------------------------------------

class MemoryQueue implements DeliveryQueue {
  readonly items = new Map<string, Delivery>();
  async enqueue(deliveries: readonly Delivery[]) {
    for (const d of deliveries) if (!this.items.has(d.id)) this.items.set(d.id, structuredClone(d));
  }
  async claimDue(now: number, limit: number, leaseMs: number) {
    const due = [...this.items.values()]
      .filter((d) => d.state === 'pending' && d.dueAt <= now)
      .sort((a, b) => a.dueAt - b.dueAt)
      .slice(0, limit);
    for (const d of due) d.dueAt = now + Math.max(1, leaseMs); // the lease
    return due.map((d) => structuredClone(d));
  }
  private pending(id: string) {
    const d = this.items.get(id);
    return d?.state === 'pending' ? d : undefined;
  }
  async complete(id: string) {
    const d = this.pending(id);
    if (d) d.state = 'done';
  }
  async retry(id: string, attempt: number, dueAt: number, error: string) {
    const d = this.pending(id);
    if (d) Object.assign(d, { attempt, dueAt, lastError: error });
  }
  async deadLetter(id: string, attempt: number, error: string) {
    const d = this.pending(id);
    if (d) Object.assign(d, { attempt, lastError: error, state: 'dead' });
  }
  async failures(webhookId: string) {
    return [...this.items.values()]
      .filter((d) => d.webhookId === webhookId && d.state === 'dead')
      .sort((a, b) => a.event.id.localeCompare(b.event.id));
  }
}

class MemoryHooks implements WebhookStore {
  readonly hooks = new Map<string, Webhook>();
  async put(hook: Webhook) {
    this.hooks.set(hook.id, structuredClone(hook));
  }
  async get(id: string) {
    const hook = this.hooks.get(id);
    return hook && structuredClone(hook);
  }
  async list() {
    return [...this.hooks.values()].map((hook) => structuredClone(hook));
  }
  async delete(id: string) {
    return this.hooks.delete(id);
  }
  async disable(id: string, reason: string, at: number) {
    const hook = this.hooks.get(id);
    if (hook) hook.disabled = { at, reason };
  }
}

// ---- receivers -------------------------------------------------------------------------------

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The payload standardwebhooks verified, or the verification error. */
  verified: unknown;
}

type Respond = (n: number, res: http.ServerResponse) => void;

const servers: http.Server[] = [];
/** What happened, in order, across receivers (`<name> received`, `<name> closed`). */
let timeline: string[] = [];
const logs: string[] = [];

interface Receiver {
  name: string;
  url: string;
  secret: string;
  received: Received[];
  open: number;
  maxOpen: number;
}

async function receiver(name: string, respond: Respond): Promise<Receiver> {
  const r: Receiver = { name, url: '', secret: newWebhookSecret(), received: [], open: 0, maxOpen: 0 };
  const server = http.createServer((req, res) => {
    r.open++;
    r.maxOpen = Math.max(r.maxOpen, r.open);
    req.socket.on('close', () => {
      r.open--;
      timeline.push(`${name} closed`);
    });
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      let verified: unknown;
      try {
        verified = new Signer(r.secret).verify(body, req.headers as Record<string, string>);
      } catch (error) {
        verified = error;
      }
      r.received.push({ headers: req.headers, body, verified });
      timeline.push(`${name} received`);
      respond(r.received.length, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/${name}`;
  return r;
}

const answer = (status: number) => (_n: number, res: http.ServerResponse) => res.writeHead(status).end('{}');
const hang: Respond = () => {};

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  timeline = [];
  // Logs never carry secrets or signatures.
  for (const line of logs.splice(0)) expect(line).not.toMatch(/whsec_|v1,/);
});

// ---- fixtures --------------------------------------------------------------------------------

let sequence = 0;
function change(path = '/shots/s01/a.exr'): ChangeEvent {
  const time = Date.now();
  return {
    id: eventId(time, String(++sequence)),
    op: 'update',
    _id: path,
    time,
    node: { _id: path, type: 'frame', sites: { paris: 'ok' } },
    previous: { _id: path, type: 'draft' },
  };
}

async function setup(
  receivers: Receiver[],
  settings: Partial<DeliveryWorkerDeps['settings']> = {},
  more = {},
) {
  const queue = new MemoryQueue();
  const hooks = new MemoryHooks();
  const byName = new Map<string, Webhook>();
  for (const r of receivers) {
    const hook: Webhook = {
      id: newWebhookId(),
      url: r.url,
      secret: r.secret,
      filter: {},
      createdAt: Date.now(),
      createdBy: 'admin',
    };
    await hooks.put(hook);
    byName.set(r.name, hook);
  }
  const worker = new DeliveryWorker({
    queue,
    hooks,
    settings: { webhookRetriesMs: [5, 5, 5], webhookTimeoutMs: 5000, webhookAllow: 'loopback', ...settings },
    pollMs: 5,
    log: (message, error) =>
      logs.push(`${message} ${error instanceof Error ? error.stack : String(error ?? '')}`),
    ...more,
  });
  /** Queues an event for the given receivers' hooks (all when none are named). */
  const publish = async (event: ChangeEvent, ...names: string[]) => {
    const targets = names.length ? names.map((n) => byName.get(n)!) : [...byName.values()];
    const deliveries = deliveriesFor(event, targets, Date.now());
    await queue.enqueue(deliveries);
    return deliveries;
  };
  return { queue, hooks, worker, publish, hook: (name: string) => byName.get(name)! };
}

async function until(condition: () => boolean, what: string) {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

/** Records the timers set from now on; `pending()` counts those neither fired nor cleared. */
function trackTimers() {
  const original = globalThis.setTimeout;
  const created: NodeJS.Timeout[] = [];
  const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((
    ...args: Parameters<typeof original>
  ) => {
    const timer = original(...args);
    created.push(timer);
    return timer;
  }) as typeof original);
  return {
    pending: () =>
      created.filter((timer) => !(timer as unknown as { _destroyed: boolean })._destroyed).length,
    created: () => created.length,
    restore: () => spy.mockRestore(),
  };
}

// ---- tests -----------------------------------------------------------------------------------

describe('sendDelivery', () => {
  it('POSTs the event signed per Standard Webhooks', async () => {
    const r = await receiver('a', answer(204));
    const { hook, publish } = await setup([r]);
    const event = change();
    const [delivery] = await publish(event);
    const now = Date.now();
    const result = await sendDelivery(hook('a'), delivery!, { timeoutMs: 5000, allow: 'loopback', now });
    expect(result).toEqual({ ok: true, status: 204, gone: false });
    const [got] = r.received;
    expect(got!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': delivery!.id,
      'webhook-timestamp': String(Math.floor(now / 1000)),
      'webhook-signature': expect.stringMatching(/^v1,[A-Za-z0-9+/]+=*$/),
    });
    expect(got!.verified).toEqual(JSON.parse(JSON.stringify(eventPayload(event))));
    expect(JSON.parse(got!.body)).not.toHaveProperty('previous');
  });

  it('maps answers and network errors to outcomes', async () => {
    const statuses = [500, 410, 302, 200];
    const r = await receiver('a', (n, res) =>
      res.writeHead(statuses[n - 1]!, { location: 'http://127.0.0.1:1/' }).end(),
    );
    const { hook, publish } = await setup([r]);
    const [delivery] = await publish(change());
    const send = (h: Webhook = hook('a')) =>
      sendDelivery(h, delivery!, { timeoutMs: 5000, allow: 'loopback', now: Date.now() });
    expect(await send()).toEqual({ ok: false, status: 500, gone: false, error: 'HTTP 500' });
    expect(await send()).toEqual({ ok: false, status: 410, gone: true, error: 'HTTP 410' });
    expect(await send()).toEqual({ ok: false, status: 302, gone: false, error: 'HTTP 302' }); // not followed
    expect(await send()).toEqual({ ok: true, status: 200, gone: false });
    expect(r.received).toHaveLength(4);
    const closed = await send({ ...hook('a'), url: 'http://127.0.0.1:1/' });
    expect(closed).toMatchObject({ ok: false, gone: false, error: expect.stringMatching(/ECONNREFUSED/) });
  });
});

describe('DeliveryWorker', () => {
  it('delivers, then completes the delivery', async () => {
    const r = await receiver('a', answer(200));
    const { queue, worker, publish } = await setup([r]);
    const [delivery] = await publish(change());
    expect(await worker.runOnce()).toBe(1);
    expect(queue.items.get(delivery!.id)).toMatchObject({ state: 'done' });
    expect(r.received.map((x) => x.headers['webhook-id'])).toEqual([delivery!.id]);
    expect(await worker.runOnce()).toBe(0);
  });

  it('retries a failing receiver with the same webhook-id until it succeeds, then sends nothing more', async () => {
    const r = await receiver('a', (n, res) => res.writeHead(n <= 2 ? 500 : 200).end());
    const { queue, worker, publish } = await setup([r]);
    const [delivery] = await publish(change());
    worker.start();
    await until(() => queue.items.get(delivery!.id)!.state === 'done', 'the delivery to complete');
    await worker.stop();
    await new Promise((resolve) => setTimeout(resolve, 30)); // past every retry delay
    expect(await worker.runOnce()).toBe(0);
    expect(r.received).toHaveLength(3);
    expect(new Set(r.received.map((x) => x.headers['webhook-id']))).toEqual(new Set([delivery!.id]));
    for (const got of r.received) expect(got.verified).toMatchObject({ id: delivery!.event.id });
    expect(queue.items.get(delivery!.id)).toMatchObject({ attempt: 2, lastError: 'HTTP 500', state: 'done' });
  });

  it('dead-letters a delivery when the schedule is exhausted', async () => {
    const r = await receiver('a', answer(503));
    const { queue, worker, publish } = await setup([r], { webhookRetriesMs: [1] });
    const [delivery] = await publish(change());
    await worker.runOnce();
    expect(queue.items.get(delivery!.id)).toMatchObject({
      state: 'pending',
      attempt: 1,
      lastError: 'HTTP 503',
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await worker.runOnce();
    expect(await queue.failures(delivery!.webhookId)).toEqual([
      expect.objectContaining({ id: delivery!.id, attempt: 2, lastError: 'HTTP 503', state: 'dead' }),
    ]);
    expect(
      logs.some((line) => line.includes(`${delivery!.id} dead-lettered after 2 attempts: HTTP 503`)),
    ).toBe(true);
    expect(r.received).toHaveLength(2);
  });

  it('disables a webhook whose receiver answers 410, and sends it nothing more', async () => {
    const r = await receiver('a', answer(410));
    const { queue, hooks, worker, publish, hook } = await setup([r]);
    const [first] = await publish(change());
    expect(await worker.runOnce()).toBe(1);
    expect((await hooks.get(hook('a').id))!.disabled).toEqual({
      at: expect.any(Number),
      reason: 'receiver answered 410 Gone',
    });
    expect(queue.items.get(first!.id)).toMatchObject({ state: 'dead', attempt: 1, lastError: 'HTTP 410' });
    // Queued before the fan-out saw it disabled: dead-lettered without sending.
    const [second] = await publish(change());
    expect(await worker.runOnce()).toBe(1);
    expect(queue.items.get(second!.id)).toMatchObject({
      state: 'dead',
      attempt: 0,
      lastError: expect.stringMatching(/disabled/),
    });
    expect(r.received).toHaveLength(1);
  });

  it('dead-letters the deliveries of a deleted webhook without sending', async () => {
    const r = await receiver('a', answer(200));
    const { queue, hooks, worker, publish, hook } = await setup([r]);
    const [delivery] = await publish(change());
    await hooks.delete(hook('a').id);
    await worker.runOnce();
    expect(queue.items.get(delivery!.id)).toMatchObject({ state: 'dead', lastError: 'webhook deleted' });
    expect(r.received).toHaveLength(0);
  });

  it('retries after a timeout, the connection closed at the deadline', async () => {
    const r = await receiver('slow', hang);
    const { queue, worker, publish } = await setup([r], {
      webhookTimeoutMs: 200,
      webhookRetriesMs: [60_000],
    });
    const [delivery] = await publish(change());
    const before = Date.now();
    await worker.runOnce();
    expect(queue.items.get(delivery!.id)).toMatchObject({
      state: 'pending',
      attempt: 1,
      lastError: 'timeout after 200 ms',
    });
    expect(queue.items.get(delivery!.id)!.dueAt).toBeGreaterThanOrEqual(before + 60_000);
    await until(() => timeline.includes('slow closed'), 'the receiver to see the connection closed');
    expect(r.received).toHaveLength(1);
  });

  it('refuses loopback receivers under WEBHOOK_ALLOW=public: a failed attempt, nothing sent', async () => {
    const byAddress = await receiver('a', answer(200));
    const byName = await receiver('b', answer(200));
    byName.url = byName.url.replace('127.0.0.1', 'localhost');
    const { queue, worker, publish } = await setup([byAddress, byName], { webhookAllow: 'public' });
    const [a, b] = await publish(change());
    expect(await worker.runOnce()).toBe(2);
    expect(queue.items.get(a!.id)).toMatchObject({
      state: 'pending',
      attempt: 1,
      lastError: '127.0.0.1 is a loopback address, refused by WEBHOOK_ALLOW=public',
    });
    expect(queue.items.get(b!.id)).toMatchObject({
      state: 'pending',
      attempt: 1,
      lastError: expect.stringMatching(
        /^localhost resolves to .* loopback address, refused by WEBHOOK_ALLOW=public$/,
      ),
    });
    expect(byAddress.received).toHaveLength(0);
    expect(byName.received).toHaveLength(0);
  });

  it('reaches a receiver by host name through the checked lookup', async () => {
    const r = await receiver('a', answer(200));
    r.url = r.url.replace('127.0.0.1', 'localhost');
    const { queue, worker, publish } = await setup([r]);
    const [delivery] = await publish(change());
    await worker.runOnce();
    expect(queue.items.get(delivery!.id)).toMatchObject({ state: 'done' });
  });

  it('never lets a hanging receiver delay another, and keeps at most perHook sends in flight per webhook', async () => {
    const slow = await receiver('slow', hang);
    const fast = await receiver('fast', answer(200));
    const { queue, worker, publish } = await setup(
      [slow, fast],
      { webhookTimeoutMs: 1500, webhookRetriesMs: [60_000] },
      { perHook: 2, concurrency: 4 },
    );
    // The slow receiver's backlog is queued (and due) first, more of it than the worker has slots.
    const slowOnes: Delivery[] = [];
    for (let i = 0; i < 6; i++) slowOnes.push(...(await publish(change(), 'slow')));
    const [fastOne] = await publish(change(), 'fast');
    worker.start();
    await until(() => queue.items.get(fastOne!.id)!.state === 'done', 'the fast delivery');
    // Two sent at once; two more wait for them; the rest is given back, claimed again when there is room.
    const attempted = () => slowOnes.filter((d) => queue.items.get(d.id)!.attempt === 1);
    await until(() => attempted().length === 4, 'four slow attempts to time out');
    await worker.stop();
    // The fast receiver got its delivery while the slow one was still hanging.
    expect(timeline.indexOf('fast received')).toBeGreaterThanOrEqual(0);
    expect(timeline.indexOf('slow closed')).toBeGreaterThan(timeline.indexOf('fast received'));
    expect(slow.maxOpen).toBe(2);
    expect(slow.received.length).toBeGreaterThanOrEqual(4);
    for (const d of attempted()) expect(queue.items.get(d.id)!.lastError).toBe('timeout after 1500 ms');
  });

  it('sends a backlog bigger than a claim to one webhook without waiting for leases to end', async () => {
    const r = await receiver('one', answer(200));
    // A long timeout makes long leases: a delivery left leased would wait far beyond the test's wait.
    const { queue, worker, publish } = await setup(
      [r],
      { webhookTimeoutMs: 120_000, webhookRetriesMs: [60_000] },
      {
        perHook: 2,
        concurrency: 8,
      },
    );
    const all: Delivery[] = [];
    for (let i = 0; i < 30; i++) all.push(...(await publish(change())));
    worker.start();
    await until(() => all.every((d) => queue.items.get(d.id)!.state === 'done'), 'all 30 deliveries');
    await worker.stop();
    expect(new Set(r.received.map((x) => x.headers['webhook-id'])).size).toBe(30);
    expect(r.maxOpen).toBeLessThanOrEqual(2);
  });

  it('stop() waits for sends in flight, can be called twice, and leaves no timers', async () => {
    const r = await receiver('slow', hang);
    const { queue, worker, publish } = await setup([r], {
      webhookTimeoutMs: 300,
      webhookRetriesMs: [60_000],
    });
    const timers = trackTimers();
    try {
      const [delivery] = await publish(change());
      worker.start();
      await until(() => r.received.length === 1, 'the receiver to get the delivery');
      await Promise.all([worker.stop(), worker.stop()]);
      expect(queue.items.get(delivery!.id)).toMatchObject({ attempt: 1, lastError: 'timeout after 300 ms' });
      await worker.stop();
      // An idle worker stops at once, not after its poll interval.
      const idle = new DeliveryWorker({
        queue,
        hooks: new MemoryHooks(),
        settings: { webhookRetriesMs: [], webhookTimeoutMs: 1000, webhookAllow: 'loopback' },
        pollMs: 3_600_000,
      });
      idle.start();
      await new Promise((resolve) => setTimeout(resolve, 10));
      await idle.stop();
      expect(timers.created()).toBeGreaterThan(2);
      expect(timers.pending()).toBe(0);
    } finally {
      timers.restore();
    }
  });
});
