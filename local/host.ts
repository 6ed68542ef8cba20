/**
 * The local host: one node:http server on 127.0.0.1 that mounts Lambda handlers the way AWS would
 * call them, by path. Today it mounts the REST handler at /api (rest-adapter.ts); the WebSocket
 * adapter takes an upgrade path (`/ws`), the stream poller runs as a background worker, and the
 * dashboard's static files take `/`. What is not mounted answers a damas-style 404.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  badRequest,
  errorText,
  notFound,
  toTrackerError,
  TrackerError,
  unavailable,
} from '../functions/core/errors.js';

/** node:http's limit on the request line and headers (API Gateway's is 10 KB). */
const MAX_HEADER_KB = 16;

/** Serves one HTTP request under a mounted path prefix. */
export type HttpMount = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;
/** Takes over a connection upgraded at a mounted path (WebSocket). */
export type UpgradeMount = (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => void;
/** A background loop (the stream poller), stopped when the host closes. */
export interface Worker {
  stop(): Promise<void>;
}

const TEXT = { 'Content-Type': 'text/plain; charset=utf-8' };

/** A damas error text answer of the host itself. */
export function sendError(
  res: ServerResponse,
  error: TrackerError,
  headers: Record<string, string> = {},
): void {
  if (!res.headersSent) res.writeHead(error.status, { ...TEXT, ...headers });
  res.end(errorText('Request', error));
}

/** The request target as a URL; undefined when it is not an origin-form path. */
function targetUrl(target: string | undefined): URL | undefined {
  if (!target?.startsWith('/') || target.startsWith('//') || !URL.canParse(target, 'http://localhost'))
    return;
  return new URL(target, 'http://localhost');
}

const under = (prefix: string, pathname: string) =>
  prefix === '/' || pathname === prefix || pathname.startsWith(`${prefix}/`);

/** A request node:http cannot parse (oversized headers, garbage) still gets a damas error text. */
function refuseMalformed(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) return void socket.destroy();
  const refusal =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new TrackerError('headersTooLarge', `request line and headers are over the ${MAX_HEADER_KB} KB limit`)
      : badRequest('malformed HTTP request');
  const text = errorText('Request', refusal);
  const reason = refusal.status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${refusal.status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}

export class LocalHost {
  readonly server: Server;
  private readonly mounts: { prefix: string; serve: HttpMount }[] = [];
  private readonly upgrades = new Map<string, UpgradeMount>();
  private readonly workers: Worker[] = [];
  private closing: Promise<void> | undefined;
  /** A held host answers 503 until ready(): the runtime binds its port before the tables exist. */
  private held: boolean;

  constructor(options: { held?: boolean } = {}) {
    this.held = options.held ?? false;
    this.server = createServer((req, res) => void this.dispatch(req, res));
    this.server.on('upgrade', (req, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) =>
      refuseMalformed(error, socket),
    );
  }

  /** Serves requests whose path is `prefix` or under it (`/` takes everything else); longest prefix wins. */
  mount(prefix: string, serve: HttpMount): this {
    this.mounts.push({ prefix: prefix === '/' ? '/' : prefix.replace(/\/+$/, ''), serve });
    this.mounts.sort((a, b) => b.prefix.length - a.prefix.length);
    return this;
  }

  mountUpgrade(path: string, accept: UpgradeMount): this {
    this.upgrades.set(path, accept);
    return this;
  }

  run(worker: Worker): this {
    this.workers.push(worker);
    return this;
  }

  /** Starts serving the mounts (before this, every request gets 503 with Retry-After). */
  ready(): this {
    this.held = false;
    return this;
  }

  /** Listens and answers the base URL (`http://127.0.0.1:8090`). */
  async listen(host: string, port: number): Promise<string> {
    this.server.listen(port, host);
    await once(this.server, 'listening');
    const bound = (this.server.address() as AddressInfo).port;
    return `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  }

  /** Stops the workers, then the server and its open connections. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all(this.workers.map((worker) => worker.stop()));
      this.server.closeAllConnections();
      if (this.server.listening) await new Promise((resolve) => this.server.close(resolve));
    })();
    return this.closing;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = targetUrl(req.url);
    if (!url) return sendError(res, badRequest('malformed request target'));
    if (this.held)
      return sendError(res, unavailable('the tracker is starting; retry in a moment'), {
        'Retry-After': '1',
      });
    const mount = this.mounts.find((m) => under(m.prefix, url.pathname));
    if (!mount)
      return sendError(res, notFound(`nothing is served at ${url.pathname} (the API is under /api/)`));
    try {
      await mount.serve(req, res, url);
    } catch (error) {
      console.error(`local host: ${req.method} ${url.pathname} failed:`, error);
      sendError(res, toTrackerError(error));
    }
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = targetUrl(req.url);
    const accept = url && this.upgrades.get(url.pathname);
    if (accept && this.held) {
      socket.end(
        'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      );
      return;
    }
    if (url && accept) return accept(req, socket, head, url);
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  }
}
