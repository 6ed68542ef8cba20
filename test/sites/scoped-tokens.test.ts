/** Site-scoped API tokens (jwt mode): read anything, publish and heartbeat for their site only. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LocalTracker } from '../../local/runtime.js';
import { call, startTestTracker } from '../support/tracker.js';
import { createVolumes, signedIn } from './helpers.js';

const PREFIX = `scoped${process.pid}`;
let t: LocalTracker;
let admin: string;
let agent: string;

beforeAll(async () => {
  t = await startTestTracker({ auth: 'jwt', tablePrefix: PREFIX });
  admin = (
    await signedIn(t, [
      ['ada', 'admin'],
      ['uma', 'user'],
    ])
  ).ada!;
  const volumes = ['A', 'B'].map((name) => ({ _id: `vol-${name}`, name, url: `ssh://s@${name}/d/` }));
  await createVolumes(t, volumes, admin);
  await call(t, 'POST', 'create', { _id: '/shared/a.txt', comment: 'x' }, { token: admin });
  const made = await call(
    t,
    'POST',
    'tokens',
    { name: 'agent B', username: 'uma', site: 'B' },
    { token: admin },
  );
  expect(made.status).toBe(201);
  expect(made.json).toMatchObject({ username: 'uma', site: 'B' });
  agent = (made.json as { token: string }).token;
});
afterAll(() => t?.close());

const as = (method: string, path: string, body?: unknown) => call(t, method, path, body, { token: agent });

describe('a token scoped to site B', () => {
  it('reads and searches anything', async () => {
    expect((await as('GET', `read/${encodeURIComponent('/shared/a.txt')}`)).status).toBe(200);
    expect((await as('GET', 'search/*')).status).toBe(200);
    expect((await as('GET', 'sites')).status).toBe(200);
    expect((await as('GET', 'verify')).json).toMatchObject({ _id: '@uma' });
  });

  it('publishes with origin B only', async () => {
    const other = await as('POST', 'publish', { _id: '/b/1.txt', origin: 'A', comment: 'c' });
    expect(other.status).toBe(403);
    expect(other.text).toBe('Publish error: this token may act only for site B, not A');
    expect((await as('POST', 'publish', { _id: '/b/2.txt', origin: 'B', comment: 'c' })).status).toBe(201);
    const mixed = [
      { _id: '/b/3.txt', origin: 'B' },
      { _id: '/b/4.txt', origin: 'C' },
    ];
    expect((await as('POST', 'publish', mixed)).status).toBe(403);
    expect(
      (await call(t, 'GET', `read/${encodeURIComponent('/b/3.txt')}`, undefined, { token: admin })).status,
    ).toBe(404);
  });

  it('claims and reports results for B only', async () => {
    expect((await as('POST', 'claim', { site: 'A' })).status).toBe(403);
    expect(
      (await as('POST', 'results', { site: 'A', results: [{ _id: '/shared/a.txt', ok: true }] })).status,
    ).toBe(403);
    expect((await as('POST', 'claim', { site: 'B' })).status).toBe(200);
  });

  it('sends heartbeats for B only', async () => {
    expect((await as('POST', 'heartbeat', { site: 'B', agentStatus: 'on' })).status).toBe(200);
    const other = await as('POST', 'heartbeat', { site: 'A', agentStatus: 'on' });
    expect(other.status).toBe(403);
    expect(other.text).toBe('Heartbeat error: this token may act only for site B, not A');
  });

  it('may not create, change, delete, lock, comment, or manage tokens and webhooks', async () => {
    const attempts: [string, string, unknown][] = [
      ['POST', 'create', { _id: '/b/new' }],
      ['PUT', 'update', { _id: '/shared/a.txt', x: 1 }],
      ['POST', 'upsert', { _id: '/shared/a.txt', x: 1 }],
      ['DELETE', 'delete', '/shared/a.txt'],
      ['PUT', 'lock', '/shared/a.txt'],
      ['POST', 'comment', { '#parent': '/shared/a.txt', comment: 'hi' }],
      ['GET', 'tokens', undefined],
      ['POST', 'tokens', { name: 'more' }],
      ['GET', 'webhooks', undefined],
    ];
    for (const [method, route, body] of attempts) {
      const r = await as(method, route, body);
      expect(r.status, route).toBe(403);
      expect(r.text, route).toMatch(/a token scoped to site B may not use/);
    }
  });

  it('is listed with its site', async () => {
    const list = await call(t, 'GET', 'tokens', undefined, { token: admin });
    expect(list.json).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'agent B', site: 'B' })]),
    );
  });

  it('refuses a malformed site when created', async () => {
    const r = await call(t, 'POST', 'tokens', { name: 'x', site: 'no such/site' }, { token: admin });
    expect(r.status).toBe(400);
  });
});

describe('admin command', () => {
  function runAdmin(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
    const child = spawn(tsx, ['local/admin.ts', '--table-prefix', PREFIX, ...args], {
      env: { ...process.env, DYNAMODB_ENDPOINT: inject('dynamodbEndpoint') },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end();
    return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
  }

  it('token create --site makes a scoped token; token list shows the site', async () => {
    const made = await runAdmin(['token', 'create', 'uma', '--name', 'agent A', '--site', 'A']);
    expect(made.code).toBe(0);
    expect(made.stderr).toMatch(/at site A/);
    const token = made.stdout.trim();
    const beat = (site: string) => call(t, 'POST', 'heartbeat', { site }, { token });
    expect((await beat('A')).status).toBe(200);
    expect((await beat('B')).status).toBe(403);
    expect((await runAdmin(['token', 'list', 'uma'])).stdout).toMatch(/site:A {2}agent A/);
  });
});
