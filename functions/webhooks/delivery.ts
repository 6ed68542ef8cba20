/**
 * Webhook delivery (DESIGN.md §6): `sendDelivery` POSTs one event, signed per Standard Webhooks,
 * to a receiver the address policy allows, within a total timeout and without following redirects;
 * `DeliveryWorker` claims due deliveries from the queue and sends each on its own, so a slow or
 * failing receiver never delays another (at most `perHook` sends in flight per webhook), then
 * completes, retries on the schedule, dead-letters, or disables the webhook on 410 Gone. It runs
 * as a loop (`start`/`stop`) or one round at a time (`runOnce`, for a scheduled Lambda).
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Webhook as Signer } from 'standardwebhooks';
import type { EventSettings, WebhookAllow } from '../config.js';
import { eventPayload } from '../core/events.js';
import type { Delivery, DeliveryQueue, Webhook, WebhookStore } from '../core/ports.js';
import { nextAttemptAt } from '../core/webhooks.js';
import { checkAddress, checkedLookup } from './address-policy.js';

export const USER_AGENT = 'SyncPlanet-Tracker';
/** What is read of a receiver's answer before the connection is closed (only the status matters). */
const MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_ERROR_LENGTH = 200;
export const GONE_REASON = 'receiver answered 410 Gone';

export interface SendOptions {
  timeoutMs: number;
  allow: WebhookAllow;
  /** ms epoch of the attempt (the `webhook-timestamp`). */
  now: number;
}

export interface SendResult {
  /** The receiver answered 2xx. */
  ok: boolean;
  status?: number;
  /** The receiver answered 410: disable the webhook. */
  gone: boolean;
  /** Why it failed, short (`HTTP 500`, `timeout after 15000 ms`…); never secrets. */
  error?: string;
}

const failure = (error: string): SendResult => ({
  ok: false,
  gone: false,
  error: error.slice(0, MAX_ERROR_LENGTH),
});

function statusResult(status: number): SendResult {
  if (status >= 200 && status < 300) return { ok: true, status, gone: false };
  return { ok: false, status, gone: status === 410, error: `HTTP ${status}` };
}

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

/**
 * The body and headers of one delivery's POST, signed per Standard Webhooks at `now` (ms epoch):
 * what `sendDelivery` sends. Throws when the webhook's secret is not a valid `whsec_` key.
 */
export function signedRequest(hook: Pick<Webhook, 'secret'>, delivery: Delivery, now: number): SignedRequest {
  const body = JSON.stringify(eventPayload(delivery.event));
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'user-agent': USER_AGENT,
    'webhook-id': delivery.id,
    'webhook-timestamp': String(Math.floor(now / 1000)),
    'webhook-signature': new Signer(hook.secret).sign(delivery.id, new Date(now), body),
  };
  return { body, headers };
}

/** Sends one delivery; never throws. */
export async function sendDelivery(
  hook: Webhook,
  delivery: Delivery,
  options: SendOptions,
): Promise<SendResult> {
  const { timeoutMs, allow, now } = options;
  let url: URL;
  try {
    url = new URL(hook.url);
  } catch {
    return failure('invalid webhook url');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return failure(`unsupported protocol ${url.protocol}`);
  // An IP literal is connected to without a lookup: check it here (names are checked by the lookup).
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (net.isIP(host)) {
    const check = checkAddress(host, allow);
    if (!check.allowed) return failure(check.reason);
  }
  let signed: SignedRequest;
  try {
    signed = signedRequest(hook, delivery, now);
  } catch {
    return failure('invalid webhook secret');
  }
  const { body, headers } = signed;
  const transport = url.protocol === 'https:' ? https : http;
  let request: http.ClientRequest;
  try {
    request = transport.request(url, { method: 'POST', headers, agent: false, lookup: checkedLookup(allow) });
  } catch (error) {
    return failure(error instanceof Error ? error.message : String(error));
  }

  return new Promise<SendResult>((resolve) => {
    let status: number | undefined;
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      request.destroy();
      resolve(result);
    };
    const deadline = setTimeout(
      () => finish(status === undefined ? failure(`timeout after ${timeoutMs} ms`) : statusResult(status)),
      timeoutMs,
    );
    request.on('response', (response) => {
      const answered = response.statusCode ?? 0;
      status = answered;
      const done = () => finish(statusResult(answered));
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MAX_RESPONSE_BYTES) done();
      });
      response.on('end', done);
      response.on('close', done);
      response.on('error', done);
    });
    request.on('error', (error) =>
      finish(status === undefined ? failure(error.message || String(error)) : statusResult(status)),
    );
    request.end(body);
  });
}

