/**
 * The WebSocket API handler: `$connect` checks the token (`?token=`, since browsers cannot set
 * headers on a WebSocket), `$disconnect` forgets the connection, and messages (`subscribe`, `ping`,
 * anything else on `$default`) are answered with frames sent through the management API, the same
 * path the fan-out pushes events on. Every bad frame gets an error frame; nothing closes a connection.
 */
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import type { Authenticator } from '../auth/authenticator.js';
import { badRequest, errorFrame, forbidden, gone, toTrackerError, unauthorized } from '../core/errors.js';
import {
  ClientFrame,
  compileFilter,
  eventFrameText,
  eventTime,
  firstIdAt,
  MAX_CLIENT_FRAME_BYTES,
  type EventMatcher,
  type ServerFrame,
  type SubscribeFrame,
} from '../core/events.js';
import { canAccess } from '../core/permissions.js';
import type { ConnectionSender, ConnectionStore, EventLog } from '../core/ports.js';
import { parseBodyWith } from '../core/schemas.js';

export interface WebSocketDeps {
  auth: Pick<Authenticator, 'identify'>;
  connections: ConnectionStore;
  sender: ConnectionSender;
  log: EventLog;
  /** How far before `since` a replay starts (late-logged events of a parallel shard). */
  replayGraceMs: number;
  now?: () => number;
  report?: (message: string, error?: unknown) => void;
}

/** The routes API Gateway selects on `$request.body.action` (everything else is `$default`). */
export const WEBSOCKET_ROUTES = ['subscribe', 'ping'] as const;

type Result = { statusCode: number; body?: string };
const OK: Result = { statusCode: 200 };
const utf8 = new TextEncoder();

export function createWebSocketHandler(deps: WebSocketDeps) {
  const now = deps.now ?? Date.now;
  const report = deps.report ?? ((message: string, error?: unknown) => console.error(message, error ?? ''));
  const send = (connectionId: string, frame: ServerFrame | string) =>
    deps.sender.send(connectionId, typeof frame === 'string' ? frame : JSON.stringify(frame));

  async function connect(event: APIGatewayProxyWebsocketEventV2): Promise<Result> {
    const { connectionId, connectedAt } = event.requestContext as {
      connectionId: string;
      connectedAt?: number;
    };
    try {
      const caller = await deps.auth.identify(event.queryStringParameters?.token || undefined);
      if (!caller) throw unauthorized('a token is required: connect with ?token=<session or API token>');
      if (!canAccess(caller, 'subscribe')) throw forbidden('subscribing requires class guest');
      await deps.connections.put({
        id: connectionId,
        username: caller.username,
        class: caller.class,
        connectedAt: connectedAt ?? now(),
      });
      return OK;
    } catch (thrown) {
      const error = toTrackerError(thrown);
      if (!error.exposed) report('WebSocket connect failed', thrown);
      return { statusCode: error.status, body: errorFrame(error).message };
    }
  }

  /**
   * Sends the logged events above `after` (but `skip`) that match, in id order; answers the last id
   * read, or undefined when the connection is gone.
   */
  async function replay(
    connectionId: string,
    after: string,
    skip: string,
    prefix: string | undefined,
    matches: EventMatcher,
  ): Promise<string | undefined> {
    let last = after;
    for await (const page of deps.log.replay(after, prefix)) {
      for (const event of page) {
        last = event.id;
        if (event.id === skip || !matches(event)) continue;
        if (!(await send(connectionId, eventFrameText(event)))) return undefined;
      }
    }
    return last;
  }

  async function subscribe(connectionId: string, frame: SubscribeFrame): Promise<void> {
    const { action: _action, since, ...filter } = frame;
    const matches = compileFilter(filter);
    if (since === undefined) {
      if (await deps.connections.subscribe(connectionId, filter))
        await send(connectionId, { type: 'subscribed' });
      return;
    }
    const from = eventTime(since);
    if (from < now() - deps.log.retentionMs) {
      const days = deps.log.retentionMs / 86_400_000;
      throw gone(`${since} is older than the event log keeps (${days} days); resynchronise`);
    }
    // Replay first (from a grace window before `since`: events a parallel shard logged late), then
    // go live, then catch up on what was logged in between: live events never cut into the replay,
    // and the few the catch-up repeats carry ids the client has already seen.
    if (!(await send(connectionId, { type: 'subscribed' }))) return;
    const graceStart = firstIdAt(from - deps.replayGraceMs);
    const replayed = await replay(connectionId, graceStart, since, filter.prefix, matches);
    if (replayed === undefined || !(await deps.connections.subscribe(connectionId, filter))) return;
    await replay(connectionId, replayed, since, filter.prefix, matches);
  }

  async function message(connectionId: string, body: string | undefined): Promise<void> {
    const text = body ?? '';
    if (utf8.encode(text).length > MAX_CLIENT_FRAME_BYTES) {
      throw badRequest(`frames are at most ${MAX_CLIENT_FRAME_BYTES} bytes`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw badRequest('frames are JSON objects such as {"action":"subscribe","prefix":"/shots/"}');
    }
    const frame = parseBodyWith(ClientFrame, json, 'frame');
    if (frame.action === 'ping') {
      await send(connectionId, { type: 'pong' });
      return;
    }
    await subscribe(connectionId, frame);
  }

  return async function handleWebSocket(event: APIGatewayProxyWebsocketEventV2): Promise<Result> {
    const { routeKey, connectionId } = event.requestContext;
    if (routeKey === '$connect') return connect(event);
    if (routeKey === '$disconnect') {
      await deps.connections.delete(connectionId);
      return OK;
    }
    try {
      await message(connectionId, event.isBase64Encoded ? undefined : event.body);
    } catch (thrown) {
      const error = toTrackerError(thrown);
      if (!error.exposed) report(`WebSocket ${routeKey} failed`, thrown);
      await send(connectionId, errorFrame(error)).catch((sendError: unknown) =>
        report('error frame not sent', sendError),
      );
    }
    return OK;
  };
}
