/**
 * Every row of the error table (functions/core/errors.ts), end to end: the HTTP status and damas
 * text the tracker answers, and the exit code of the built damas CLI facing that answer. Server rows
 * are provoked on real trackers: a jwt tracker on DynamoDB Local, a tracker whose DynamoDB is down
 * (503), and one whose store has a bug (500). 405 is never sent by the CLI, so the CLI meets the
 * tracker's real 405 answer through a replaying server.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator } from '../../functions/auth/authenticator.js';
import { loadConfig } from '../../functions/config.js';
import { ERROR_TABLE, type ErrorCode } from '../../functions/core/errors.js';
import { firstIdAt } from '../../functions/core/events.js';
import { MAX_BODY_BYTES } from '../../functions/core/limits.js';
import { addUser } from '../../functions/core/ops/accounts.js';
import type { NodeStore } from '../../functions/core/ports.js';
import { createApiHandler } from '../../functions/http/api.js';
import { createTracker } from '../../functions/tracker.js';
import { API_TABLES } from '../../functions/store/schema.js';
import { LocalHost } from '../../local/host.js';
import { restMount } from '../../local/rest-adapter.js';
import { localEnvironment, type LocalTracker } from '../../local/runtime.js';
import { call, startTestTracker, type Reply } from '../support/tracker.js';
import { buildTestCli, closedPort, cliRunner, removeTempDirs, tempDir, type Run } from './helpers.js';

let t: LocalTracker;
let adminToken: string;
let guestToken: string;
let damas: ReturnType<typeof cliRunner>;
const hosts: LocalHost[] = [];
const servers: Server[] = [];
const logged: unknown[] = [];
let downUrl: string;
let buggyUrl: string;
let stuckUrl: string;

/** A tracker host on 127.0.0.1 around a REST handler; answers its base URL. */
async function host(handler: Parameters<typeof restMount>[0], timeoutMs?: number): Promise<string> {
  const local = new LocalHost().mount('/api', restMount(handler, '/api', timeoutMs));
  hosts.push(local);
  return local.listen('127.0.0.1', 0);
}

