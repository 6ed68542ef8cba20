/**
 * The typed client of the tracker API: every damas route, sign-in and API tokens. Each method
 * answers `{status, body}` (status 207: some elements failed and are null) or throws ApiError /
 * UnreachableError. New route families (events, queues, webhooks) add a row to ROUTES and a method.
 */
import {
  subscribe as subscribeEvents,
  type ConnectionOptions,
  type SubscribeFilter,
  type Subscription,
} from './events.js';
import { Transport, type ApiReply, type Call, type HttpMethod, type TransportOptions } from './transport.js';
import type {
  ApiToken,
  CommentInput,
  MongoSearch,
  HeartbeatInput,
  MongoSearchResult,
  NewApiToken,
  Node,
  NodeBody,
  PublishInput,
  QueuedPair,
  SignInResult,
  SiteStatus,
  StatsReply,
} from './types.js';
import type { ScannedFile } from '../functions/core/ops/scans.js';
import type { ClaimDirection, ClaimedPair, TransferResult } from '../functions/core/ports.js';

export type { ClaimDirection, ClaimedPair, ScannedFile, TransferResult };
export type ClientOptions = TransportOptions;

/** `POST claim` (the tracker's defaults: 10 pairs, a 600 s lease, reception). */
export interface ClaimInput {
  site: string;
  /** 1 to 100. */
  limit?: number;
  /** Seconds, 10 to 86,400. */
  lease?: number;
  direction?: ClaimDirection;
}

/** `POST results`: 1 to 1,000 outcomes of pairs the site claimed. */
export interface ResultsInput {
  site: string;
  results: TransferResult[];
}

interface Route {
  method: HttpMethod;
  path: string;
  /** Safe to send again after a lost answer (see Transport): reads, update, lock, unlock. */
  idempotent: boolean;
}

const ROUTES = {
  create: { method: 'POST', path: 'create/', idempotent: false },
  read: { method: 'POST', path: 'read/', idempotent: true },
  update: { method: 'PUT', path: 'update/', idempotent: true },
  upsert: { method: 'POST', path: 'upsert/', idempotent: false },
  delete: { method: 'DELETE', path: 'delete/', idempotent: false },
  search: { method: 'GET', path: 'search/', idempotent: true },
  searchOne: { method: 'GET', path: 'search_one/', idempotent: true },
  searchMongo: { method: 'POST', path: 'search_mongo/', idempotent: true },
  graph: { method: 'POST', path: 'graph/', idempotent: true },
  publish: { method: 'POST', path: 'publish/', idempotent: false },
  lock: { method: 'PUT', path: 'lock/', idempotent: true },
  unlock: { method: 'PUT', path: 'unlock/', idempotent: true },
  comment: { method: 'POST', path: 'comment/', idempotent: false },
  signIn: { method: 'POST', path: 'signIn', idempotent: false },
  verify: { method: 'GET', path: 'verify', idempotent: true },
  listTokens: { method: 'GET', path: 'tokens', idempotent: true },
  createToken: { method: 'POST', path: 'tokens', idempotent: false },
  revokeToken: { method: 'DELETE', path: 'tokens/', idempotent: false },
  health: { method: 'GET', path: 'health', idempotent: true },
  sites: { method: 'GET', path: 'sites', idempotent: true },
  stats: { method: 'GET', path: 'stats', idempotent: true },
  queue: { method: 'GET', path: 'queue/', idempotent: true },
  heartbeat: { method: 'POST', path: 'heartbeat', idempotent: true },
  claim: { method: 'POST', path: 'claim', idempotent: false },
  results: { method: 'POST', path: 'results', idempotent: false },
  scanned: { method: 'POST', path: 'scanned', idempotent: false },
} as const satisfies Record<string, Route>;

export type RouteName = keyof typeof ROUTES;

type Reply<T> = Promise<ApiReply<T>>;
/** damas answers a single value for a single request and an array (nulls where failed) otherwise. */
type Many<T> = (T | null)[];

export class TrackerClient {
  private readonly transport: Transport;

  constructor(options: ClientOptions) {
    this.transport = new Transport(options);
  }

  /** `http://host:port/api/`. */
  get baseUrl(): string {
    return this.transport.baseUrl;
  }

  /** The bearer token sent with every call (a session token from signIn, or an API token). */
  get token(): string | undefined {
    return this.transport.token;
  }
  set token(token: string | undefined) {
    this.transport.token = token || undefined;
  }

  /** Sends one route; `suffix` is appended to its path (already URL-encoded). */
  call<T>(name: RouteName, body?: unknown, suffix = ''): Reply<T> {
    const route: Route = ROUTES[name];
    const call: Call = { method: route.method, path: route.path + suffix, idempotent: route.idempotent };
    if (body !== undefined) call.body = body;
    return this.transport.send<T>(call);
  }

  create(node: NodeBody): Reply<Node | Many<Node>>;
  create(nodes: NodeBody[]): Reply<Many<Node>>;
  create(nodes: NodeBody | NodeBody[]) {
    return this.call('create', nodes);
  }

