/** Webhook subscriptions (admins): create (the secret is shown once), list, delete, dead letters. */
import { compileFilter } from '../events.js';
import { notFound, unavailable } from '../errors.js';
import type { DeliveryQueue, Webhook, WebhookStore } from '../ports.js';
import { parseBodyWith } from '../schemas.js';
import { NewWebhookBody, newWebhookId, newWebhookSecret, parseWebhookUrl } from '../webhooks.js';
import type { OpContext, OpResult } from './context.js';

/** What the webhook operations need besides the node store. */
export interface WebhookAdmin {
  hooks: WebhookStore;
  queue: DeliveryQueue;
  /** Refuses a receiver the address policy forbids (resolving its host name): a 400. */
  checkUrl(url: URL): Promise<void>;
}

function admin(ctx: OpContext): WebhookAdmin {
  if (!ctx.webhooks) throw unavailable('webhooks are not configured on this tracker');
  return ctx.webhooks;
}

const withoutSecret = ({ secret: _secret, ...hook }: Webhook) => hook;

export async function createWebhook(ctx: OpContext, body: unknown): Promise<OpResult> {
  const { hooks, checkUrl } = admin(ctx);
  const { url: text, ...filter } = parseBodyWith(NewWebhookBody, body, 'webhook');
  const url = parseWebhookUrl(text);
  compileFilter(filter);
  await checkUrl(url);
  const hook: Webhook = {
    id: newWebhookId(),
    url: url.href,
    secret: newWebhookSecret(),
    filter,
    createdAt: ctx.now(),
    createdBy: ctx.caller.username,
  };
  await hooks.put(hook);
  return { status: 201, body: hook };
}

export async function listWebhooks(ctx: OpContext): Promise<OpResult> {
  return { status: 200, body: (await admin(ctx).hooks.list()).map(withoutSecret) };
}

export async function deleteWebhook(ctx: OpContext, id: string): Promise<OpResult> {
  if (!(await admin(ctx).hooks.delete(id))) throw notFound(`webhook ${id} does not exist`);
  return { status: 200, body: id };
}

/** Deliveries given up on after the whole retry schedule (or sent to a disabled webhook). */
export async function webhookFailures(ctx: OpContext, id: string): Promise<OpResult> {
  const { hooks, queue } = admin(ctx);
  if (!(await hooks.get(id))) throw notFound(`webhook ${id} does not exist`);
  const failures = await queue.failures(id);
  return {
    status: 200,
    body: failures.map(({ id: deliveryId, event, attempt, lastError }) => ({
      id: deliveryId,
      eventId: event.id,
      attempts: attempt,
      lastError,
      event: { op: event.op, _id: event._id, time: event.time },
    })),
  };
}
