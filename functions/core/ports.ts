/**
 * What the domain needs from storage. The DynamoDB store implements these; the core never
 * sees the AWS SDK.
 */
import type { ChangeEvent, EventFilterSpec } from './events.js';
import type { Node, NodeBody } from './nodes.js';
import type { UserClass } from './permissions.js';
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
  /**
   * Like update, and creates `child` (a new node) in the same transaction: both or neither. False
   * when the node does not exist.
   */
  updateWithChild(id: string, set: NodeBody, remove: readonly string[], child: Node): Promise<boolean>;
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
  /** A site-scoped token acts only for this site (permissions.ts: siteScopeRefusal, assertSiteScope). */
  site?: string;
}

/** An API token as shown to users: never its secret or the secret's hash. */
export type PublicTokenRecord = Omit<ApiTokenRecord, 'secretHash'>;

/** What operations need from authentication (the Authenticator implements it). */
export interface Accounts {
  /** damas signIn: a session token for a username and password. */
  signIn(fields: unknown): Promise<{ _id: string; user: Node; token: string }>;
  /** Stores a password (hashed) and revokes the user's older sessions. */
  setPassword(username: string, password: string): Promise<void>;
  createApiToken(
    username: string,
    name: string,
    site?: string,
  ): Promise<{ token: string; record: PublicTokenRecord }>;
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

// ---- change events (events.ts) ----------------------------------------------------------------

export interface EventLog {
  /** How long events stay replayable (ms). */
  readonly retentionMs: number;
  /** Logs events; logging one already logged (same id) changes nothing. */
  append(events: readonly ChangeEvent[]): Promise<void>;
  /**
   * Logged events with an id above `afterId` whose node id starts with `prefix` (every event when
   * absent), in id order, page by page. Reads capacity proportional to what it returns.
   */
  replay(afterId: string, prefix?: string): AsyncIterable<ChangeEvent[]>;
}

/** An open WebSocket connection: who opened it and, once subscribed, what it asked for. */
export interface Connection {
  id: string;
  username: string | null;
  class: UserClass;
  connectedAt: number;
  filter?: EventFilterSpec;
}

export interface ConnectionStore {
  put(connection: Connection): Promise<void>;
  get(id: string): Promise<Connection | undefined>;
  /** Sets the filter of an existing connection; false when it is gone. */
  subscribe(id: string, filter: EventFilterSpec): Promise<boolean>;
  delete(id: string): Promise<void>;
  /** Every connection with a filter (the fan-out's audience). */
  subscribed(): Promise<Connection[]>;
}

/** Sends frames to WebSocket connections (API Gateway's management API). */
export interface ConnectionSender {
  /** Sends one text frame; false when the connection is gone (410). */
  send(connectionId: string, text: string): Promise<boolean>;
}

export interface Webhook {
  /** `wh_` + 24 hex characters. */
  id: string;
  url: string;
  /** `whsec_<base64>`: the signing secret (Standard Webhooks). Stored, never listed. */
  secret: string;
  filter: EventFilterSpec;
  createdAt: number;
  createdBy: string | null;
  /** Set when the receiver answered 410 Gone (or an admin disabled it): no more deliveries. */
  disabled?: { at: number; reason: string };
}

export interface WebhookStore {
  put(hook: Webhook): Promise<void>;
  get(id: string): Promise<Webhook | undefined>;
  list(): Promise<Webhook[]>;
  /** True if it existed. */
  delete(id: string): Promise<boolean>;
  disable(id: string, reason: string, at: number): Promise<void>;
}

/** One event to send to one webhook; its id is the `webhook-id` header, stable across retries. */
export interface Delivery {
  /** `msg_<webhook id>_<event id>`: the same event and webhook always give the same delivery. */
  id: string;
  webhookId: string;
  event: ChangeEvent;
  /** Attempts made so far. */
  attempt: number;
  /** ms epoch when the next attempt is due. */
  dueAt: number;
  state: 'pending' | 'done' | 'dead';
  lastError?: string;
}

export interface DeliveryQueue {
  /** Queues deliveries; one whose id was ever queued (pending, done or dead) is left as it is. */
  enqueue(deliveries: readonly Delivery[]): Promise<void>;
  /**
   * Takes up to `limit` pending deliveries due at `now` and leases them until `now + leaseMs`, so
   * no other worker takes them meanwhile; an expired lease makes a delivery due again.
   */
  claimDue(now: number, limit: number, leaseMs: number): Promise<Delivery[]>;
  /** Delivered: kept (state done) until the event log forgets the event, so it is never sent again. */
  complete(id: string, now: number): Promise<void>;
  /** Failed, to be tried again at `dueAt`. */
  retry(id: string, attempt: number, dueAt: number, error: string): Promise<void>;
  /** Failed for good: kept, listed by `failures`. */
  deadLetter(id: string, attempt: number, error: string, now: number): Promise<void>;
  /** Dead-lettered deliveries of a webhook, oldest event first. */
  failures(webhookId: string): Promise<Delivery[]>;
}

// ---- sync engine (sync.ts) -------------------------------------------------------------------

/** The volumes and global parameters the queues are planned from, kept current from the stream. */
export interface SiteRegistry {
  /** Every volume node (see isVolume), by id order. */
  volumes(): Promise<Node[]>;
  /** The `rsyncGlobalParameters` node, if any. */
  globals(): Promise<Node | undefined>;
}

export type ClaimDirection = 'reception' | 'emission';

/** The volumes and the global parameters, as read together from the registry. */
export interface SiteList {
  volumes: Node[];
  globals?: Node;
}

/** A (file, destination) pair leased to the claimer: where to copy from and to, and until when. */
export interface ClaimedPair {
  _id: string;
  time: number;
  file_size?: number;
  priority: number;
  source: { site: string; url: string };
  destination: { site: string; url: string };
  /** ms epoch; after it the pair may be claimed again. */
  leaseUntil: number;
}

/**
 * A transfer's outcome as an agent reports it: `ok`, or the rsync exit code and its message. The
 * pair's destination is the reporting site, or `destination` for a pair it pushed (emission).
 */
export type TransferResult = { _id: string; destination?: string } & (
  { ok: true } | { error: number; message?: string }
);

/** Applied, or why not: the file does not exist, or the site holds no claim on it. */
export type ResultOutcome = 'ok' | 'notFound' | 'notClaimed';

/** A background re-planning of every file after a change of the volumes or global parameters. */
export interface ReplanTask {
  id: string;
  reason: string;
  /** Sites whose pairs may have to leave the queues besides the current volumes' (renamed, removed). */
  sites: string[];
  startedAt: number;
  /** Nodes read so far, and roughly how many the table holds (when known). */
  scanned: number;
  total?: number;
  done: boolean;
  finishedAt?: number;
  /** Where the scan resumes (the last node id read). */
  cursor?: string;
}

/** The per-site work queues, claims and results, and the re-planning tasks (store/queue-store.ts). */
export interface SyncQueue extends SiteRegistry {
  /** Volumes and global parameters in one read. */
  planning(): Promise<SiteList>;
  /**
   * Leases up to `limit` due pairs for `site` (reception: pairs it receives; emission: pairs whose
   * source it is, for the other sites) until `now + leaseMs`; `registry` if the caller has read it.
   */
  claim(
    site: string,
    limit: number,
    leaseMs: number,
    now: number,
    direction: ClaimDirection,
    registry?: SiteList,
  ): Promise<ClaimedPair[]>;
  /** Applies each result to its file node, in input order. */
  results(site: string, results: readonly TransferResult[], now: number): Promise<ResultOutcome[]>;
  /** The newest tasks first. */
  tasks(limit: number): Promise<ReplanTask[]>;
  /** Starts a re-planning of every file (idempotent per id). */
  startTask(id: string, reason: string, sites: readonly string[], now: number): Promise<void>;
}
