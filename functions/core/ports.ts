/**
 * What the domain needs from storage. The DynamoDB store implements these; the core never
 * sees the AWS SDK.
 */
import type { Node, NodeBody } from './nodes.js';
import type { Plan as QueryPlan } from './plan.js';

/** How a query is answered (see plan.ts), plus the graph walk's edges-into-a-node lookup. */
export type Plan = QueryPlan | { kind: 'target'; target: string };

export type LockResult = 'ok' | 'notFound' | 'conflict';

export interface NodeStore {
  get(id: string): Promise<Node | undefined>;
  /** Nodes in the order of `ids`, undefined where missing. */
  getMany(ids: readonly string[]): Promise<(Node | undefined)[]>;
  /**
   * Writes each unit atomically if its first node's `_id` does not exist yet.
   * Returns per unit whether it was written (false: the id already existed).
   */
  create(units: readonly Node[][]): Promise<boolean[]>;
  /** Sets and removes keys of an existing node, each key atomically; undefined if it does not exist. */
  update(id: string, set: NodeBody, remove: readonly string[]): Promise<Node | undefined>;
  /** Like update, but creates `whenNew` if the node does not exist. */
  upsert(id: string, set: NodeBody, remove: readonly string[], whenNew: Node): Promise<Node>;
  /** Per id whether it existed and was deleted. */
  delete(ids: readonly string[]): Promise<boolean[]>;
  /**
   * Locks or unlocks all ids for `username`, atomically: if any id is locked by someone else,
   * nothing changes and those ids are 'conflict'; missing ids are 'notFound'.
   */
  setLock(ids: readonly string[], username: string, action: 'lock' | 'unlock'): Promise<LockResult[]>;
  /** Pages of candidate nodes for a plan (a superset: callers re-apply their query). */
  find(plan: Plan): AsyncIterable<Node[]>;
}

export interface Credential {
  username: string;
  passwordHash: string;
  /** ms epoch; session tokens issued before are revoked. */
  changedAt: number;
}

export interface ApiTokenRecord {
  id: string;
  username: string;
  name: string;
  secretHash: string;
  createdAt: number;
}

/** An API token as shown to users: never its secret or the secret's hash. */
export type PublicTokenRecord = Omit<ApiTokenRecord, 'secretHash'>;

/** What operations need from authentication (the Authenticator implements it). */
export interface Accounts {
  /** damas signIn: a session token for a username and password. */
  signIn(fields: unknown): Promise<{ _id: string; user: Node; token: string }>;
  /** Stores a password (hashed) and revokes the user's older sessions. */
  setPassword(username: string, password: string): Promise<void>;
  createApiToken(username: string, name: string): Promise<{ token: string; record: PublicTokenRecord }>;
  listApiTokens(username?: string): Promise<PublicTokenRecord[]>;
  apiToken(id: string): Promise<PublicTokenRecord | undefined>;
  /** True if it existed. */
  revokeApiToken(id: string): Promise<boolean>;
}

export interface AuthStore {
  getCredential(username: string): Promise<Credential | undefined>;
  putCredential(credential: Credential): Promise<void>;
  putToken(token: ApiTokenRecord): Promise<void>;
  getToken(id: string): Promise<ApiTokenRecord | undefined>;
  listTokens(username?: string): Promise<ApiTokenRecord[]>;
  /** True if it existed. */
  deleteToken(id: string): Promise<boolean>;
  /** The JWT signing secret, created on first use. */
  signingSecret(): Promise<Uint8Array>;
}
