/**
 * The DynamoDB implementation of the ConnectionStore port: one item per open WebSocket connection
 * (`pk` = connection id), its user, class, connect time and, once subscribed, its filter. API
 * Gateway closes a connection after 2 h; `expiresAt` (connect + 3 h) lets TTL sweep the items whose
 * $disconnect never arrived. The table only holds open connections, so the audience is a scan.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EventFilterSpec } from '../core/events.js';
import type { Connection, ConnectionStore } from '../core/ports.js';
import { KeyedTable, type PlainItem } from './keyed-table.js';
import type { CapacityCounter } from './runner.js';

/** Longer than API Gateway's 2 h connection limit. */
const CONNECTION_TTL_MS = 3 * 60 * 60 * 1000;

function fromItem(item: PlainItem): Connection {
  const connection: Connection = {
    id: item.pk as string,
    username: (item.username ?? null) as string | null,
    class: item.class as Connection['class'],
    connectedAt: item.connectedAt as number,
  };
  if (item.filter !== undefined) connection.filter = item.filter as EventFilterSpec;
  return connection;
}

export class DynamoConnectionStore implements ConnectionStore {
  private readonly items: KeyedTable;
  readonly consumed: CapacityCounter;

  constructor(db: DynamoDBDocumentClient, table: string) {
    this.items = new KeyedTable(db, table);
    this.consumed = this.items.runner.consumed;
  }

  async put({ id, username, class: userClass, connectedAt, filter }: Connection): Promise<void> {
    const expiresAt = Math.ceil((connectedAt + CONNECTION_TTL_MS) / 1000);
    await this.items.put({ pk: id, username, class: userClass, connectedAt, filter, expiresAt });
  }

  async get(id: string): Promise<Connection | undefined> {
    const item = await this.items.get(id);
    return item && fromItem(item);
  }

  subscribe(id: string, filter: EventFilterSpec): Promise<boolean> {
    return this.items.setOnExisting(id, { filter });
  }

  async delete(id: string): Promise<void> {
    await this.items.delete(id);
  }

  async subscribed(): Promise<Connection[]> {
    const items = await this.items.all({
      FilterExpression: 'attribute_exists(#f)',
      ExpressionAttributeNames: { '#f': 'filter' },
    });
    return items.map(fromItem);
  }
}
