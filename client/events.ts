/**
 * Change events over the tracker's WebSocket (`/ws`, frames of functions/core/events.ts): one
 * subscription read as an async iterable. It keeps the connection alive with pings, reconnects
 * with backoff after any cut (API Gateway closes idle connections after 10 min and every one after
 * 2 h), resumes after the last event received and drops ids already seen (replays repeat a few).
 * Browser-safe: no Node built-ins; the `ws` package is loaded only where there is no WebSocket.
 */
import { TrackerError, type ErrorCode } from '../functions/core/errors.js';
import type { ClientFrame, EventOp, ServerFrame } from '../functions/core/events.js';
import { UnreachableError } from './errors.js';
import { apiBaseUrl } from './server-url.js';

export type EventFrame = Extract<ServerFrame, { type: 'event' }>;

export interface EventFilter {
  /** Node ids starting with this (a tracker id such as `/shots/`). */
  prefix?: string | undefined;
  /** damas query the node must match (a delete is matched on the node before it). */
  query?: string | undefined;
  ops?: EventOp[] | undefined;
}

export interface SubscribeFilter extends EventFilter {
  /** Replay the events logged after this event id first. */
  since?: string | undefined;
}

export type SubscriptionStatus = 'connecting' | 'subscribed' | 'reconnecting';

export interface StatusDetail {
  /** Connection attempts since the last successful subscription (1 for the first). */
  attempt: number;
  /** `reconnecting`: the wait before the next attempt. */
  delayMs?: number;
  /** `reconnecting`: why the previous connection ended. */
  reason?: string;
}

