/**
 * The DynamoDB implementation of the AuthStore port: password hashes, API token hashes and the
 * session signing secret, in their own table so they never appear in node reads or the node stream.
 * Keys: `pwd#<username>`, `token#<id>`, `config#signing-secret`.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ApiTokenRecord, AuthStore, Credential } from '../core/ports.js';
import { KeyedTable, type PlainItem } from './keyed-table.js';

const SECRET_KEY = 'config#signing-secret';
const TOKEN = 'token#';

const tokenOf = ({ pk: _pk, ...record }: PlainItem) => record as unknown as ApiTokenRecord;

export class DynamoAuthStore implements AuthStore {
  private secret: Promise<Uint8Array> | undefined;
  private readonly items: KeyedTable;

  constructor(
    db: DynamoDBDocumentClient,
    table: string,
    private readonly newSecret: () => Uint8Array,
  ) {
    this.items = new KeyedTable(db, table);
  }

  async getCredential(username: string): Promise<Credential | undefined> {
    const item = await this.items.get(`pwd#${username}`);
    return (
      item && { username, passwordHash: item.passwordHash as string, changedAt: item.changedAt as number }
    );
  }

  async putCredential({ username, passwordHash, changedAt }: Credential): Promise<void> {
    await this.items.put({ pk: `pwd#${username}`, passwordHash, changedAt });
  }

  async putToken(token: ApiTokenRecord): Promise<void> {
    await this.items.put({ pk: `${TOKEN}${token.id}`, ...token });
  }

  async getToken(id: string): Promise<ApiTokenRecord | undefined> {
    const item = await this.items.get(`${TOKEN}${id}`);
    return item && tokenOf(item);
  }

  /** The auth table holds only credentials and tokens: small, so a filtered scan is fine. */
  async listTokens(username?: string): Promise<ApiTokenRecord[]> {
    const items = await this.items.all({
      FilterExpression: username ? 'begins_with(pk, :t) AND username = :u' : 'begins_with(pk, :t)',
      ExpressionAttributeValues: username ? { ':t': TOKEN, ':u': username } : { ':t': TOKEN },
    });
    return items.map(tokenOf).sort((a, b) => a.createdAt - b.createdAt);
  }

  deleteToken(id: string): Promise<boolean> {
    return this.items.delete(`${TOKEN}${id}`);
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
    const existing = await this.items.get(SECRET_KEY);
    if (existing) return Buffer.from(existing.value as string, 'base64');
    const value = Buffer.from(this.newSecret()).toString('base64');
    if (await this.items.put({ pk: SECRET_KEY, value }, true)) return Buffer.from(value, 'base64');
    return this.loadOrCreateSecret();
  }
}
