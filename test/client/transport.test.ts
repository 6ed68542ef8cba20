/** Transport with a scripted fetch: URLs, headers, typed errors, and retries of idempotent calls only. */
import { describe, expect, it } from 'vitest';
import { ApiError, UnreachableError } from '../../client/errors.js';
import { apiBaseUrl } from '../../client/server-url.js';
import { Transport, type Call, type RequestEvent } from '../../client/transport.js';

type Answer = Response | Error;

/** A fetch answering `answers` in turn, recording each request. */
function scripted(answers: Answer[]) {
  const requests: { url: string; init: RequestInit }[] = [];
  const fetch = async (url: string | URL | Request, init?: RequestInit) => {
    requests.push({ url: String(url), init: init ?? {} });
    const answer = answers.shift();
    if (!answer) throw new Error('no more answers');
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { fetch: fetch as typeof globalThis.fetch, requests };
}

const reply = (status: number, body: string, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers });
const refused = () => new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') });

function transport(answers: Answer[], options: { token?: string } = {}) {
  const { fetch, requests } = scripted(answers);
  const delays: number[] = [];
  const events: RequestEvent[] = [];
  const t = new Transport({
    server: 'http://tracker:8090',
    fetch,
    sleep: async (ms) => void delays.push(ms),
    onRequest: (e) => events.push(e),
    retries: 3,
    retryDelayMs: 100,
    ...options,
  });
  return { t, requests, delays, events };
}

const read: Call = { method: 'POST', path: 'read/', body: ['/a'], idempotent: true };
const create: Call = { method: 'POST', path: 'create/', body: { _id: '/a' }, idempotent: false };

describe('apiBaseUrl', () => {
  it.each([
    ['http://h:8090', 'http://h:8090/api/'],
    ['http://h:8090/', 'http://h:8090/api/'],
    ['http://h:8090/api', 'http://h:8090/api/'],
    ['http://h:8090/api/', 'http://h:8090/api/'],
    ['h:8090', 'http://h:8090/api/'],
    ['https://h/prefix/', 'https://h/prefix/api/'],
  ])('%s → %s', (given, expected) => expect(apiBaseUrl(given)).toBe(expected));

  it('refuses empty and non-http URLs', () => {
    expect(() => apiBaseUrl(' ')).toThrow(TypeError);
    expect(() => apiBaseUrl('ftp://h')).toThrow(/http/);
  });
});

describe('Transport', () => {
  it('sends JSON with the bearer token and answers status and parsed body', async () => {
    const { t, requests } = transport([reply(207, '[{"_id":"/a"},null]')], { token: 'tok' });
    expect(await t.send(read)).toEqual({ status: 207, body: [{ _id: '/a' }, null] });
    expect(requests[0]!.url).toBe('http://tracker:8090/api/read/');
    expect(requests[0]!.init).toMatchObject({
      method: 'POST',
      body: '["/a"]',
      headers: { Authorization: 'Bearer tok', 'Content-Type': 'application/json' },
    });
  });

  it('sends no Authorization header without a token and no body when there is none', async () => {
    const { t, requests } = transport([reply(200, '{}')]);
    await t.send({ method: 'GET', path: 'verify', idempotent: true });
    expect(requests[0]!.init.headers).toEqual({ Accept: 'application/json' });
    expect(requests[0]!.init.body).toBeUndefined();
  });

  it('an error status is an ApiError with the status, operation, reason and exit code', async () => {
    const { t } = transport([reply(404, 'Read error: /a does not exist')]);
    const error = await t.send(read).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 404,
      operation: 'Read',
      reason: '/a does not exist',
      message: 'Read error: /a does not exist',
      exitCode: 44,
    });
  });

  it('unwraps the JSON string errors of damas-core jwt servers', async () => {
    const { t } = transport([reply(401, '"401 Unauthorized (invalid token)"')]);
    await expect(t.send(read)).rejects.toMatchObject({
      message: '401 Unauthorized (invalid token)',
      exitCode: 41,
    });
  });

  it('retries idempotent calls on 5xx, 429 and network errors, with growing delays', async () => {
    const { t, delays, events } = transport([
      reply(503, 'busy'),
      reply(429, 'slow down'),
      refused(),
      reply(200, '[]'),
    ]);
    expect(await t.send(read)).toEqual({ status: 200, body: [] });
    expect(delays).toHaveLength(3);
    expect(delays[0]).toBeGreaterThanOrEqual(50);
    expect(delays[0]).toBeLessThanOrEqual(100);
    expect(delays[2]).toBeGreaterThanOrEqual(200);
    expect(events.map((e) => [e.attempt, e.status])).toEqual([
      [1, 503],
      [2, 429],
      [3, undefined],
      [4, 200],
    ]);
  });

  it('waits at least Retry-After seconds on 429', async () => {
    const { t, delays } = transport([reply(429, 'x', { 'Retry-After': '2' }), reply(200, '[]')]);
    await t.send(read);
    expect(delays).toEqual([2000]);
  });

  it('gives up after the retries with the last error', async () => {
    const { t, requests } = transport([refused(), refused(), refused(), refused()]);
    const error = await t.send(read).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreachableError);
    expect(error).toMatchObject({ exitCode: 3, message: expect.stringContaining('ECONNREFUSED') });
    expect(requests).toHaveLength(4);
    const { t: busy } = transport([
      reply(500, 'a'),
      reply(500, 'b'),
      reply(500, 'c'),
      reply(502, 'Bad gateway'),
    ]);
    await expect(busy.send(read)).rejects.toMatchObject({ status: 502 });
  });

  it('never retries non-idempotent calls, nor 4xx answers', async () => {
    const { t, requests } = transport([reply(503, 'busy')]);
    await expect(t.send(create)).rejects.toMatchObject({ status: 503 });
    const { t: net } = transport([refused()]);
    await expect(net.send(create)).rejects.toBeInstanceOf(UnreachableError);
    const { t: bad, requests: badRequests } = transport([reply(400, 'Read error: no id given')]);
    await expect(bad.send(read)).rejects.toMatchObject({ status: 400 });
    expect(requests).toHaveLength(1);
    expect(badRequests).toHaveLength(1);
  });
});
