/** The WebSocket adapter on a real LocalHost: API Gateway's routes, limits and management API. */
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalHost } from '../../local/host.js';
import {
  createWebSocketAdapter,
  selectRoute,
  type WebSocketEvent,
  type WebSocketResult,
} from '../../local/websocket-adapter.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const FRAME_LIMIT = 128 * 1024;
let host: LocalHost;
let base: string;
let events: WebSocketEvent[];
let logs: string[];
let sdk: ApiGatewayManagementApiClient;

/** Refuses `$connect` without `?token=good`, echoes a requested subprotocol, fails on `"fail"`. */
async function handler(event: WebSocketEvent): Promise<WebSocketResult> {
  events.push(event);
  const { routeKey } = event.requestContext;
  if (routeKey === '$connect') {
    if (event.queryStringParameters?.token !== 'good')
      return { statusCode: 401, body: 'a token is required' };
    const protocol = event.headers?.['Sec-WebSocket-Protocol'];
    return { statusCode: 200, ...(protocol && { headers: { 'Sec-WebSocket-Protocol': protocol } }) };
  }
  if (event.body?.includes('"fail"')) throw new Error('handler bug');
  return { statusCode: 200 };
}

async function startHost(address = '127.0.0.1'): Promise<string> {
  const adapter = createWebSocketAdapter({
    handler,
    routes: ['subscribe', 'ping'],
    log: (m) => logs.push(m),
  });
  host = new LocalHost()
    .mountUpgrade('/ws', adapter.upgrade)
    .mount('/@connections', adapter.management)
    .run({ stop: () => adapter.close() });
  return host.listen(address, 0);
}

beforeEach(async () => {
  events = [];
  logs = [];
  base = await startHost();
  sdk = new ApiGatewayManagementApiClient({
    endpoint: base,
    region: 'local',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
});
afterEach(async () => {
  await host.close();
  sdk.destroy();
});

async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Client {
  ws: WebSocket;
  id: string;
  frames: string[];
  closed: Promise<number>;
}

/** Opens a connection; `n` tells its `$connect` apart. */
async function connect(n: number, protocols?: string[]): Promise<Client> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/ws?token=good&n=${n}`, protocols);
  const frames: string[] = [];
  ws.on('message', (data) => frames.push(String(data)));
  const closed = once(ws, 'close').then(([code]) => code as number);
  await once(ws, 'open');
  const connected = events.find((e) => e.queryStringParameters?.n === String(n))!;
  return { ws, id: connected.requestContext.connectionId, frames, closed };
}

const of = (id: string, routeKey?: string) =>
  events.filter(
    (e) => e.requestContext.connectionId === id && (!routeKey || e.requestContext.routeKey === routeKey),
  );

describe('connect', () => {
  it('calls $connect with the query, headers and an API Gateway request context', async () => {
    const client = await connect(1, ['damas']);
    const [event] = of(client.id);
    expect(client.id).toMatch(/^[\w-]{15}=$/);
    expect(client.ws.protocol).toBe('damas');
    expect(event).toMatchObject({
      queryStringParameters: { token: 'good', n: '1' },
      headers: { Upgrade: 'websocket', 'Sec-WebSocket-Protocol': 'damas' },
      isBase64Encoded: false,
      requestContext: {
        routeKey: '$connect',
        eventType: 'CONNECT',
        stage: 'local',
        apiId: 'local',
        domainName: base.replace('http://', ''),
        identity: { sourceIp: '127.0.0.1' },
        messageDirection: 'IN',
      },
    });
    const context = event!.requestContext;
    expect(context.requestId).toBeTruthy();
    expect(Math.abs(context.connectedAt - Date.now())).toBeLessThan(5_000);
    expect(context.requestTimeEpoch).toBeGreaterThanOrEqual(context.connectedAt);
    expect(context.requestTime).toMatch(/^\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
    expect('messageId' in context).toBe(false);
  });

  it('refuses the upgrade with the status of a refusing $connect, without $disconnect', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/ws?token=bad`);
    const [, response] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
    let body = '';
    for await (const chunk of response) body += String(chunk);
    expect(response.statusCode).toBe(401);
    expect(body).toBe('a token is required');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events.map((e) => e.requestContext.routeKey)).toEqual(['$connect']);
    // and a plain ws client reports the status as its connection error
    const plain = new WebSocket(`${base.replace('http', 'ws')}/ws`);
    const [error] = (await once(plain, 'error')) as [Error];
    expect(error.message).toBe('Unexpected server response: 401');
  });
});