export interface DeliveryWorkerDeps {
  queue: DeliveryQueue;
  hooks: WebhookStore;
  settings: Pick<EventSettings, 'webhookRetriesMs' | 'webhookTimeoutMs' | 'webhookAllow'>;
  now?: () => number;
  /** How often to look for due deliveries when none were due (ms). */
  pollMs?: number;
  /** Most sends in flight. */
  concurrency?: number;
  /** Most sends in flight to one webhook. */
  perHook?: number;
  log?: (message: string, error?: unknown) => void;
}

/** Lease beyond the send timeout: the time to read the webhook, wait for a slot, and record the outcome. */
export const LEASE_MARGIN_MS = 10_000;
/** Longest a claimed delivery waits for a slot of its webhook; later its lease could end mid-send. */
const MAX_SLOT_WAIT_MS = LEASE_MARGIN_MS / 2;

interface Waiting {
  delivery: Delivery;
  claimedAt: number;
  settle: (handled: boolean) => void;
}

export class DeliveryWorker {
  private readonly queue: DeliveryQueue;
  private readonly hooks: WebhookStore;
  private readonly settings: DeliveryWorkerDeps['settings'];
  private readonly now: () => number;
  private readonly pollMs: number;
  private readonly concurrency: number;
  private readonly perHook: number;
  private readonly log: (message: string, error?: unknown) => void;

  private readonly inFlight = new Set<Promise<void>>();
  /** Sends in flight per webhook id. */
  private readonly busy = new Map<string, number>();
  /** Claimed deliveries waiting for a slot of their webhook, per webhook id. */
  private readonly waiting = new Map<string, Waiting[]>();
  private running = false;
  private loop: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  /** The loop is waiting for a free slot (a finished send wakes it). */
  private wantsSlot = false;
  private sleepTimer: ReturnType<typeof setTimeout> | undefined;
  private wake: (() => void) | undefined;

  constructor(deps: DeliveryWorkerDeps) {
    this.queue = deps.queue;
    this.hooks = deps.hooks;
    this.settings = deps.settings;
    this.now = deps.now ?? Date.now;
    this.pollMs = deps.pollMs ?? 1000;
    this.concurrency = Math.max(1, deps.concurrency ?? 16);
    this.perHook = Math.max(1, deps.perHook ?? 4);
    this.log = deps.log ?? ((message, error) => console.error(message, error ?? ''));
  }

  private get leaseMs(): number {
    return this.settings.webhookTimeoutMs + LEASE_MARGIN_MS;
  }

  /** Starts claiming and sending in the background until `stop`. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops claiming and waits for the sends in flight (each ends by its timeout); leaves no timers. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown().finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  /** Deliveries were just queued: the loop claims now instead of at its next poll. */
  nudge(): void {
    this.wake?.();
  }

  /**
   * Claims the deliveries due now (as many as there are free slots) and handles them: sent, or
   * dead-lettered when their webhook is gone. Resolves when they are done, with how many it handled
   * (a delivery that waited too long for a slot of its webhook is left for a later claim).
   */
  async runOnce(): Promise<number> {
    const handled = await Promise.all(await this.claim());
    return handled.filter(Boolean).length;
  }

