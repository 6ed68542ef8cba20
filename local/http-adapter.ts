/**
 * Serves a Lambda REST handler over node:http the way API Gateway would call it: a v1 proxy event
 * in, the handler's result out. This is the only part of the cloud the local runtime re-creates.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { MAX_BODY_BYTES } from '../functions/http/request.js';

export type RestHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** API Gateway's integration timeout; the local context reports the same remaining time. */
const GATEWAY_TIMEOUT_MS = 29_000;
const TEXT = { 'Content-Type': 'text/plain; charset=utf-8' };

export function createHttpServer(api: RestHandler): Server {
  return createServer((req, res) => {
    serve(api, req, res).catch((error: unknown) => {
      console.error('local http adapter:', error);
      if (!res.headersSent) res.writeHead(500, TEXT);
      res.end('Request error: internal error');
    });
  });
}

async function serve(api: RestHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const target = req.url ?? '';
  if (!target.startsWith('/') || target.startsWith('//') || !URL.canParse(target, 'http://localhost')) {
    res.writeHead(400, TEXT).end('Request error: malformed request target');
    return;
  }
  const url = new URL(target, 'http://localhost');
  if (url.pathname !== '/api' && !url.pathname.startsWith('/api/')) {
    res.writeHead(404, TEXT).end(`Request error: not found: ${url.pathname} (the API is under /api/)`);
    return;
  }
  const body = await readBody(req);
  if (body === undefined) {
    res.writeHead(413, { ...TEXT, Connection: 'close' });
    res.end(`Request error: request body is over the ${MAX_BODY_BYTES / 1024 / 1024} MB limit`);
    return;
  }
  const result = await api(toEvent(req, url, body), lambdaContext());
  res.writeHead(result.statusCode, { ...result.headers } as Record<string, string>);
  res.end(result.body);
}

/** The body as text, or undefined when it is over the Lambda payload limit. */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume(); // drain without keeping it
        resolve(undefined);
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function toEvent(req: IncomingMessage, url: URL, body: string): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query = [...url.searchParams.keys()];
  const proxy = url.pathname.replace(/^\/api\/?/, '');
  return {
    httpMethod: req.method ?? 'GET',
    path: url.pathname, // REST APIs pass the path still percent-encoded
    resource: '/api/{proxy+}',
    pathParameters: proxy ? { proxy } : null,
    headers,
    multiValueHeaders,
    queryStringParameters: query.length ? Object.fromEntries(url.searchParams) : null,
    multiValueQueryStringParameters: query.length
      ? Object.fromEntries(query.map((k) => [k, url.searchParams.getAll(k)]))
      : null,
    stageVariables: null,
    body: body === '' ? null : body,
    isBase64Encoded: false,
    requestContext: {
      stage: 'local',
      httpMethod: req.method ?? 'GET',
      path: url.pathname,
      requestTimeEpoch: Date.now(),
      identity: { sourceIp: req.socket.remoteAddress ?? '' },
    } as APIGatewayProxyEvent['requestContext'],
  };
}

function lambdaContext(): Context {
  const deadline = Date.now() + GATEWAY_TIMEOUT_MS;
  return {
    functionName: 'tracker-api-local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    callbackWaitsForEmptyEventLoop: false,
  } as Context;
}
