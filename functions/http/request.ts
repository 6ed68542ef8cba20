/** Reading an API Gateway (REST, v1 payload) event: route, path argument, body, bearer token. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { badRequest, payloadTooLarge } from '../core/errors.js';
import { MAX_BODY_BYTES } from '../core/limits.js';

export interface ApiRequest {
  method: string;
  /** Lower-cased route name: `create`, `read`, `signin`… */
  route: string;
  /** What follows the route name in the path, still percent-encoded ('' if nothing). */
  rest: string;
  /** Query string parameters (the last value of a repeated one). */
  query: Record<string, string>;
  headers: Record<string, string | undefined>;
  rawBody: string;
  sourceIp: string | undefined;
}

export function toApiRequest(event: APIGatewayProxyEvent): ApiRequest {
  // The path may carry a stage or base-path prefix: everything after the first /api/ counts.
  const path = event.path ?? '/';
  const at = path.indexOf('/api/');
  const tail = at >= 0 ? path.slice(at + 5) : path === '/api' ? '' : path.replace(/^\/+/, '');
  const slash = tail.indexOf('/');
  const route = (slash >= 0 ? tail.slice(0, slash) : tail).toLowerCase();
  // Kept verbatim (a trailing slash may belong to a folder id or a regex), still percent-encoded.
  const rest = slash >= 0 ? tail.slice(slash + 1) : '';
  const headers = Object.fromEntries(
    Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  let rawBody = event.body ?? '';
  if (event.isBase64Encoded && rawBody) rawBody = Buffer.from(rawBody, 'base64').toString('utf8');
  return {
    method: event.httpMethod.toUpperCase(),
    route,
    rest,
    query: Object.fromEntries(
      Object.entries(event.queryStringParameters ?? {}).flatMap(([k, v]) =>
        v === undefined ? [] : [[k, v]],
      ),
    ),
    headers,
    rawBody,
    sourceIp: event.requestContext?.identity?.sourceIp,
  };
}

/** Decodes one percent-encoded path piece; malformed encodings are the client's error. */
export function decodePathPiece(piece: string): string {
  try {
    return decodeURIComponent(piece);
  } catch {
    throw badRequest('malformed percent-encoding in the URL');
  }
}

/**
 * Parses the body by content type: JSON, or form fields (`a=1&b=2`, a field whose value is JSON
 * text is left as a string); a missing or unknown content type is an empty object, as in damas-core.
 */
export function parseBody(request: ApiRequest): unknown {
  const { rawBody } = request;
  if (Buffer.byteLength(rawBody) > MAX_BODY_BYTES) {
    throw payloadTooLarge(`request body is over the ${MAX_BODY_BYTES / 1024 / 1024} MB limit`);
  }
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) {
    if (rawBody.trim() === '') return {};
    try {
      return JSON.parse(rawBody);
    } catch (error) {
      throw badRequest(`invalid JSON body: ${(error as Error).message}`);
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    const fields = new Map<string, string | string[]>();
    for (const [key, value] of new URLSearchParams(rawBody)) {
      const prior = fields.get(key);
      fields.set(key, prior === undefined ? value : [prior, value].flat());
    }
    return Object.fromEntries(fields);
  }
  return {};
}

/**
 * The token of the Authorization header ("Bearer <token>"); undefined when absent or empty.
 * Like damas-core, the scheme is not checked and an unusable header means anonymous.
 */
export function bearerToken(request: ApiRequest): string | undefined {
  const parts = (request.headers.authorization ?? '').trim().split(/\s+/);
  return parts.length === 2 && parts[1] ? parts[1] : undefined;
}