/** A server answering every request with one recorded reply. */
async function replay(reply: Reply): Promise<string> {
  const server = createServer((_req, res) =>
    res.writeHead(reply.status, { 'Content-Type': reply.contentType }).end(reply.text),
  );
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

const as = (token: string) => ({ env: { DAMAS_TOKEN: token } });

beforeAll(async () => {
  const cli = await buildTestCli();
  t = await startTestTracker({ auth: 'jwt' });
  damas = cliRunner(cli, { DAMAS_SERVER: t.url });
  await addUser(t.tracker.store, t.tracker.auth, {
    username: 'root',
    userClass: 'admin',
    password: 'root-pw',
  });
  await addUser(t.tracker.store, t.tracker.auth, { username: 'gus', userClass: 'guest', password: 'gus-pw' });
  adminToken = (await t.tracker.auth.createApiToken('root', 'errors')).token;
  guestToken = (await t.tracker.auth.createApiToken('gus', 'errors')).token;

  // The same handler over a DynamoDB endpoint where nothing listens.
  const endpoint = `http://127.0.0.1:${await closedPort()}`;
  downUrl = await host(
    createTracker(loadConfig(API_TABLES, localEnvironment(endpoint, { auth: 'open' }))).api,
  );

  // The real handler over a store with a programming error in it.
  const buggy: NodeStore = Object.assign(Object.create(t.tracker.store) as NodeStore, {
    getMany: () => Promise.reject(new TypeError('secret detail of a bug')),
  });
  const auth = new Authenticator('open', buggy, t.tracker.authStore);
  buggyUrl = await host(
    createApiHandler({ store: buggy, auth, authorMode: false, log: (_m, e) => logged.push(e) }),
  );

  // The real handler over a store that never answers, behind a gateway that waits 300 ms.
  const stuck: NodeStore = Object.assign(Object.create(t.tracker.store) as NodeStore, {
    getMany: () => new Promise(() => {}),
  });
  stuckUrl = await host(
    createApiHandler({
      store: stuck,
      auth: new Authenticator('open', stuck, t.tracker.authStore),
      authorMode: false,
    }),
    300,
  );
}, 120_000);

afterAll(async () => {
  await Promise.all([...hosts.map((h) => h.close()), ...servers.map((s) => new Promise((r) => s.close(r)))]);
  await t?.close();
  removeTempDirs();
});

interface Case {
  /** The tracker's answer, for rows the tracker gives. */
  http?: () => Promise<Reply>;
  text?: RegExp;
  /** The built CLI meeting that error. */
  cli: () => Promise<Run>;
}

const CASES = {
  usage: { cli: () => damas(['create', 'not json']) },
  notRepository: { cli: () => damas(['add', 'x.exr'], { cwd: tempDir('no-repo-') }) },
  unreachable: { cli: async () => damas(['-s', `http://127.0.0.1:${await closedPort()}`, 'read', '"/x"']) },
  gone: { cli: () => damas(['watch', '--since', firstIdAt(Date.now() - 8 * 86_400_000)], as(adminToken)) },
  badRequest: {
    http: () => call(t, 'POST', 'create', undefined, { raw: '{', token: adminToken }),
    text: /^Create error: invalid JSON body/,
    cli: () => damas(['search_mongo', '{"a":{"$where":"1"}}'], as(adminToken)),
  },
  unauthorized: {
    http: () => call(t, 'GET', 'read/x', undefined, { token: 'garbage' }),
    text: /^Read error: invalid token/,
    cli: () => damas(['read', '"/x"'], as('garbage')),
  },
  forbidden: {
    http: () => call(t, 'POST', 'create', { a: 1 }, { token: guestToken }),
    text: /^Create error: create requires class 'user'/,
    cli: () => damas(['create', '{"a":1}'], as(guestToken)),
  },
  notFound: {
    http: () => call(t, 'GET', `read/${encodeURIComponent('/missing')}`, undefined, { token: adminToken }),
    text: /^Read error: \/missing does not exist$/,
    cli: () => damas(['read', '"/missing"'], as(adminToken)),
  },
  methodNotAllowed: {
    http: () => call(t, 'GET', 'create', undefined, { token: adminToken }),
    text: /^Create error: GET is not allowed; use POST$/,
    cli: async () => {
      const reply = await call(t, 'GET', 'create', undefined, { token: adminToken });
      return damas(['-s', await replay(reply), 'create', '{"a":1}']);
    },
  },
  conflict: {
    http: async () => {
      await call(t, 'POST', 'create', { _id: '/dup' }, { token: adminToken });
      return call(t, 'POST', 'create', { _id: '/dup' }, { token: adminToken });
    },
    text: /^Create error: \/dup already exists$/,
    cli: () => damas(['create', '{"_id":"/dup"}'], as(adminToken)),
  },
  payloadTooLarge: {
    http: () =>
      call(t, 'POST', 'create', undefined, { raw: 'x'.repeat(MAX_BODY_BYTES + 1), token: adminToken }),
    text: /^Request error: request body is over the 6 MB limit$/,
    cli: () =>
      damas(['create', '-'], {
        ...as(adminToken),
        input: JSON.stringify({ big: 'x'.repeat(MAX_BODY_BYTES) }),
      }),
  },
  headersTooLarge: {
    http: () => call(t, 'GET', `read/${'x'.repeat(17 * 1024)}`, undefined, { token: adminToken }),
    text: /^Request error: request line and headers are over the 16 KB limit$/,
    cli: () => damas(['read', '"/x"'], as('x'.repeat(17 * 1024))),
  },
  internal: {
    http: () => call({ apiUrl: `${buggyUrl}/api/` }, 'GET', 'read/x'),
    text: /^Read error: internal error$/,
    cli: () => damas(['-s', buggyUrl, 'read', '"/x"']),
  },
  unavailable: {
    http: () => call({ apiUrl: `${downUrl}/api/` }, 'GET', 'read/x'),
    text: /^Read error: the database is unavailable or throttled; retry later$/,
    cli: () => damas(['-s', downUrl, 'read', '"/x"']),
  },
  timedOut: {
    http: () => call({ apiUrl: `${stuckUrl}/api/` }, 'GET', 'read/x'),
    text: /^Request error: the request took longer than the API allows \(29 s\)/,
    cli: () => damas(['-s', stuckUrl, 'read', '"/x"']),
  },
} satisfies Record<ErrorCode, Case>;

const ROWS = Object.entries(CASES) as [ErrorCode, Case][];
const row = (code: ErrorCode) => ERROR_TABLE[code] as { status?: number; exitCode: number };

it('provokes every row that has an HTTP status on a real tracker', () => {
  for (const [code, c] of ROWS) expect(c.http !== undefined, code).toBe(row(code).status !== undefined);
});

describe.each(ROWS.filter(([, c]) => c.http))('row %s', (code, c) => {
  it(`answers HTTP ${row(code).status} with the damas error text`, async () => {
    const reply = await c.http!();
    expect(reply.status).toBe(row(code).status);
    expect(reply.contentType).toMatch(/^text\/plain/);
    expect(reply.text).toMatch(c.text!);
  });
});

describe.each(ROWS)('row %s', (code, c) => {
  it(`makes the built CLI exit ${row(code).exitCode}`, async () => {
    const run = await c.cli();
    expect(run.code, run.stderr).toBe(row(code).exitCode);
    expect(run.stderr).toMatch(/^damas: /);
  });
});

describe('outcomes around the table', () => {
  it('exits 0 on success and 7 when some elements failed (207)', async () => {
    await call(t, 'POST', 'create', { _id: '/here' }, { token: adminToken });
    expect((await damas(['read', '"/here"'], as(adminToken))).code).toBe(0);
    expect((await damas(['read', '["/here","/not-here"]'], as(adminToken))).code).toBe(7);
  });

  it('never shows a 5xx cause to the client, logs it with its cause, and asks to retry a 503', async () => {
    const internal = await call({ apiUrl: `${buggyUrl}/api/` }, 'GET', 'read/y');
    expect(internal.text).not.toMatch(/secret detail/);
    expect(logged).toContainEqual(new TypeError('secret detail of a bug'));
    const down = await fetch(`${downUrl}/api/read/x`);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('1');
  });
});
