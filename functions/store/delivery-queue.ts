/**
 * The DynamoDB implementation of the DeliveryQueue port: the durable queue of webhook deliveries,
 * one item per delivery (`pk` = delivery id, so an event reaches a webhook through one item only).
 * Sparse index keys: `dueShard` (`due#<hash shard 0-3>`, only while pending) puts due deliveries in
 * byDue sorted by `dueAt`; `deadFor` (the webhook id, only when dead) lists failures in byDeadHook.
 * Claiming is a conditional update that pushes `dueAt` to the lease end: an expired lease is simply
 * due again. Done and dead items stay (`expiresAt`) until the event log forgets their event.
 */
import {
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Delivery, DeliveryQueue } from '../core/ports.js';
import { eventAttribute, shardOf, SHARDS, toChangeEvent } from './event-log.js';
import { CAPACITY } from './requests.js';
import { RequestRunner, type CapacityCounter } from './runner.js';

const dueShard = (id: string) => `due#${shardOf(id)}`;
const DUE_SHARDS = Array.from({ length: SHARDS }, (_, shard) => `due#${shard}`);
const STATE = { '#state': 'state' };

function fromItem(item: Record<string, unknown>): Delivery {
  const stored = item.event as Record<string, unknown>;
  const delivery: Delivery = {
    id: item.pk as string,
    webhookId: item.webhookId as string,
    event: toChangeEvent(stored.id as string, stored),
    attempt: item.attempt as number,
    dueAt: item.dueAt as number,
    state: item.state as Delivery['state'],
  };
  if (item.lastError !== undefined) delivery.lastError = item.lastError as string;
  return delivery;
}

export class DynamoDeliveryQueue implements DeliveryQueue {
  private readonly runner = new RequestRunner();
  readonly consumed: CapacityCounter = this.runner.consumed;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    /** How long done and dead deliveries are kept: the event retention. */
    private readonly keepMs: number,
  ) {}

  private expiry = (now: number) => Math.ceil((now + this.keepMs) / 1000);

  async enqueue(deliveries: readonly Delivery[]): Promise<void> {
    await Promise.all(deliveries.map((delivery) => this.putNew(delivery)));
  }

  /** Writes a delivery unless its id was ever queued (pending, done or dead): never sent twice. */
  private async putNew({ id, webhookId, event, attempt, dueAt, state, lastError }: Delivery): Promise<void> {
    const Item = {
      pk: id,
      webhookId,
      event: { id: event.id, ...eventAttribute(event) },
      attempt,
      dueAt,
      state,
      lastError,
      ...(state === 'pending' && { dueShard: dueShard(id) }),
      ...(state === 'dead' && { deadFor: webhookId }),
      ...(state !== 'pending' && { expiresAt: this.expiry(event.time) }),
    };
    await this.runner.putNew(this.db, this.table, Item); // one ever queued stays as it is
  }

  /**
   * byDue is a GSI, so eventually consistent: a candidate may already be claimed, completed or
   * retried for later. The conditional update (still pending and due) is what makes a claim safe;
   * of concurrent claimers exactly one succeeds. Candidates that lose are replaced by later ones.
   */
  async claimDue(now: number, limit: number, leaseMs: number): Promise<Delivery[]> {
    if (limit <= 0) return [];
    // A lease must end after `now`, or a second claimer at the same `now` would also succeed.
    const leaseEnd = now + Math.max(1, leaseMs);
    const found = await Promise.all(DUE_SHARDS.map((shard) => this.due(shard, now, limit)));
    const candidates = found.flat().sort((a, b) => a.dueAt - b.dueAt);
    const claimed: Delivery[] = [];
    for (let at = 0; claimed.length < limit && at < candidates.length;) {
      const batch = candidates.slice(at, at + limit - claimed.length);
      at += batch.length;
      const won = await Promise.all(batch.map(({ pk }) => this.claim(pk, now, leaseEnd)));
      for (const delivery of won) if (delivery) claimed.push(delivery);
    }
    return claimed;
  }

  private async due(shard: string, now: number, limit: number): Promise<{ pk: string; dueAt: number }[]> {
    const out = await this.runner.read(() =>
      this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: 'byDue',
          KeyConditionExpression: 'dueShard = :s AND dueAt <= :now',
          ExpressionAttributeValues: { ':s': shard, ':now': now },
          ProjectionExpression: 'pk, dueAt',
          Limit: limit,
          ...CAPACITY,
        }),
      ),
    );
    return (out.Items ?? []) as { pk: string; dueAt: number }[];
  }

  private async claim(id: string, now: number, leaseEnd: number): Promise<Delivery | undefined> {
    const out = await this.updateIf({
      Key: { pk: id },
      UpdateExpression: 'SET dueAt = :lease',
      ConditionExpression: '#state = :pending AND dueAt <= :now',
      ExpressionAttributeNames: STATE,
      ExpressionAttributeValues: { ':lease': leaseEnd, ':pending': 'pending', ':now': now },
      ReturnValues: 'ALL_NEW',
    });
    return out?.Attributes && fromItem(out.Attributes);
  }

  async complete(id: string, now: number): Promise<void> {
    await this.updateIf({
      Key: { pk: id },
      UpdateExpression: 'SET #state = :done, expiresAt = :exp REMOVE dueShard',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: STATE,
      ExpressionAttributeValues: { ':done': 'done', ':exp': this.expiry(now) },
    });
  }

  // retry and deadLetter only apply to a pending delivery: a worker whose lease expired must not
  // bring back one another worker has completed meanwhile.
  async retry(id: string, attempt: number, dueAt: number, error: string): Promise<void> {
    await this.updateIf({
      Key: { pk: id },
      UpdateExpression: 'SET attempt = :a, dueAt = :due, lastError = :e, dueShard = :shard',
      ConditionExpression: '#state = :pending',
      ExpressionAttributeNames: STATE,
      ExpressionAttributeValues: {
        ':a': attempt,
        ':due': dueAt,
        ':e': error,
        ':shard': dueShard(id),
        ':pending': 'pending',
      },
    });
  }

  async deadLetter(id: string, attempt: number, error: string, now: number): Promise<void> {
    await this.updateIf({
      Key: { pk: id },
      UpdateExpression:
        'SET #state = :dead, attempt = :a, lastError = :e, deadFor = webhookId, expiresAt = :exp REMOVE dueShard',
      ConditionExpression: '#state = :pending',
      ExpressionAttributeNames: STATE,
      ExpressionAttributeValues: {
        ':dead': 'dead',
        ':a': attempt,
        ':e': error,
        ':exp': this.expiry(now),
        ':pending': 'pending',
      },
    });
  }

  async failures(webhookId: string): Promise<Delivery[]> {
    // byDeadHook sorts by pk (`msg_<webhook>_<event id>`): event order already; sorted again to be sure.
    const items = await this.runner.all(this.db, {
      TableName: this.table,
      IndexName: 'byDeadHook',
      KeyConditionExpression: 'deadFor = :w',
      ExpressionAttributeValues: { ':w': webhookId },
      ...CAPACITY,
    });
    const dead = items.map(fromItem);
    return dead.sort((a, b) => (a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0));
  }

  /** A conditional update: its answer, or undefined when the condition did not hold (nothing to do). */
  private updateIf(input: Omit<UpdateCommandInput, 'TableName'>) {
    return this.runner.writeIf(() =>
      this.db.send(new UpdateCommand({ TableName: this.table, ...input, ...CAPACITY })),
    );
  }
}
