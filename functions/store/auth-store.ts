/**
 * The DynamoDB implementation of the AuthStore port: password hashes, API token hashes and the
 * session signing secret, in their own table so they never appear in node reads or the node stream.
 * Keys: `pwd#<username>`, `token#<id>`, `config#signing-secret`.
 */
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  ScanCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { ApiTokenRecord, AuthStore, Credential } from '../core/ports.js';
import { isConditionFailed } from './errors.js';
import { RequestRunner } from './runner.js';

const SECRET_KEY = 'config#signing-secret';

export class DynamoAuthStore implements AuthStore {
  private secret: Promise<Uint8Array> | undefined;
  /** Maps SDK errors like the node store's requests (e.g. a key over DynamoDB's size limit). */
  private readonly runner = new RequestRunner();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly newSecret: () => Uint8Array,
  ) {}

  async getCredential(username: string): Promise<Credential | undefined> {
    const item = await this.get(`pwd#${username}`);
    return (
      item && { username, passwordHash: item.passwordHash as string, changedAt: item.changedAt as number }
    );
  }

  async putCredential({ username, passwordHash, changedAt }: Credential): Promise<void> {
    await this.put({ pk: `pwd#${username}`, passwordHash, changedAt });
  }

  async putToken(token: ApiTokenRecord): Promise<void> {
    await this.put({ pk: `token#${token.id}`, ...token });
  }

  async getToken(id: string): Promise<ApiTokenRecord | undefined> {
    const item = await this.get(`token#${id}`);
    if (!item) return undefined;
    const { pk: _pk, ...record } = item;
    return record as unknown as ApiTokenRecord;
  }

  async listTokens(username?: string): Promise<ApiTokenRecord[]> {
    // The auth table holds only users' credentials and tokens: small, so a filtered scan is fine.
    const tokens: ApiTokenRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.runner.run(() =>
        this.db.send(
          new ScanCommand({
            TableName: this.table,
            FilterExpression: username ? 'begins_with(pk, :t) AND username = :u' : 'begins_with(pk, :t)',
            ExpressionAttributeValues: username ? { ':t': 'token#', ':u': username } : { ':t': 'token#' },
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const { pk: _pk, ...record } of out.Items ?? []) tokens.push(record as unknown as ApiTokenRecord);
      start = out.LastEvaluatedKey;
    } while (start);
    return tokens.sort((a, b) => a.createdAt - b.createdAt);
  }

  async deleteToken(id: string): Promise<boolean> {
    const out = await this.runner.run(() =>
      this.db.send(
        new DeleteCommand({ TableName: this.table, Key: { pk: `token#${id}` }, ReturnValues: 'ALL_OLD' }),
      ),
    );
    return out.Attributes !== undefined;
  }

  /** Created once (conditional put, so concurrent cold starts agree on one secret), then cached. */
  signingSecret(): Promise<Uint8Array> {
    this.secret ??= this.loadOrCreateSecret().catch((error) => {
      this.secret = undefined;
      throw error;
    });
    return this.secret;
  }

  private async loadOrCreateSecret(): Promise<Uint8Array> {
    const existing = await this.get(SECRET_KEY);
    if (existing) return Buffer.from(existing.value as string, 'base64');
    const value = Buffer.from(this.newSecret()).toString('base64');
    try {
      await this.runner.run(() =>
        this.db.send(
          new PutCommand({
            TableName: this.table,
            Item: { pk: SECRET_KEY, value },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      return Buffer.from(value, 'base64');
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      return this.loadOrCreateSecret();
    }
  }

  private async get(pk: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.runner.run(() =>
      this.db.send(new GetCommand({ TableName: this.table, Key: { pk }, ConsistentRead: true })),
    );
    return out.Item;
  }

  private async put(item: Record<string, unknown>): Promise<void> {
    await this.runner.run(() => this.db.send(new PutCommand({ TableName: this.table, Item: item })));
  }
}
