/** Test helpers: a tracker on the shared DynamoDB Local, and a small HTTP client for raw requests. */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { startLocalTracker, type LocalOptions, type LocalTracker } from '../../local/runtime.js';

/** Starts the real local runtime (HTTP + handlers) on fresh tables of the shared DynamoDB Local. */
export function startTestTracker(options: LocalOptions = {}): Promise<LocalTracker> {
  return startLocalTracker({
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    tablePrefix: `t${randomBytes(4).toString('hex')}`,
    port: 0,
    ...options,
  });
}

export interface Reply {
  status: number;
  text: string;
  /** The parsed body when it is JSON. */
  json: unknown;
  contentType: string;
}

export interface CallOptions {
  token?: string;
  /** Raw body text (sent as is) instead of JSON. */
  raw?: string;
  contentType?: string | null;
}

/** Sends one request to `<apiUrl><path>`; JSON-encodes `body` unless `raw` is given. */
export async function call(
  tracker: { apiUrl: string },
  method: string,
  path: string,
  body?: unknown,
  options: CallOptions = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  const text = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
  const contentType = options.contentType === undefined ? 'application/json' : options.contentType;
  if (text !== undefined && contentType !== null) headers['Content-Type'] = contentType;
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  const response = await fetch(tracker.apiUrl + path, { method, headers, body: text });
  const reply = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return {
    status: response.status,
    text: reply,
    json: type.startsWith('application/json') ? JSON.parse(reply) : undefined,
    contentType: type,
  };
}
