/**
 * Serves a Lambda REST handler the way API Gateway calls it: a v1 proxy event in, the handler's
 * result out, with API Gateway's body limit. The only part of the REST cloud re-created locally.
 */
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { payloadTooLarge, timedOut } from '../functions/core/errors.js';
import { MAX_BODY_BYTES } from '../functions/core/limits.js';
import { sendError, type HttpMount } from './host.js';

export type RestHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** API Gateway's integration timeout; the local context reports the same remaining time. */
const GATEWAY_TIMEOUT_MS = 29_000;

/**
 * A host mount that hands every request under its prefix (`/api`) to the REST handler, which has
 * `timeoutMs` (API Gateway's 29 s) to answer.
 */
export function restMount(handler: RestHandler, prefix = '/api', timeoutMs = GATEWAY_TIMEOUT_MS): HttpMount {
  return async (req, res, url) => {
    const body = await readBody(req);
    if (body === undefined) {
      const limit = `${MAX_BODY_BYTES / 1024 / 1024} MB`;
      return sendError(res, payloadTooLarge(`request body is over the ${limit} limit`), {
        Connection: 'close',
      });
    }
    const result = await handler(toEvent(req, url, body, prefix), lambdaContext(timeoutMs)).catch(
      (error: unknown) => {
        // middy ends the invocation just before the deadline, as API Gateway stops waiting (its 504).
        if (
          (error as Error).name === 'TimeoutError' &&
          (error as { cause?: { package?: string } }).cause?.package === '@middy/core'
        )
          throw timedOut(`${req.method} ${url.pathname} ran past ${timeoutMs / 1000} s`, error);
        throw error;
      },
    );
    res.writeHead(result.statusCode, { ...result.headers } as Record<string, string>);
    res.end(result.body);
  };
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

function toEvent(req: IncomingMessage, url: URL, body: string, prefix: string): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query = [...url.searchParams.keys()];
  const proxy = url.pathname.slice(prefix.length).replace(/^\//, '');
  return {
    httpMethod: req.method ?? 'GET',
    path: url.pathname, // REST APIs pass the path still percent-encoded
    resource: `${prefix}/{proxy+}`,
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

function lambdaContext(timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    functionName: 'tracker-api-local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    callbackWaitsForEmptyEventLoop: false,
  } as Context;
}
