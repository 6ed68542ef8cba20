/**
 * Serves a Lambda WebSocket handler the way API Gateway's WebSocket API calls it, with `ws`:
 * `$connect` decides the upgrade, messages are routed on `$request.body.action` (one handler call
 * each, concurrent as in the cloud), `$disconnect` runs once per connection, and the management API (`/@connections/<id>`, what
 * `@aws-sdk/client-apigatewaymanagementapi` calls) posts to, describes and closes connections.
 * Mount `upgrade` at `/ws`, `management` at `/@connections`, and run `close` as a host worker.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { HttpMount, UpgradeMount } from './host.js';
import { isLoopback } from './net.js';

/**
 * The event API Gateway sends. As in the cloud, `messageId` is only set on MESSAGE events (the
 * aws-lambda type marks it required), and `$connect` also carries the request headers.
 */
export type WebSocketEvent = APIGatewayProxyWebsocketEventV2 & {
  requestContext: {
    identity: { sourceIp: string; userAgent?: string };
    disconnectStatusCode?: number;
    disconnectReason?: string;
  };
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
};
export interface WebSocketResult {
  statusCode: number;
  body?: string;
  /** On `$connect`, `Sec-WebSocket-Protocol` selects the subprotocol. */
  headers?: Record<string, string>;
}
export type WebSocketHandler = (event: WebSocketEvent, context: Context) => Promise<WebSocketResult>;

export interface WebSocketAdapterOptions {
  handler: WebSocketHandler;
  /** Custom route keys selectable by `action` (e.g. `['subscribe', 'ping']`); the rest is `$default`. */
  routes: readonly string[];
  /** API Gateway's message limit; a larger frame closes its connection with 1009. */
  maxFrameBytes?: number;
  stage?: string;
  log?: (message: string, error?: unknown) => void;
}

export interface WebSocketAdapter {
  upgrade: UpgradeMount;
  management: HttpMount;
  /** Closes every connection (1001, each gets its `$disconnect`), awaiting the handler calls. Idempotent. */
  close(): Promise<void>;
}

/** PostToConnection accepts at most 128 KB. */
const MAX_POST_BYTES = 128 * 1024;
/** API Gateway's integration timeout, reported by the local context. */
const INTEGRATION_TIMEOUT_MS = 29_000;
/** How long a closing connection may take to answer the close frame before it is cut. */
const CLOSE_GRACE_MS = 1_000;

interface Connection {
  id: string;
  connectedAt: number;
  lastActiveAt: number;
  sourceIp: string;
  userAgent: string | undefined;
  domainName: string;
  /** The subprotocol `$connect` selected. */
  protocol?: string;
  socket?: WebSocket;
  /** `$disconnect` has been called. */
  gone: boolean;
}

/** ws's answer to an upgrade it asked about (verifyClient). */
type VerifyDone = (ok: boolean, status?: number, message?: string, headers?: Record<string, string>) => void;
const PLAIN = { 'Content-Type': 'text/plain; charset=utf-8' };

/** An id in API Gateway's style: 16 characters ending with `=`. */
const awsId = () => `${randomBytes(11).toString('base64url')}=`;

/** API Gateway's route selection on `$request.body.action`. Pure. */
export function selectRoute(body: string, routes: readonly string[]): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const action = (parsed as { action?: unknown }).action;
      if (typeof action === 'string' && !action.startsWith('$') && routes.includes(action)) return action;
    }
  } catch {
    // not JSON: $default
  }
  return '$default';
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** `02/Dec/2026:06:48:19 +0000`, API Gateway's `requestTime`. */
function requestTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

const isLoopbackAddress = (address = '') => isLoopback(address.replace(/^::ffff:/i, ''));

function lambdaContext(): Context {
  const deadline = Date.now() + INTEGRATION_TIMEOUT_MS;
  return {
    functionName: 'tracker-websocket-local',
    awsRequestId: randomUUID(),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    callbackWaitsForEmptyEventLoop: false,
  } as Context;
}

function frameBytes(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}

/** The body, or undefined when it is over `limit` (the rest is drained). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.removeAllListeners('data');
      req.resume();
      resolve(undefined);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A management API error as API Gateway sends it; the SDK maps it by `x-amzn-errortype`. */
function sendFailure(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'x-amzn-errortype': type,
    ...headers,
  });
  res.end(JSON.stringify({ message }));
}

