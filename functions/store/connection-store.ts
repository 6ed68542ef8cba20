/**
 * The DynamoDB implementation of the ConnectionStore port: one item per open WebSocket connection
 * (`pk` = connection id), its user, class, connect time and, once subscribed, its filter. API
 * Gateway closes a connection after 2 h; `expiresAt` (connect + 3 h) lets TTL sweep the items whose
 * $disconnect never arrived. The table only holds open connections, so the audience is a scan.
 */
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { EventFilterSpec } from '../core/events.js';
import type { Connection, ConnectionStore } from '../core/ports.js';
import { isConditionFailed } from './errors.js';
import { CAPACITY } from './requests.js';
import { RequestRunner, type CapacityCounter } from './runner.js';

/** Longer than API Gateway's 2 h connection limit. */
const CONNECTION_TTL_MS = 3 * 60 * 60 * 1000;

function fromItem(item: Record<string, unknown>): Connection {
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
  private readonly runner = new RequestRunner();
  readonly consumed: CapacityCounter = this.runner.consumed;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async put({ id, username, class: userClass, connectedAt, filter }: Connection): Promise<void> {
    const Item = {
      pk: id,
      username,
      class: userClass,
      connectedAt,
      filter,
      expiresAt: Math.ceil((connectedAt + CONNECTION_TTL_MS) / 1000),
    };
    await this.runner.write(() => this.db.send(new PutCommand({ TableName: this.table, Item, ...CAPACITY })));
  }

  async get(id: string): Promise<Connection | undefined> {
    const out = await this.runner.read(() =>
      this.db.send(
        new GetCommand({ TableName: this.table, Key: { pk: id }, ConsistentRead: true, ...CAPACITY }),
      ),
    );
    return out.Item && fromItem(out.Item);
  }

  async subscribe(id: string, filter: EventFilterSpec): Promise<boolean> {
    try {
      await this.runner.write(() =>
        this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { pk: id },
            UpdateExpression: 'SET #f = :f',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#f': 'filter' },
            ExpressionAttributeValues: { ':f': filter },
            ...CAPACITY,
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async delete(id: string): Promise<void> {
    await this.runner.write(() =>
      this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: id }, ...CAPACITY })),
    );
  }

  async subscribed(): Promise<Connection[]> {
    const connections: Connection[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.runner.read(() =>
        this.db.send(
          new ScanCommand({
            TableName: this.table,
            FilterExpression: 'attribute_exists(#f)',
            ExpressionAttributeNames: { '#f': 'filter' },
            ConsistentRead: true,
            ExclusiveStartKey: start,
            ...CAPACITY,
          }),
        ),
      );
      for (const item of out.Items ?? []) connections.push(fromItem(item));
      start = out.LastEvaluatedKey;
    } while (start);
    return connections;
  }
}
