/**
 * The operations of a small table of plain items keyed by `pk` (auth, connections, webhooks): get,
 * put, delete, set attributes on an existing item, and read all (optionally filtered) items. Every
 * request goes through the store's runner; reads are consistent.
 */
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { CAPACITY } from './requests.js';
import { RequestRunner } from './runner.js';

export type PlainItem = Record<string, unknown> & { pk: string };

export class KeyedTable {
  readonly runner = new RequestRunner();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    readonly name: string,
  ) {}

  async get(pk: string): Promise<PlainItem | undefined> {
    const out = await this.runner.read(() =>
      this.db.send(new GetCommand({ TableName: this.name, Key: { pk }, ConsistentRead: true, ...CAPACITY })),
    );
    return out.Item as PlainItem | undefined;
  }

  /** Writes the item; with `onlyNew`, answers false instead of replacing an existing one. */
  async put(item: PlainItem, onlyNew = false): Promise<boolean> {
    if (onlyNew) return this.runner.putNew(this.db, this.name, item);
    await this.runner.write(() =>
      this.db.send(new PutCommand({ TableName: this.name, Item: item, ...CAPACITY })),
    );
    return true;
  }

  /** True if it existed. */
  async delete(pk: string): Promise<boolean> {
    const out = await this.runner.write(() =>
      this.db.send(
        new DeleteCommand({ TableName: this.name, Key: { pk }, ReturnValues: 'ALL_OLD', ...CAPACITY }),
      ),
    );
    return out.Attributes !== undefined;
  }

  /** Sets attributes of an existing item (never creates one); false when it does not exist. */
  async setOnExisting(pk: string, attributes: Record<string, unknown>): Promise<boolean> {
    const names = Object.keys(attributes);
    const out = await this.runner.writeIf(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.name,
          Key: { pk },
          UpdateExpression: `SET ${names.map((_, i) => `#a${i} = :a${i}`).join(', ')}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#a${i}`, name])),
          ExpressionAttributeValues: Object.fromEntries(names.map((name, i) => [`:a${i}`, attributes[name]])),
          ...CAPACITY,
        }),
      ),
    );
    return out !== undefined;
  }

  /** Every item (these tables are small), filtered when a filter expression is given. */
  async all(
    filter: Pick<
      ScanCommandInput,
      'FilterExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    > = {},
  ) {
    const input: ScanCommandInput = { TableName: this.name, ConsistentRead: true, ...filter, ...CAPACITY };
    return (await this.runner.all(this.db, input, 'scan')) as PlainItem[];
  }
}
