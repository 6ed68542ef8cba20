/**
 * The webhook admin API on the real local tracker: create (the secret shown once), list (never a
 * secret), bad input refused with 400 and nothing created, the address policy at create time,
 * admin-only in jwt mode, 404 for unknown ids.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser } from '../../functions/core/ops/accounts.js';
import type { LocalTracker } from '../../local/runtime.js';
import { call, startTestTracker, type CallOptions } from '../support/tracker.js';

let open: LocalTracker;
let publicOnly: LocalTracker;
let jwt: LocalTracker;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  [open, publicOnly, jwt] = await Promise.all([
    startTestTracker(),
    startTestTracker({ settings: { WEBHOOK_ALLOW: 'public' } }),
    startTestTracker({ auth: 'jwt' }),
  ]);
  for (const [username, userClass] of [
    ['ada', 'admin'],
    ['ed', 'editor'],
  ] as const) {
    await addUser(jwt.tracker.store, jwt.tracker.auth, { username, userClass, password: `${username}-pw` });
    const r = await call(jwt, 'POST', 'signIn', { username, password: `${username}-pw` });
    tokens[username] = (r.json as { token: string }).token;
  }
});
afterAll(() => Promise.all([open?.close(), publicOnly?.close(), jwt?.close()]));

interface ListedHook {
  id: string;
  url: string;
  filter: Record<string, unknown>;
  secret?: string;
}

async function list(t: LocalTracker, options?: CallOptions): Promise<ListedHook[]> {
  const r = await call(t, 'GET', 'webhooks', undefined, options);
  expect(r.status).toBe(200);
  return r.json as ListedHook[];
}

/** Each body is refused with 400 and the damas error text `Webhooks error: <reason>`; the list stays as it was. */
async function expectRefused(t: LocalTracker, cases: [body: unknown, reason: RegExp][]): Promise<void> {
  const before = await list(t);
  for (const [body, reason] of cases) {
    const r = await call(t, 'POST', 'webhooks', body);
    expect({ body, status: r.status, text: r.text }).toEqual({
      body,
      status: 400,
      text: expect.stringMatching(/^Webhooks error: /),
    });
    expect(r.text.slice('Webhooks error: '.length)).toMatch(reason);
  }
  expect(await list(t)).toEqual(before);
}