describe('messages', () => {
  it('routes on the action of a JSON object, everything else to $default', async () => {
    const client = await connect(1);
    const frames: (string | Buffer)[] = [
      '{"action":"ping"}',
      '{"action":"subscribe","prefix":"/p/"}',
      '{"action":"nope"}',
      'not json',
      '["ping"]',
      '{"action":"$connect"}',
      Buffer.from([0, 1, 255]),
    ];
    for (const frame of frames) client.ws.send(frame);
    await waitFor(() => of(client.id).length === 1 + frames.length);

    const messages = of(client.id).slice(1);
    expect(messages.map((e) => e.requestContext.routeKey)).toEqual([
      'ping',
      'subscribe',
      '$default',
      '$default',
      '$default',
      '$default',
      '$default',
    ]);
    expect(messages.slice(0, 6).map((e) => e.body)).toEqual(frames.slice(0, 6));
    expect(messages.slice(0, 6).every((e) => e.isBase64Encoded === false)).toBe(true);
    expect(messages[6]).toMatchObject({ body: 'AAH/', isBase64Encoded: true });
    for (const event of messages) {
      expect(event.requestContext).toMatchObject({ eventType: 'MESSAGE', connectionId: client.id });
      expect(event.requestContext.messageId).toBeTruthy();
    }
  });

  it('answers a failing handler with an error frame and keeps the connection', async () => {
    const client = await connect(1);
    client.ws.send('{"action":"ping","fail":true}');
    await waitFor(() => client.frames.length === 1);
    const failed = of(client.id, 'ping')[0]!;
    expect(JSON.parse(client.frames[0]!)).toEqual({
      message: 'Internal server error',
      connectionId: client.id,
      requestId: failed.requestContext.requestId,
    });
    expect(logs.some((m) => m.startsWith('WebSocket ping handler failed'))).toBe(true);
    client.ws.send('{"action":"ping"}');
    await waitFor(() => of(client.id, 'ping').length === 2);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('closes only the connection that sent a frame over the limit (1009)', async () => {
    const [big, other] = [await connect(1), await connect(2)];
    big.ws.send('x'.repeat(FRAME_LIMIT + 1));
    expect(await big.closed).toBe(1009);
    await waitFor(() => of(big.id, '$disconnect').length === 1);
    expect(of(big.id, '$default')).toEqual([]);

    other.ws.send('x'.repeat(FRAME_LIMIT)); // at the limit is fine
    await waitFor(() => of(other.id, '$default').length === 1);
    await sdk.send(new PostToConnectionCommand({ ConnectionId: other.id, Data: 'still here' }));
    await waitFor(() => other.frames.includes('still here'));
    expect(other.ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe('management API through the SDK client', () => {
  it('posts frames, describes the connection, and answers GoneException once it has closed', async () => {
    const client = await connect(1);
    await sdk.send(new PostToConnectionCommand({ ConnectionId: client.id, Data: 'héllo ✓' }));
    await sdk.send(
      new PostToConnectionCommand({ ConnectionId: client.id, Data: new TextEncoder().encode('{"a":1}') }),
    );
    await waitFor(() => client.frames.length === 2);
    expect(client.frames).toEqual(['héllo ✓', '{"a":1}']);

    const described = await sdk.send(new GetConnectionCommand({ ConnectionId: client.id }));
    expect(described.ConnectedAt).toBeInstanceOf(Date);
    expect(described.ConnectedAt!.getTime()).toBe(of(client.id)[0]!.requestContext.connectedAt);
    expect(described.Identity?.SourceIp).toBe('127.0.0.1');
    expect(described.LastActiveAt!.getTime()).toBeGreaterThanOrEqual(described.ConnectedAt!.getTime());

    client.ws.close(1000);
    await client.closed;
    await waitFor(() => of(client.id, '$disconnect').length > 0);
    const gone = await sdk
      .send(new PostToConnectionCommand({ ConnectionId: client.id, Data: 'late' }))
      .catch((error: unknown) => error);
    expect(gone).toBeInstanceOf(GoneException);
    expect(gone).toMatchObject({ name: 'GoneException', $metadata: { httpStatusCode: 410 } });
    await expect(sdk.send(new GetConnectionCommand({ ConnectionId: client.id }))).rejects.toBeInstanceOf(
      GoneException,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(of(client.id, '$disconnect')).toHaveLength(1);
    expect(of(client.id, '$disconnect')[0]!.requestContext).toMatchObject({
      eventType: 'DISCONNECT',
      disconnectStatusCode: 1000,
    });
  });

  it('closes a connection on DeleteConnection, calling $disconnect once', async () => {
    const client = await connect(1);
    await sdk.send(new DeleteConnectionCommand({ ConnectionId: client.id }));
    expect(await client.closed).toBe(1000);
    await waitFor(() => of(client.id, '$disconnect').length > 0);
    await expect(sdk.send(new DeleteConnectionCommand({ ConnectionId: client.id }))).rejects.toBeInstanceOf(
      GoneException,
    );
    expect(of(client.id, '$disconnect')).toHaveLength(1);
  });

  it('refuses bodies over 128 KB with PayloadTooLargeException', async () => {
    const client = await connect(1);
    const data = 'x'.repeat(128 * 1024 + 1);
    await expect(
      sdk.send(new PostToConnectionCommand({ ConnectionId: client.id, Data: data })),
    ).rejects.toBeInstanceOf(PayloadTooLargeException);
    const raw = await fetch(`${base}/@connections/${encodeURIComponent(client.id)}`, {
      method: 'POST',
      body: data,
    });
    expect(raw.status).toBe(413);
    expect(raw.headers.get('x-amzn-errortype')).toBe('PayloadTooLargeException');
    expect(client.frames).toEqual([]);
  });

  it('answers 410 with the error type for an unknown id', async () => {
    const raw = await fetch(`${base}/@connections/${encodeURIComponent('nope=')}`, {
      method: 'POST',
      body: 'x',
    });
    expect(raw.status).toBe(410);
    expect(raw.headers.get('x-amzn-errortype')).toBe('GoneException');
    expect(await raw.json()).toEqual({ message: expect.any(String) });
  });

  const outside = Object.values(os.networkInterfaces())
    .flatMap((infos) => infos ?? [])
    .find((info) => !info.internal && info.family === 'IPv4')?.address;
  it.skipIf(!outside)('refuses management calls that do not come from loopback (403)', async () => {
    await host.close();
    const url = await startHost(outside);
    const reply = await fetch(`${url}/@connections/${encodeURIComponent('any=')}`, { method: 'GET' });
    expect(reply.status).toBe(403);
    expect(reply.headers.get('x-amzn-errortype')).toBe('ForbiddenException');
  });
});

describe('close', () => {
  it('closes open connections with 1001 and calls their $disconnect once', async () => {
    const clients = [await connect(1), await connect(2)];
    await host.close();
    expect(await Promise.all(clients.map((c) => c.closed))).toEqual([1001, 1001]);
    for (const client of clients) expect(of(client.id, '$disconnect')).toHaveLength(1);
  });
});

describe('route selection', () => {
  it('selects a custom route only for a JSON object whose action names one', () => {
    const routes = ['subscribe', 'ping'];
    expect(selectRoute('{"action":"ping"}', routes)).toBe('ping');
    expect(selectRoute('{"action":"pong"}', routes)).toBe('$default');
    expect(selectRoute('{"action":1}', routes)).toBe('$default');
    expect(selectRoute('{"action":"$disconnect"}', [...routes, '$disconnect'])).toBe('$default');
    expect(selectRoute('null', routes)).toBe('$default');
    expect(selectRoute('', routes)).toBe('$default');
  });
});
