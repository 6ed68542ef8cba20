/**
 * The DynamoDB implementation of the WebhookStore port: one plain item per webhook (`pk` = webhook
 * id, the other fields as they are). The table is small (subscriptions, not traffic), so `list`
 * scans it; `disable` only touches an existing webhook.
 */
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { Webhook, WebhookStore } from '../core/ports.js';
import { isConditionFailed } from './errors.js';
import { CAPACITY } from './requests.js';
import { RequestRunner, type CapacityCounter } from './runner.js';

function fromItem({ pk, ...fields }: Record<string, unknown>): Webhook {
  return { id: pk as string, ...fields } as Webhook;
}

export class DynamoWebhookStore implements WebhookStore {
  private readonly runner = new RequestRunner();
  readonly consumed: CapacityCounter = this.runner.consumed;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async put({ id, ...fields }: Webhook): Promise<void> {
    await this.runner.write(() =>
      this.db.send(new PutCommand({ TableName: this.table, Item: { pk: id, ...fields }, ...CAPACITY })),
    );
  }

  async get(id: string): Promise<Webhook | undefined> {
    const out = await this.runner.read(() =>
      this.db.send(
        new GetCommand({ TableName: this.table, Key: { pk: id }, ConsistentRead: true, ...CAPACITY }),
      ),
    );
    return out.Item && fromItem(out.Item);
  }

  async list(): Promise<Webhook[]> {
    const hooks: Webhook[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.runner.read(() =>
        this.db.send(
          new ScanCommand({
            TableName: this.table,
            ConsistentRead: true,
            ExclusiveStartKey: start,
            ...CAPACITY,
          }),
        ),
      );
      for (const item of out.Items ?? []) hooks.push(fromItem(item));
      start = out.LastEvaluatedKey;
    } while (start);
    return hooks.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async delete(id: string): Promise<boolean> {
    const out = await this.runner.write(() =>
      this.db.send(
        new DeleteCommand({ TableName: this.table, Key: { pk: id }, ReturnValues: 'ALL_OLD', ...CAPACITY }),
      ),
    );
    return out.Attributes !== undefined;
  }

  async disable(id: string, reason: string, at: number): Promise<void> {
    try {
      await this.runner.write(() =>
        this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { pk: id },
            UpdateExpression: 'SET #disabled = :d',
            // A deleted webhook stays deleted (an update would otherwise create a bare item).
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#disabled': 'disabled' },
            ExpressionAttributeValues: { ':d': { at, reason } },
            ...CAPACITY,
          }),
        ),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }
}