describe('webhook admin API', () => {
  it('creates a webhook (201, whsec_ secret once) and lists it without any secret', async () => {
    const url = 'http://127.0.0.1:9/hook?x=1';
    const r = await call(open, 'POST', 'webhooks', { url, prefix: '/admin/', ops: ['create', 'delete'] });
    expect(r.status).toBe(201);
    const hook = r.json as Record<string, unknown>;
    expect(hook).toMatchObject({
      id: expect.stringMatching(/^wh_[0-9a-f]{24}$/),
      url,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]+=*$/),
      filter: { prefix: '/admin/', ops: ['create', 'delete'] },
      createdAt: expect.any(Number),
    });
    expect(hook).toHaveProperty('createdBy');

    const listed = await call(open, 'GET', 'webhooks');
    expect(listed.status).toBe(200);
    expect(listed.text).not.toContain('whsec_');
    expect(listed.text).not.toContain(hook.secret as string);
    const mine = (listed.json as ListedHook[]).find((h) => h.id === hook.id);
    expect(mine).toMatchObject({ id: hook.id, url, filter: { prefix: '/admin/' } });
    expect(mine).not.toHaveProperty('secret');
  });

  it('refuses bad bodies with 400 and creates nothing', async () => {
    const url = 'http://127.0.0.1:9/';
    const scheme = /must be http or https/;
    const missing = /url: Invalid input: expected string/;
    await expectRefused(open, [
      [{ url: 'ftp://127.0.0.1/x' }, scheme],
      [{ url: 'file:///etc/passwd' }, scheme],
      [{ url: 'javascript:alert(1)' }, scheme],
      [{ url: 'not a url' }, /not an absolute URL/],
      [{ url: 'http://user:pw@127.0.0.1:9/' }, /username or password/],
      [{ url: 'http://user@127.0.0.1:9/' }, /username or password/],
      [{}, missing],
      [{ prefix: '/a/' }, missing],
      [{ url: '' }, /url: Too small/],
      [{ url: 42 }, /url: Invalid input/],
      [{ url, color: 'red' }, /Unrecognized key: "color"/],
      [{ url, ops: ['move'] }, /ops\.0: Invalid option/],
      [{ url, ops: [] }, /ops: Too small/],
      [{ url, ops: 'create' }, /ops: Invalid input/],
      [{ url, query: 'name:/(a+)+$/' }, /exponential time/],
      [{ url, query: '' }, /query: Too small/],
      [[{ url }], /expected object/],
      ['url', /expected object/],
    ]);
  });

  it('with WEBHOOK_ALLOW=public, refuses loopback, private and metadata receivers', async () => {
    const loopback = /loopback address, refused by WEBHOOK_ALLOW=public/;
    const privateRange = /private address, refused by WEBHOOK_ALLOW=public/;
    const metadata = /metadata address, never allowed/;
    await expectRefused(publicOnly, [
      [{ url: 'http://127.0.0.1:1/' }, loopback],
      [{ url: 'http://[::1]:1/' }, loopback],
      [{ url: 'http://localhost:1/' }, loopback],
      [{ url: 'http://10.0.0.1/' }, privateRange],
      [{ url: 'http://192.168.1.1/' }, privateRange],
      [{ url: 'http://169.254.169.254/latest/meta-data/' }, metadata],
      [{ url: 'http://[::ffff:169.254.169.254]/' }, metadata],
    ]);
    expect(await list(publicOnly)).toEqual([]);
  });

  it('answers 404 for an unknown id, on delete and on failures', async () => {
    const unknown = 'wh_000000000000000000000000';
    const del = await call(open, 'DELETE', `webhooks/${unknown}`);
    expect(del.status).toBe(404);
    expect(del.text).toMatch(/^Webhooks error: /);
    const failures = await call(open, 'GET', `webhooks/${unknown}/failures`);
    expect(failures.status).toBe(404);
    expect(failures.text).toMatch(/^Webhooks error: /);
  });

  it('deletes a webhook: gone from the list, a second delete is 404', async () => {
    const r = await call(open, 'POST', 'webhooks', { url: 'http://127.0.0.1:9/deleted' });
    const { id } = r.json as { id: string };
    expect((await call(open, 'DELETE', `webhooks/${id}`)).status).toBe(200);
    expect((await list(open)).map((h) => h.id)).not.toContain(id);
    expect((await call(open, 'DELETE', `webhooks/${id}`)).status).toBe(404);
  });
});

describe('webhook admin API in jwt mode', () => {
  it('is for admins only: a non-admin gets 403, nothing is created', async () => {
    const as = { token: tokens.ed };
    const body = { url: 'http://127.0.0.1:9/' };
    const created = await call(jwt, 'POST', 'webhooks', body, as);
    expect(created.status).toBe(403);
    expect(created.text).toMatch(/^Webhooks error: /);
    expect((await call(jwt, 'GET', 'webhooks', undefined, as)).status).toBe(403);
    expect((await call(jwt, 'POST', 'webhooks', body)).status).toBe(401);
    expect(await list(jwt, { token: tokens.ada })).toEqual([]);

    const hook = await call(jwt, 'POST', 'webhooks', body, { token: tokens.ada });
    expect(hook.status).toBe(201);
    expect(hook.json).toMatchObject({ createdBy: 'ada' });
    const { id } = hook.json as { id: string };
    expect((await call(jwt, 'GET', `webhooks/${id}/failures`, undefined, as)).status).toBe(403);
    expect((await call(jwt, 'DELETE', `webhooks/${id}`, undefined, as)).status).toBe(403);
    expect((await list(jwt, { token: tokens.ada })).map((h) => h.id)).toEqual([id]);
  });
});