export function createWebSocketAdapter(options: WebSocketAdapterOptions): WebSocketAdapter {
  const { handler, routes, maxFrameBytes = 128 * 1024, stage = 'local' } = options;
  const log = options.log ?? ((message, error) => console.error(message, ...(error ? [error] : [])));
  const connections = new Map<string, Connection>();
  const upgrading = new WeakMap<IncomingMessage, { url: URL; connection?: Connection }>();
  const inFlight = new Set<Promise<void>>();
  let closing: Promise<void> | undefined;

  /** Runs a handler call in the background; close() awaits it. */
  function track(call: Promise<void>): void {
    const settled = call.catch((error: unknown) => log('WebSocket adapter: unexpected failure', error));
    inFlight.add(settled);
    void settled.finally(() => inFlight.delete(settled));
  }

  /** Calls the handler; a synchronous throw becomes a rejection. */
  const invoke = (event: WebSocketEvent) => Promise.resolve().then(() => handler(event, lambdaContext()));

  /** The request context of one event (MESSAGE events add their `messageId`). */
  function context(
    connection: Connection,
    routeKey: string,
    eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT',
  ) {
    const now = Date.now();
    const requestId = awsId();
    return {
      routeKey,
      eventType,
      extendedRequestId: requestId,
      requestTime: requestTime(now),
      messageDirection: 'IN' as const,
      stage,
      connectedAt: connection.connectedAt,
      requestTimeEpoch: now,
      identity: {
        sourceIp: connection.sourceIp,
        ...(connection.userAgent !== undefined && { userAgent: connection.userAgent }),
      },
      requestId,
      domainName: connection.domainName,
      connectionId: connection.id,
      apiId: 'local',
    } as WebSocketEvent['requestContext'];
  }

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxFrameBytes,
    // The $connect handler decides (ws has validated the handshake by then).
    verifyClient: (info: { req: IncomingMessage }, done: VerifyDone) => {
      const pending = upgrading.get(info.req);
      if (!pending || closing) return done(false, 503);
      track(connect(info.req, pending, done));
    },
    handleProtocols: (offered: Set<string>, req: IncomingMessage) => {
      const chosen = upgrading.get(req)?.connection?.protocol;
      return chosen !== undefined && offered.has(chosen) ? chosen : false;
    },
  });

  async function connect(
    req: IncomingMessage,
    pending: { url: URL; connection?: Connection },
    done: VerifyDone,
  ): Promise<void> {
    const local = req.socket.localAddress ?? '127.0.0.1';
    const now = Date.now();
    const connection: Connection = {
      id: awsId(),
      connectedAt: now,
      lastActiveAt: now,
      sourceIp: (req.socket.remoteAddress ?? '').replace(/^::ffff:/i, ''),
      userAgent: req.headers['user-agent'],
      domainName: `${local.includes(':') ? `[${local}]` : local}:${req.socket.localPort}`,
      gone: false,
    };
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      headers[req.rawHeaders[i]!] = req.rawHeaders[i + 1]!;
      (multiValueHeaders[req.rawHeaders[i]!] ??= []).push(req.rawHeaders[i + 1]!);
    }
    const query = [...pending.url.searchParams.keys()];
    const event: WebSocketEvent = {
      requestContext: context(connection, '$connect', 'CONNECT'),
      headers,
      multiValueHeaders,
      ...(query.length > 0 && {
        queryStringParameters: Object.fromEntries(pending.url.searchParams),
        multiValueQueryStringParameters: Object.fromEntries(
          query.map((k) => [k, pending.url.searchParams.getAll(k)]),
        ),
      }),
      isBase64Encoded: false,
    };
    let result: WebSocketResult;
    try {
      result = await invoke(event);
    } catch (error) {
      log(`WebSocket $connect handler failed (${connection.id})`, error);
      return done(false, 500, 'Internal server error', PLAIN);
    }
    const status = result?.statusCode;
    if (typeof status !== 'number' || status < 200 || status >= 300) {
      const code = typeof status === 'number' && status >= 300 && STATUS_CODES[status] ? status : 502;
      return done(false, code, result?.body || STATUS_CODES[code], PLAIN);
    }
    connections.set(connection.id, connection);
    if (closing) {
      done(false, 503);
    } else {
      const protocol = Object.entries(result.headers ?? {}).find(
        ([name]) => name.toLowerCase() === 'sec-websocket-protocol',
      );
      if (protocol) connection.protocol = protocol[1];
      pending.connection = connection;
      done(true); // completes the upgrade synchronously, or drops a socket the client already left
    }
    if (!connection.socket) disconnect(connection, 1006, 'Connection closed before the upgrade completed');
  }

  function attach(socket: WebSocket, req: IncomingMessage): void {
    const connection = upgrading.get(req)?.connection;
    if (!connection) return void socket.terminate();
    connection.socket = socket;
    socket.on('message', (data, isBinary) => message(connection, frameBytes(data), isBinary));
    socket.on('error', (error) => log(`WebSocket ${connection.id}: ${error.message}`));
    socket.on('close', (code, reason) => disconnect(connection, code, reason.toString()));
  }

  function message(connection: Connection, data: Buffer, isBinary: boolean): void {
    connection.lastActiveAt = Date.now();
    const body = isBinary ? data.toString('base64') : data.toString('utf8');
    const routeKey = isBinary ? '$default' : selectRoute(body, routes);
    const requestContext = { ...context(connection, routeKey, 'MESSAGE'), messageId: awsId() };
    const event: WebSocketEvent = { requestContext, body, isBase64Encoded: isBinary };
    track(
      invoke(event).then(
        () => undefined, // without a route response, API Gateway sends nothing back
        (error: unknown) => {
          log(`WebSocket ${routeKey} handler failed (${connection.id})`, error);
          const { connectionId, requestId } = requestContext;
          const frame = { message: 'Internal server error', connectionId, requestId };
          if (connection.socket?.readyState === WebSocket.OPEN) connection.socket.send(JSON.stringify(frame));
        },
      ),
    );
  }

  function disconnect(connection: Connection, code: number, reason: string): void {
    if (connection.gone) return;
    connection.gone = true;
    connections.delete(connection.id);
    const requestContext = {
      ...context(connection, '$disconnect', 'DISCONNECT'),
      disconnectStatusCode: code,
      disconnectReason: reason,
    };
    const event: WebSocketEvent = {
      requestContext,
      headers: { Host: connection.domainName },
      isBase64Encoded: false,
    };
    track(
      invoke(event).then(
        () => undefined,
        (error: unknown) => log(`WebSocket $disconnect handler failed (${connection.id})`, error),
      ),
    );
  }

  const upgrade: UpgradeMount = (req, socket, head, url) => {
    upgrading.set(req, { url });
    wss.handleUpgrade(req, socket, head, attach);
  };

  const management: HttpMount = async (req, res, url) => {
    if (!isLoopbackAddress(req.socket.remoteAddress)) {
      req.resume();
      return sendFailure(res, 403, 'ForbiddenException', 'Forbidden');
    }
    const body = await readBody(req, MAX_POST_BYTES);
    if (body === undefined) {
      const limit = `${MAX_POST_BYTES / 1024} KB`;
      return sendFailure(res, 413, 'PayloadTooLargeException', `Message is over ${limit}`, {
        Connection: 'close',
      });
    }
    const match = /^\/@connections\/([^/]+)$/.exec(url.pathname);
    let id: string | undefined;
    try {
      id = match ? decodeURIComponent(match[1]!) : undefined;
    } catch {
      // malformed escape: no such connection
    }
    if (id === undefined) return sendFailure(res, 404, 'NotFoundException', 'Not Found');
    const connection = connections.get(id);
    const socket = connection?.socket;
    if (!connection || socket?.readyState !== WebSocket.OPEN) {
      return sendFailure(res, 410, 'GoneException', `connection ${id} is gone`);
    }
    switch (req.method) {
      case 'POST': {
        const sent = await new Promise<boolean>((resolve) =>
          socket.send(body.toString('utf8'), (error) => resolve(!error)),
        );
        if (!sent) return sendFailure(res, 410, 'GoneException', `connection ${id} is gone`);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return void res.end();
      }
      case 'GET': {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        // The wire names (jsonName) the SDK maps to ConnectedAt, Identity, LastActiveAt.
        const identity = {
          sourceIp: connection.sourceIp,
          ...(connection.userAgent !== undefined && { userAgent: connection.userAgent }),
        };
        return void res.end(
          JSON.stringify({
            connectedAt: new Date(connection.connectedAt).toISOString(),
            identity,
            lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
          }),
        );
      }
      case 'DELETE':
        socket.close(1000);
        res.writeHead(204);
        return void res.end();
      default:
        return sendFailure(res, 405, 'MethodNotAllowedException', `${req.method} is not allowed`);
    }
  };

  /** Closes one socket, cutting it when the peer does not answer the close frame in time. */
  function closeSocket(socket: WebSocket): Promise<void> {
    if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => socket.terminate(), CLOSE_GRACE_MS);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.close(1001, 'Going away');
    });
  }

  function close(): Promise<void> {
    closing ??= (async () => {
      await Promise.all([...wss.clients].map(closeSocket));
      while (inFlight.size > 0) await Promise.all(inFlight);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    })();
    return closing;
  }

  return { upgrade, management, close };
}
