/** jwt mode: signIn, verify, class permissions, API tokens, password changes, authorMode. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, changePassword } from '../../functions/core/ops/accounts.js';
import type { LocalTracker } from '../../local/runtime.js';
import { call, startTestTracker } from '../support/tracker.js';

let t: LocalTracker;
const tokens: Record<string, string> = {};

async function signIn(username: string, password: string, extra: Record<string, string> = {}) {
  const form = new URLSearchParams({ username, password, ...extra }).toString();
  return call(t, 'POST', 'signIn', undefined, {
    raw: form,
    contentType: 'application/x-www-form-urlencoded',
  });
}

beforeAll(async () => {
  t = await startTestTracker({ auth: 'jwt', authorMode: true });
  const { store, auth } = t.tracker;
  for (const [username, userClass] of [
    ['ada', 'admin'],
    ['ed', 'editor'],
    ['uma', 'user'],
    ['gus', 'guest'],
  ] as const) {
    await addUser(store, auth, { username, userClass, password: `${username}-secret` });
    const r = await signIn(username, `${username}-secret`);
    tokens[username] = (r.json as { token: string }).token;
  }
});
afterAll(() => t?.close());

describe('signIn and verify', () => {
  it('answers {_id, user, token} without any password hash, by form or JSON', async () => {
    const r = await signIn('ed', 'ed-secret');
    expect(r.status).toBe(200);
    const body = r.json as { _id: string; user: Record<string, unknown>; token: string };
    expect(body._id).toBe('@ed');
    expect(body.user).toMatchObject({ username: 'ed', class: 'editor' });
    expect(r.text).not.toMatch(/scrypt|password/i);
    const json = await call(t, 'POST', 'signIn', { username: 'ed', password: 'ed-secret', expiresIn: '2h' });
    expect(json.status).toBe(200);
  });

  it('refuses wrong passwords and unknown users with 401', async () => {
    expect((await signIn('ed', 'wrong')).status).toBe(401);
    const unknown = await signIn('nobody', 'x');
    expect(unknown.status).toBe(401);
    expect(unknown.text).toMatch(/^SignIn error: /);
    expect((await call(t, 'POST', 'signIn', { username: 'ed' })).status).toBe(401);
    expect((await call(t, 'POST', 'signIn', { username: ['ed'], password: 'ed-secret' })).status).toBe(401);
  });

  it('verify answers the user node; no or bad token is 401', async () => {
    const me = await call(t, 'GET', 'verify', undefined, { token: tokens.uma });
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ _id: '@uma', class: 'user' });
    expect((await call(t, 'GET', 'verify')).status).toBe(401);
    expect((await call(t, 'GET', 'verify', undefined, { token: '' })).status).toBe(401);
    expect((await call(t, 'GET', 'verify', undefined, { token: `${tokens.uma}x` })).status).toBe(401);
  });

  it('refuses a bad expiresIn with 400', async () => {
    expect((await signIn('ed', 'ed-secret', { expiresIn: 'forever' })).status).toBe(400);
  });

  it('refuses malformed token requests with 400', async () => {
    expect((await call(t, 'POST', 'tokens', { name: 5 }, { token: tokens.uma })).status).toBe(400);
    expect((await call(t, 'POST', 'tokens', [], { token: tokens.uma })).status).toBe(400);
    expect((await call(t, 'POST', 'tokens', { username: 'ed' }, { token: tokens.uma })).status).toBe(403);
  });
});

describe('class permissions', () => {
  it('guests read; users create; editors update and delete; admins manage users', async () => {
    expect((await call(t, 'POST', 'create', { _id: '/perm/1' }, { token: tokens.gus })).status).toBe(403);
    expect((await call(t, 'POST', 'create', { _id: '/perm/1' }, { token: tokens.uma })).status).toBe(201);
    expect(
      (await call(t, 'GET', `read/${encodeURIComponent('/perm/1')}`, undefined, { token: tokens.gus }))
        .status,
    ).toBe(200);
    expect((await call(t, 'PUT', 'update', { _id: '/perm/1', a: 1 }, { token: tokens.uma })).status).toBe(
      403,
    );
    expect((await call(t, 'PUT', 'update', { _id: '/perm/1', a: 1 }, { token: tokens.ed })).status).toBe(200);
    expect(
      (await call(t, 'POST', 'create', { _id: '@eve', class: 'admin' }, { token: tokens.ed })).status,
    ).toBe(403);
    const made = await call(
      t,
      'POST',
      'create',
      { _id: '@eve', class: 'user', password: 'eve-pw' },
      { token: tokens.ada },
    );
    expect(made.status).toBe(201);
    expect(made.text).not.toMatch(/eve-pw/);
    expect((await signIn('eve', 'eve-pw')).status).toBe(200);
    expect((await call(t, 'DELETE', 'delete', '/perm/1', { token: tokens.ed })).status).toBe(200);
  });

  it('sets author from the token; only admins may set author or time', async () => {
    const r = await call(
      t,
      'POST',
      'create',
      { _id: '/perm/2', author: 'mallory', time: 1 },
      { token: tokens.uma },
    );
    expect(r.json).toMatchObject({ author: 'uma' });
    expect((r.json as { time: number }).time).toBeGreaterThan(1);
    const admin = await call(
      t,
      'POST',
      'create',
      { _id: '/perm/3', author: 'mallory' },
      { token: tokens.ada },
    );
    expect(admin.json).toMatchObject({ author: 'mallory' });
  });

  it('authorMode: users may lock only nodes they authored', async () => {
    await call(t, 'POST', 'create', { _id: '/perm/by-ed' }, { token: tokens.ed });
    expect((await call(t, 'PUT', 'lock', '/perm/by-ed', { token: tokens.uma })).status).toBe(403);
    expect((await call(t, 'PUT', 'lock', '/perm/2', { token: tokens.uma })).status).toBe(200);
  });
});

describe('API tokens', () => {
  it('creates, uses, lists and revokes a token; the secret is shown once and stored hashed', async () => {
    const made = await call(t, 'POST', 'tokens', { name: 'agent paris' }, { token: tokens.uma });
    expect(made.status).toBe(201);
    const { id, token } = made.json as { id: string; token: string };
    expect(token).toMatch(/^spt_/);
    expect((await call(t, 'GET', 'verify', undefined, { token })).json).toMatchObject({ _id: '@uma' });
    const listed = await call(t, 'GET', 'tokens', undefined, { token: tokens.uma });
    expect(listed.json).toEqual([expect.objectContaining({ id, name: 'agent paris', username: 'uma' })]);
    // the secret is everything after `spt_<id>_` (it may itself hold '_')
    expect(listed.text).not.toContain(token.slice(`spt_${id}_`.length));
    expect((await call(t, 'DELETE', `tokens/${id}`, undefined, { token: tokens.ed })).status).toBe(404);
    expect((await call(t, 'GET', 'tokens', undefined, { token: tokens.gus })).status).toBe(403);
    expect((await call(t, 'DELETE', `tokens/${id}`, undefined, { token: tokens.uma })).status).toBe(200);
    expect((await call(t, 'GET', 'verify', undefined, { token })).status).toBe(401);
  });
});

describe('password change', () => {
  it('revokes session tokens issued before it', async () => {
    const old = (await signIn('gus', 'gus-secret')).json as { token: string };
    await changePassword(t.tracker.store, t.tracker.auth, 'gus', 'new-secret');
    expect((await call(t, 'GET', 'verify', undefined, { token: old.token })).status).toBe(401);
    const fresh = (await signIn('gus', 'new-secret')).json as { token: string };
    expect((await call(t, 'GET', 'verify', undefined, { token: fresh.token })).status).toBe(200);
  });

  it('never exposes user passwords through reads or searches', async () => {
    const r = await call(t, 'GET', `search/${encodeURIComponent('_id:/^@/')}`, undefined, {
      token: tokens.ada,
    });
    const users = await call(t, 'POST', 'read', r.json, { token: tokens.ada });
    expect(users.text).not.toMatch(/scrypt|secret|password/);
  });
});
