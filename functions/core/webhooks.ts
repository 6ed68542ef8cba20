/**
 * Webhooks (DESIGN.md §6), the pure part: the subscription body and its URL rules, ids and
 * secrets (Standard Webhooks: `whsec_<base64>`), which deliveries an event makes, and the retry
 * schedule. Address checks and sending live in functions/webhooks/ (they need the network).
 */
import { z } from 'zod';
import { badRequest } from './errors.js';
import {
  compileFilter,
  EventFilterFields,
  eventPayload,
  type ChangeEvent,
  type EventMatcher,
} from './events.js';
import type { Delivery, Webhook } from './ports.js';

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** POST body creating a webhook: the receiver's URL and an optional filter. Unknown keys are refused. */
export const NewWebhookBody = EventFilterFields.extend({
  url: z.string().min(1).max(MAX_WEBHOOK_URL_LENGTH),
}).strict();
export type NewWebhookBody = z.infer<typeof NewWebhookBody>;

/** A receiver URL: absolute http(s), with a host, without credentials, at most 2048 characters. */
export function parseWebhookUrl(text: string): URL {
  if (typeof text !== 'string' || text.length === 0) throw badRequest('webhook url: required');
  if (text.length > MAX_WEBHOOK_URL_LENGTH) {
    throw badRequest(`webhook url: longer than ${MAX_WEBHOOK_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badRequest(`webhook url: '${text.slice(0, 100)}' is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw badRequest(`webhook url: must be http or https, not ${url.protocol.slice(0, -1)}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw badRequest('webhook url: must not contain a username or password');
  }
  if (url.hostname === '') throw badRequest('webhook url: has no host');
  if (url.href.length > MAX_WEBHOOK_URL_LENGTH) {
    throw badRequest(`webhook url: longer than ${MAX_WEBHOOK_URL_LENGTH} characters once normalised`);
  }
  return url;
}

function randomBytes(count: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(count));
}

/** `wh_` + 24 lowercase hex characters (96 random bits). */
export function newWebhookId(): string {
  return `wh_${Array.from(randomBytes(12), (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** `whsec_` + standard base64 (with padding) of 32 random bytes, as standardwebhooks decodes it. */
export function newWebhookSecret(): string {
  return `whsec_${btoa(String.fromCharCode(...randomBytes(32)))}`;
}

/**
 * The `webhook-id` of an event sent to a webhook, the same on every retry:
 * `msg_<webhook id without wh_>_<event id>` (hex, digits, `-` and `_`: safe in a header).
 */
export function deliveryId(webhookId: string, eventId: string): string {
  return `msg_${webhookId.startsWith('wh_') ? webhookId.slice(3) : webhookId}_${eventId}`;
}

/** Compiled filters, kept while the same hook objects are passed (one list for a batch of events). */
const matchers = new WeakMap<Webhook, EventMatcher | null>();

function matcherOf(hook: Webhook): EventMatcher | null {
  let matcher = matchers.get(hook);
  if (matcher === undefined) {
    try {
      matcher = compileFilter(hook.filter);
    } catch {
      matcher = null; // checked when the hook was created; a filter that no longer compiles gets nothing
    }
    matchers.set(hook, matcher);
  }
  return matcher;
}

/**
 * The pending deliveries (attempt 0, due `now`) of an event to every enabled hook whose filter
 * matches it. The queued event has no old image: filtering is done, receivers never see it.
 */
export function deliveriesFor(event: ChangeEvent, hooks: readonly Webhook[], now: number): Delivery[] {
  const deliveries: Delivery[] = [];
  for (const hook of hooks) {
    if (hook.disabled) continue;
    const matches = matcherOf(hook);
    if (!matches?.(event)) continue;
    deliveries.push({
      id: deliveryId(hook.id, event.id),
      webhookId: hook.id,
      event: eventPayload(event),
      attempt: 0,
      dueAt: now,
      state: 'pending',
    });
  }
  return deliveries;
}

/**
 * When to try again after failed attempt number `attempt` (1-based): `now` plus the attempt's delay
 * in `retriesMs`, or undefined when the schedule is exhausted (dead letter). The default schedule's
 * 9 delays make 10 attempts over about 3 days.
 */
export function nextAttemptAt(
  attempt: number,
  retriesMs: readonly number[],
  now: number,
): number | undefined {
  if (!Number.isInteger(attempt) || attempt < 1)
    throw new RangeError(`attempt must be 1 or more, not ${attempt}`);
  const delay = retriesMs[attempt - 1];
  return delay === undefined ? undefined : now + delay;
}