/** What this module needs of a WebSocket: the browser's, Node's (22+) and the `ws` package's fit. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  /** `ws` only: drops the connection without a closing handshake. */
  terminate?(): void;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'error', listener: (event: { message?: string; error?: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface ConnectionOptions {
  /** The WebSocket URL when it is not `/ws` on the API's host (the cloud's `wss://…/prod`). */
  eventsUrl?: string | undefined;
  /** Default: globalThis.WebSocket, else the `ws` package. */
  WebSocket?: WebSocketConstructor;
  /** Ping interval, under API Gateway's 10-minute idle timeout. Default 5 minutes. */
  pingMs?: number;
  /** Backoff between reconnections: doubles from initialMs up to maxMs, with jitter. */
  reconnect?: { initialMs?: number; maxMs?: number };
  onStatus?: (status: SubscriptionStatus, detail: StatusDetail) => void;
}

export interface SubscribeOptions extends SubscribeFilter, ConnectionOptions {
  /** API base URL, as TrackerClient takes it (`http://host:port`, `https://host/api/`…). */
  server: string;
  token?: string | undefined;
}

export interface Subscription extends AsyncIterable<EventFrame> {
  /** Ends the iteration cleanly and closes the connection. */
  close(): void;
  /** The id of the last event yielded: give it as `since` to resume later. */
  readonly lastId: string | undefined;
}

/** `since` is older than the event log's retention: the consumer must resynchronise. */
export class GoneError extends TrackerError {
  override readonly name = 'GoneError';
  constructor(
    message: string,
    /** The id that was asked for. */
    readonly since: string | undefined,
  ) {
    super('gone', message);
  }
}

const DEFAULT_PING_MS = 5 * 60_000;
const SEEN_IDS = 10_000;
/** After close(), how long a `ws` socket may take for the closing handshake before it is cut. */
const CLOSE_GRACE_MS = 1000;
const CLOSED = 3;
/** Error frames that end the subscription; any other error frame means reconnect. */
const FATAL_FRAMES = new Map<string, ErrorCode>([
  ['unauthorized', 'unauthorized'],
  ['forbidden', 'forbidden'],
  ['bad_request', 'badRequest'],
]);
const REFUSALS: Record<number, [ErrorCode, string]> = {
  401: ['unauthorized', '401 Unauthorized'],
  403: ['forbidden', '403 Forbidden'],
};

/**
 * `ws://host:port/ws` (`wss://` for https) on the API's host — or `explicit`, the cloud's WebSocket
 * API (stack output WebSocketUrl), which has a host of its own — with `?token=` when given.
 */
export function eventsUrl(server: string, token?: string, explicit?: string): string {
  const url = explicit ? new URL(explicit) : new URL('/ws', apiBaseUrl(server));
  if (!explicit) url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  if (token) url.search = `?token=${encodeURIComponent(token)}`;
  return url.toString();
}

/** Subscribes on first iteration; one consumer per subscription. */
export function subscribe(options: SubscribeOptions): Subscription {
  return new EventSubscription(options);
}

interface Connection {
  socket: WebSocketLike;
  opened: boolean;
  /** Any frame since the last ping (the server answers pings with pong). */
  alive: boolean;
  /** Why it ended, when known before the close event (an error event or frame). */
  reason?: string;
  cause?: unknown;
}

/** API Gateway's own frame when a handler failed: `{"message":"Internal server error",…}`. */
interface GatewayFrame {
  type?: undefined;
  message?: unknown;
}

type Waiter = { resolve: (result: IteratorResult<EventFrame>) => void; reject: (error: unknown) => void };

class EventSubscription implements Subscription, AsyncIterator<EventFrame> {
  lastId: string | undefined;
  /** The last id received: what a reconnection asks for (queued events are not asked again). */
  private resumeId: string | undefined;
  private readonly seen = new Set<string>();
  private readonly queue: EventFrame[] = [];
  private readonly waiters: Waiter[] = [];
  private started = false;
  /** No more events will be queued (closed, or failed). */
  private ended = false;
  private failure: unknown;
  private connection: Connection | undefined;
  private everOpened = false;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private readonly url: string;

  constructor(private readonly options: SubscribeOptions) {
    this.url = eventsUrl(options.server, options.token, options.eventsUrl);
    this.resumeId = options.since;
    if (options.since) this.remember(options.since);
  }

  [Symbol.asyncIterator](): AsyncIterator<EventFrame> {
    if (!this.started) {
      this.started = true;
      void this.connect();
    }
    return this;
  }

  next(): Promise<IteratorResult<EventFrame>> {
    const event = this.queue.shift();
    if (event) return Promise.resolve(this.deliver(event));
    if (this.ended) return this.finish();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** `break` out of a for-await loop. */
  return(): Promise<IteratorResult<EventFrame>> {
    this.close();
    return Promise.resolve({ done: true, value: undefined });
  }

  close(): void {
    if (this.ended) return;
    this.end();
    this.queue.length = 0;
    for (const waiter of this.waiters.splice(0)) waiter.resolve({ done: true, value: undefined });
  }

  private deliver(event: EventFrame): IteratorResult<EventFrame> {
    this.lastId = event.id;
    return { done: false, value: event };
  }

  /** After the queue is drained: the failure once, then done. */
  private finish(): Promise<IteratorResult<EventFrame>> {
    const failure = this.failure;
    this.failure = undefined;
    return failure === undefined
      ? Promise.resolve({ done: true, value: undefined })
      : Promise.reject(failure);
  }

  private fail(error: unknown): void {
    if (this.ended) return;
    this.end();
    this.failure = error;
    const waiters = this.waiters.splice(0);
    if (waiters.length === 0) return;
    waiters[0]!.reject(error);
    for (const waiter of waiters.slice(1)) waiter.resolve({ done: true, value: undefined });
    this.failure = undefined;
  }

  private end(): void {
    this.ended = true;
    clearTimeout(this.retryTimer);
    this.stopPings();
    if (this.connection) shutdown(this.connection.socket);
    this.connection = undefined;
  }

  private push(event: EventFrame): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(this.deliver(event));
    else this.queue.push(event);
  }

  /** Bounded: the oldest ids are forgotten first. */
  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > SEEN_IDS) this.seen.delete(this.seen.values().next().value!);
  }

  private async connect(): Promise<void> {
    this.attempt++;
    this.options.onStatus?.('connecting', { attempt: this.attempt });
    let socket: WebSocketLike;
    try {
      const WebSocket = this.options.WebSocket ?? (await defaultWebSocket());
      if (this.ended) return;
      socket = new WebSocket(this.url);
    } catch (error) {
      this.fail(error);
      return;
    }
    const connection: Connection = { socket, opened: false, alive: true };
    this.connection = connection;
    const current = () => this.connection === connection;
    socket.addEventListener('open', () => {
      if (!current()) return;
      connection.opened = this.everOpened = true;
      this.send(socket, this.subscribeFrame());
      this.startPings(connection);
    });
    socket.addEventListener('message', (event) => {
      if (current()) this.onFrame(connection, event.data);
    });
    socket.addEventListener('error', (event) => {
      connection.cause ??= event.error ?? event;
      connection.reason ??= errorMessage(event);
    });
    socket.addEventListener('close', (event) => {
      if (current())
        this.lost(connection, `closed (${event.code}${event.reason ? `: ${event.reason}` : ''})`);
    });
  }

  private subscribeFrame(): ClientFrame {
    const { prefix, query, ops } = this.options;
    const frame: ClientFrame = { action: 'subscribe' };
    if (prefix !== undefined) frame.prefix = prefix;
    if (query !== undefined) frame.query = query;
    if (ops !== undefined) frame.ops = ops;
    if (this.resumeId !== undefined) frame.since = this.resumeId;
    return frame;
  }

  private onFrame(connection: Connection, data: unknown): void {
    connection.alive = true;
    let frame: ServerFrame | GatewayFrame | null;
    try {
      frame = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data as Uint8Array));
    } catch {
      return; // not JSON: ignored
    }
    if (typeof frame !== 'object' || frame === null) return;
    if (frame.type === 'event') {
      if (typeof frame.id !== 'string' || this.seen.has(frame.id)) return;
      this.remember(frame.id);
      this.resumeId = frame.id;
      this.push(frame);
    } else if (frame.type === 'subscribed') {
      this.options.onStatus?.('subscribed', { attempt: this.attempt });
      this.attempt = 0;
    } else if (frame.type === 'error') {
      this.onError(connection, frame);
    } else if (frame.type === undefined && typeof frame.message === 'string') {
      this.onError(connection, { type: 'error', code: 'gateway', message: frame.message });
    }
  }

  private onError(connection: Connection, frame: Extract<ServerFrame, { type: 'error' }>): void {
    const message = String(frame.message);
    if (frame.code === 'gone') {
      const since = this.resumeId;
      this.fail(
        new GoneError(
          `events after ${since} are older than the event log keeps: ` +
            'resynchronise, then subscribe again without since',
          since,
        ),
      );
    } else if (FATAL_FRAMES.has(frame.code)) {
      this.fail(new TrackerError(FATAL_FRAMES.get(frame.code)!, message));
    } else {
      connection.reason = `server error ${frame.code}: ${message}`;
      this.lost(connection, connection.reason);
    }
  }

  /** The connection ended: fail on a refusal or a first connect that never opened, else reconnect. */
  private lost(connection: Connection, closed: string): void {
    if (this.connection !== connection || this.ended) return;
    this.connection = undefined;
    this.stopPings();
    shutdown(connection.socket);
    const reason = connection.reason ?? closed;
    const status = Number(/Unexpected server response: (\d{3})/.exec(reason)?.[1]);
    const refusal = REFUSALS[status];
    if (!connection.opened && refusal) {
      this.fail(new TrackerError(refusal[0], `the server refused the event connection (${refusal[1]})`));
    } else if (!this.everOpened) {
      this.fail(
        new UnreachableError(
          eventsUrl(this.options.server, undefined, this.options.eventsUrl),
          connection.cause ?? reason,
        ),
      );
    } else {
      const delayMs = this.backoff();
      this.options.onStatus?.('reconnecting', { attempt: this.attempt + 1, delayMs, reason });
      this.retryTimer = setTimeout(() => void this.connect(), delayMs);
    }
  }

  /** Exponential in the attempts since the last subscription, with "equal jitter" (as Transport). */
  private backoff(): number {
    const { initialMs = 250, maxMs = 30_000 } = this.options.reconnect ?? {};
    const delay = Math.min(maxMs, initialMs * 2 ** this.attempt);
    return delay / 2 + Math.random() * (delay / 2);
  }

  /** A ping each interval; a connection silent for a whole interval is dead (half-open TCP). */
  private startPings(connection: Connection): void {
    const pingMs = this.options.pingMs ?? DEFAULT_PING_MS;
    this.pingTimer = setInterval(() => {
      if (!connection.alive) {
        connection.reason = `no answer to ping within ${pingMs} ms`;
        this.lost(connection, connection.reason);
        return;
      }
      connection.alive = false;
      this.send(connection.socket, { action: 'ping' });
    }, pingMs);
  }

  private stopPings(): void {
    clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }

  private send(socket: WebSocketLike, frame: ClientFrame): void {
    try {
      socket.send(JSON.stringify(frame));
    } catch {
      // closing: the close event reconnects
    }
  }
}

async function defaultWebSocket(): Promise<WebSocketConstructor> {
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global) return global;
  const { WebSocket } = await import('ws');
  return WebSocket;
}

/** A clean close; a `ws` socket that has not finished it in CLOSE_GRACE_MS is cut (so Node can exit). */
function shutdown(socket: WebSocketLike): void {
  if (socket.readyState === CLOSED) return;
  try {
    socket.close(1000);
  } catch {
    // already closing
  }
  const terminate = socket.terminate?.bind(socket);
  if (!terminate) return;
  const timer = setTimeout(() => {
    if (socket.readyState !== CLOSED) terminate();
  }, CLOSE_GRACE_MS);
  socket.addEventListener('close', () => clearTimeout(timer));
}

function errorMessage(event: { message?: string; error?: unknown }): string {
  if (event.error instanceof Error) return event.error.message;
  return event.message || 'connection error';
}