  read(id: string): Reply<Node>;
  read(ids: string[]): Reply<Many<Node>>;
  read(ids: string | string[]) {
    return this.call('read', ids);
  }

  /** A single node back whenever there is exactly one result (damas rule), else an array. */
  update(nodes: NodeBody | NodeBody[]): Reply<Node | Many<Node>> {
    return this.call('update', nodes);
  }

  /** `_id` absent or `"null"`: a new node with a generated id. */
  upsert(nodes: NodeBody | NodeBody[]): Reply<Node | Node[]> {
    return this.call('upsert', nodes);
  }

  /** Answers the deleted id(s). */
  delete(id: string): Reply<string>;
  delete(ids: string[]): Reply<Many<string>>;
  delete(ids: string | string[]) {
    return this.call('delete', ids);
  }

  /** damas query syntax: `key:value`, `key:/regex/i`, `key>n`… ANDed; `*` matches everything. */
  search(query: string): Reply<string[]> {
    return this.call('search', undefined, encodeURIComponent(query));
  }

  searchOne(query: string): Reply<Node | null> {
    return this.call('searchOne', undefined, encodeURIComponent(query));
  }

  searchMongo(search: MongoSearch): Reply<MongoSearchResult> {
    return this.call('searchMongo', search);
  }

  /** The nodes, the sources of edges pointing at them (up to `depth` levels; 0 = all), then the edges. */
  graph(ids: string | string[], depth = 0): Reply<Many<Node>> {
    return this.call('graph', ids, `${depth}/`);
  }

  /** 201 with the created files then one history child per file; 207 if some already existed. */
  publish(files: PublishInput | PublishInput[]): Reply<Node[]> {
    return this.call('publish', files);
  }

  /** `true` when every node was locked; an array with nulls for missing nodes (207). */
  lock(ids: string | string[]): Reply<true | Many<true>> {
    return this.call('lock', ids);
  }

  unlock(ids: string | string[]): Reply<true | Many<true>> {
    return this.call('unlock', ids);
  }

  comment(comment: CommentInput): Reply<Many<Node>> {
    return this.call('comment', comment);
  }

  /** Does not change this client's token: set `client.token` to the answer's token to use it. */
  signIn(username: string, password: string, expiresIn?: string): Reply<SignInResult> {
    return this.call('signIn', { username, password, ...(expiresIn ? { expiresIn } : {}) });
  }

  /** The caller's user node; `{}` for the anonymous admin of open mode. */
  verify(): Reply<Node | Record<string, never>> {
    return this.call('verify');
  }

  /** The caller's API tokens (an admin sees everyone's). */
  listTokens(): Reply<ApiToken[]> {
    return this.call('listTokens');
  }

  /** A long-lived API token for the caller, or for `username` (admins only); `site` scopes it to one site. */
  createToken(name: string, username?: string, site?: string): Reply<NewApiToken> {
    return this.call('createToken', { name, ...(username ? { username } : {}), ...(site ? { site } : {}) });
  }

  /** Answers the revoked token's id. */
  revokeToken(id: string): Reply<string> {
    return this.call('revokeToken', undefined, encodeURIComponent(id));
  }

  health(): Reply<{ status: string }> {
    return this.call('health');
  }

  /** The volumes with their agent on/off, last heartbeat, capacity and backlog. */
  sites(): Reply<SiteStatus[]> {
    return this.call('sites');
  }

  /** Per site: pending pairs and bytes, oldest pending age, syncing, errors by code, last heartbeat. */
  stats(): Reply<StatsReply> {
    return this.call('stats');
  }

  /** The next `limit` pairs of a site's queue, in order, without claiming them. */
  queue(site: string, limit?: number): Reply<QueuedPair[]> {
    return this.call('queue', undefined, encodeURIComponent(site) + (limit ? `?limit=${limit}` : ''));
  }

  /** An agent's heartbeat: sets the keys and `lastHeartbeat` on the site's volume; answers the volume. */
  heartbeat(status: HeartbeatInput): Reply<Node> {
    return this.call('heartbeat', status);
  }

  /** Leases the site's next pairs, in queue order (`direction: 'emission'`: pairs the site pushes). */
  claim(request: ClaimInput): Reply<ClaimedPair[]> {
    return this.call('claim', request);
  }

  /**
   * Reports transfers of claimed pairs (`{_id, ok: true}` or `{_id, error: <rsync exit code>,
   * message?}`); answers the ids applied in input order, null where refused (207).
   */
  results(report: ResultsInput): Reply<Many<string>> {
    return this.call('results', report);
  }

  /**
   * What a scan of the site's volume found about tracked files: modified (new `file_size` and
   * `file_mtime`; the tracker sets `time`), missing, or present again. Answers the updated files in
   * input order, null for files the tracker does not have (207).
   */
  scanned(site: string, files: ScannedFile[]): Reply<Many<Node>> {
    return this.call('scanned', { site, files });
  }

  /** Change events matching `filter` (after `since` first), over WebSocket with this client's token. */
  subscribe(filter: SubscribeFilter = {}, options: ConnectionOptions = {}): Subscription {
    return subscribeEvents({ ...options, ...filter, server: this.baseUrl, token: this.token });
  }
}
