/**
 * The DynamoDB implementation of the WebhookStore port: one plain item per webhook (`pk` = webhook
 * id, the other fields as they are). The table is small (subscriptions, not traffic), so `list`
 * scans it; `disable` only touches an existing webhook.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Webhook, WebhookStore } from '../core/ports.js';
import { KeyedTable, type PlainItem } from './keyed-table.js';
import type { CapacityCounter } from './runner.js';

const fromItem = ({ pk, ...fields }: PlainItem): Webhook => ({ id: pk, ...fields }) as Webhook;
const byCreation = (a: Webhook, b: Webhook) =>
  a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export class DynamoWebhookStore implements WebhookStore {
  private readonly items: KeyedTable;
  readonly consumed: CapacityCounter;

  constructor(db: DynamoDBDocumentClient, table: string) {
    this.items = new KeyedTable(db, table);
    this.consumed = this.items.runner.consumed;
  }

  async put({ id, ...fields }: Webhook): Promise<void> {
    await this.items.put({ pk: id, ...fields });
  }

  async get(id: string): Promise<Webhook | undefined> {
    const item = await this.items.get(id);
    return item && fromItem(item);
  }

  async list(): Promise<Webhook[]> {
    return (await this.items.all()).map(fromItem).sort(byCreation);
  }

  delete(id: string): Promise<boolean> {
    return this.items.delete(id);
  }

  /** A deleted webhook stays deleted (an update would otherwise create a bare item). */
  async disable(id: string, reason: string, at: number): Promise<void> {
    await this.items.setOnExisting(id, { disabled: { at, reason } });
  }
}
