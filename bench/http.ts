/**
 * A minimal HTTP client for the tracker API (as test/support/tracker.ts, but on node:http with a
 * keep-alive agent: the client shares this process with the tracker, and node:http costs it less
 * CPU than fetch), failing on an unexpected status.
 */
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export interface Reply {
  status: number;
  json: unknown;
}

export function call(
  apiUrl: string,
  method: string,
  path: string,
  body?: unknown,
  expected: readonly number[] = [200, 201],
): Promise<Reply> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers: http.OutgoingHttpHeaders =
    text === undefined
      ? {}
      : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) };
  return new Promise<Reply>((resolve, reject) => {
    const request = http.request(new URL(apiUrl + path), { method, agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const reply = Buffer.concat(chunks).toString('utf8');
        const status = response.statusCode ?? 0;
        if (!expected.includes(status)) {
          reject(new Error(`${method} ${path.slice(0, 80)} answered ${status}: ${reply.slice(0, 200)}`));
          return;
        }
        const json = response.headers['content-type']?.startsWith('application/json');
        resolve({ status, json: json ? JSON.parse(reply) : reply });
      });
    });
    request.on('error', reject);
    request.end(text);
  });
}

/** Closes the kept-alive connections. */
export const closeHttp = (): void => agent.destroy();

/** `search/<query>` with the query percent-encoded as one path piece. */
export const searchPath = (query: string): string => `search/${encodeURIComponent(query)}`;