  private async shutdown(): Promise<void> {
    this.running = false;
    this.wake?.();
    const loop = this.loop;
    this.loop = undefined;
    await loop;
    for (const list of this.waiting.values()) for (const item of list) item.settle(false);
    this.waiting.clear();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async run(): Promise<void> {
    while (this.running) {
      let more = false;
      try {
        const before = this.freeSlots();
        const claimed = (await this.claim()).length;
        more = before > 0 && claimed === before;
        this.wantsSlot = before <= 0 || more;
      } catch (error) {
        this.log('claiming webhook deliveries failed', error);
        this.wantsSlot = false;
      }
      if (this.running && !more) await this.sleep(this.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = () => {
        clearTimeout(this.sleepTimer);
        this.sleepTimer = undefined;
        this.wake = undefined;
        resolve();
      };
      this.sleepTimer = setTimeout(this.wake, ms);
    });
  }

  private freeSlots(): number {
    this.dropExpired();
    return this.concurrency - this.inFlight.size;
  }

  /** Claims due deliveries for the free slots; one promise per delivery: handled, or left. */
  private async claim(): Promise<Promise<boolean>[]> {
    const free = this.freeSlots();
    if (free <= 0) return [];
    const now = this.now();
    const claimed = await this.queue.claimDue(now, free, this.leaseMs);
    return claimed.map((delivery) => this.dispatch(delivery, now));
  }

  /**
   * Sends a claimed delivery if its webhook has a free slot, else keeps it waiting (up to `perHook`
   * per webhook) or gives it back, due again after one poll: a busy webhook's backlog never holds
   * the slots other webhooks need, nor sits leased while its webhook has room again.
   */
  private dispatch(delivery: Delivery, claimedAt: number): Promise<boolean> {
    return new Promise((settle) => {
      const item = { delivery, claimedAt, settle };
      const list = this.waiting.get(delivery.webhookId) ?? [];
      if ((this.busy.get(delivery.webhookId) ?? 0) < this.perHook) this.begin(item);
      else if (list.length < this.perHook && !this.stopping) {
        list.push(item);
        this.waiting.set(delivery.webhookId, list);
      } else {
        const { id, attempt, lastError } = delivery;
        this.queue
          .retry(id, attempt, this.now() + this.pollMs, lastError ?? '')
          .catch((error: unknown) => this.log(`webhook delivery ${id} not given back`, error))
          .finally(() => settle(false));
      }
    });
  }

  private begin({ delivery, settle }: Waiting): void {
    const hookId = delivery.webhookId;
    this.busy.set(hookId, (this.busy.get(hookId) ?? 0) + 1);
    const task: Promise<void> = this.handle(delivery)
      .catch((error: unknown) => this.log(`webhook delivery ${delivery.id} failed`, error))
      .finally(() => {
        this.inFlight.delete(task);
        const left = (this.busy.get(hookId) ?? 1) - 1;
        if (left > 0) this.busy.set(hookId, left);
        else this.busy.delete(hookId);
        settle(true);
        this.next(hookId);
        if (this.wantsSlot) this.wake?.();
      });
    this.inFlight.add(task);
  }

  /** Starts the next delivery waiting for a slot of this webhook, if its lease leaves time. */
  private next(hookId: string): void {
    this.dropExpired();
    const list = this.waiting.get(hookId);
    const item = list?.shift();
    if (!item) return;
    if (list!.length === 0) this.waiting.delete(hookId);
    if (this.stopping) item.settle(false);
    else this.begin(item);
  }

  /** Leaves waiting deliveries whose lease is too short for a send; they are claimed again later. */
  private dropExpired(): void {
    const oldest = this.now() - MAX_SLOT_WAIT_MS;
    for (const [hookId, list] of this.waiting) {
      const kept: Waiting[] = [];
      for (const item of list) {
        if (item.claimedAt >= oldest) kept.push(item);
        else item.settle(false);
      }
      if (kept.length > 0) this.waiting.set(hookId, kept);
      else this.waiting.delete(hookId);
    }
  }

  private async handle(delivery: Delivery): Promise<void> {
    const { id, webhookId } = delivery;
    const hook = await this.hooks.get(webhookId);
    if (!hook || hook.disabled) {
      const reason = hook?.disabled ? `webhook disabled: ${hook.disabled.reason}` : 'webhook deleted';
      await this.queue.deadLetter(id, delivery.attempt, reason, this.now());
      return;
    }
    const { webhookTimeoutMs: timeoutMs, webhookAllow: allow, webhookRetriesMs } = this.settings;
    const result = await sendDelivery(hook, delivery, { timeoutMs, allow, now: this.now() });
    const attempt = delivery.attempt + 1;
    const at = this.now();
    if (result.ok) {
      await this.queue.complete(id, at);
    } else if (result.gone) {
      await this.hooks.disable(hook.id, GONE_REASON, at);
      this.log(`webhook ${hook.id} disabled: ${GONE_REASON}`);
      await this.queue.deadLetter(id, attempt, `HTTP ${result.status}`, at);
    } else {
      const error = result.error ?? 'failed';
      const dueAt = nextAttemptAt(attempt, webhookRetriesMs, at);
      if (dueAt !== undefined) {
        await this.queue.retry(id, attempt, dueAt, error);
      } else {
        await this.queue.deadLetter(id, attempt, error, at);
        this.log(`webhook delivery ${id} dead-lettered after ${attempt} attempts: ${error}`);
      }
    }
  }
}
