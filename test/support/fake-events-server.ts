/**
 * A small stand-in for the tracker's WebSocket (`/ws`, protocol of functions/core/events.ts) for
 * client tests: a scripted event log, replay after `since` (optionally repeating a few events
 * before it, as the grace window does), pong, token refusal (HTTP 401), `gone`, dropping
 * connections on command, and counters of what clients did.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { ClientFrame, eventId, type EventOp, type ServerFrame } from '../../functions/core/events.js';

export type EventFrame = Extract<ServerFrame, { type: 'event' }>;
type Subscribe = Extract<ClientFrame, { action: 'subscribe' }>;

export interface FakeEventsOptions {
  /** Events already logged (replayed to subscribers that give `since`). */
  log?: EventFrame[];
  /** Connections must carry `?token=<this>`; others are refused with HTTP 401. */
  token?: string;
  /** A replay starts this many logged events before `since` (the grace window's repeats). */
  overlap?: number;
  /** A `since` lower than this id is answered with a `gone` error. */
  oldest?: string;
}

export interface FakeEventsServer {
  /** `http://127.0.0.1:<port>`: the API server URL clients are given. */
  readonly url: string;
  /** Upgrades accepted. */
  readonly connections: number;
  /** Upgrades refused (bad token). */
  readonly refusals: number;
  /** Sockets open now. */
  readonly open: number;
  /** Every subscribe frame received, in order. */
  readonly subscribes: Subscribe[];
  readonly pings: number;
  /** Stop answering pings (a dead connection, as seen by the client). */
  mute: boolean;
  /** Appends to the log and sends to the matching subscribers. */
  emit(...events: EventFrame[]): void;
  /** Sends an error frame to every subscriber. */
  error(code: string, message: string): void;
  /** Sends any JSON to every connection. */
  sendRaw(frame: unknown): void;
  /** Drops every connection: abruptly, or with a close frame (1001: API Gateway's 2-hour cut). */
  drop(code?: number): void;
  close(): Promise<void>;
}

interface Client {
  socket: WebSocket;
  filter?: Subscribe;
}

const BASE_TIME = Date.UTC(2026, 0, 1);

/** Event number `n`: ids sort by n. */
export function fakeEvent(n: number, _id = `/shots/s${n}`, op: EventOp = 'update'): EventFrame {
  return { type: 'event', id: eventId(BASE_TIME + n, String(n)), op, _id, time: BASE_TIME + n, node: null };
}

export async function startFakeEventsServer(options: FakeEventsOptions = {}): Promise<FakeEventsServer> {
  const log = [...(options.log ?? [])];
  const clients = new Set<Client>();
  const subscribes: Subscribe[] = [];
  const counts = { connections: 0, refusals: 0, pings: 0 };
  const wss = new WebSocketServer({ noServer: true });
  const http = createServer((_req, res) => res.writeHead(404).end());

  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refuse = (status: string) => socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\n\r\n`);
    if (url.pathname !== '/ws') return refuse('404 Not Found');
    if (options.token !== undefined && url.searchParams.get('token') !== options.token) {
      counts.refusals++;
      return refuse('401 Unauthorized');
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      counts.connections++;
      const client: Client = { socket: ws };
      clients.add(client);
      ws.on('close', () => clients.delete(client));
      ws.on('message', (data) => onFrame(client, String(data)));
    });
  });

  const send = (client: Client, frame: ServerFrame) => client.socket.send(JSON.stringify(frame));
  // Prefix and ops only: the damas query is recorded, not applied.
  const matches = (filter: Subscribe, event: EventFrame) =>
    (filter.prefix === undefined || event._id.startsWith(filter.prefix)) &&
    (filter.ops === undefined || filter.ops.includes(event.op));

  function onFrame(client: Client, text: string) {
    let parsed: ReturnType<typeof ClientFrame.safeParse>;
    try {
      parsed = ClientFrame.safeParse(JSON.parse(text));
    } catch {
      return send(client, { type: 'error', code: 'bad_request', message: 'not JSON' });
    }
    if (!parsed.success) return send(client, { type: 'error', code: 'bad_request', message: 'bad frame' });
    const frame = parsed.data;
    if (frame.action === 'ping') {
      counts.pings++;
      if (!server.mute) send(client, { type: 'pong' });
      return;
    }
    subscribes.push(frame);
    const { since } = frame;
    if (since !== undefined && options.oldest !== undefined && since < options.oldest) {
      return send(client, { type: 'error', code: 'gone', message: `${since} is older than the log keeps` });
    }
    client.filter = frame;
    send(client, { type: 'subscribed' });
    if (since === undefined) return;
    const after = log.findIndex((event) => event.id > since);
    const from = Math.max(0, (after < 0 ? log.length : after) - (options.overlap ?? 0));
    for (const event of log.slice(from)) if (matches(frame, event)) send(client, event);
  }

  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const { port } = http.address() as { port: number };

  const server: FakeEventsServer = {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return counts.connections;
    },
    get refusals() {
      return counts.refusals;
    },
    get open() {
      return clients.size;
    },
    subscribes,
    get pings() {
      return counts.pings;
    },
    mute: false,
    emit(...events) {
      log.push(...events);
      for (const client of clients) {
        for (const event of events) if (client.filter && matches(client.filter, event)) send(client, event);
      }
    },
    error(code, message) {
      for (const client of clients) if (client.filter) send(client, { type: 'error', code, message });
    },
    sendRaw(frame) {
      for (const client of clients) client.socket.send(JSON.stringify(frame));
    },
    drop(code) {
      for (const client of clients) {
        if (code === undefined) client.socket.terminate();
        else client.socket.close(code, 'going away');
        clients.delete(client); // its events stop now, not when the close completes
      }
    },
    async close() {
      for (const client of clients) client.socket.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
  return server;
}

/** Waits (bounded) until `predicate` holds, polling. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
