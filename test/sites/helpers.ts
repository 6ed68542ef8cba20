/**
 * Signed-in users, volumes, and waiting for the site registry, which the nodes stream keeps current
 * a moment after each write.
 */
import { expect } from 'vitest';
import { addUser } from '../../functions/core/ops/accounts.js';
import type { UserClass } from '../../functions/core/permissions.js';
import type { LocalTracker } from '../../local/runtime.js';
import { call } from '../support/tracker.js';

export interface SiteReply {
  _id: string;
  name: string;
  agentStatus: 'on' | 'off';
  lastHeartbeat: number | null;
  [key: string]: unknown;
}

/** Polls `GET sites` until `ready` holds (at most 15 s); answers the last list. */
export async function waitForSites(
  tracker: { apiUrl: string },
  ready: (sites: SiteReply[]) => boolean,
  token?: string,
): Promise<SiteReply[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const reply = await call(tracker, 'GET', 'sites', undefined, token === undefined ? {} : { token });
    const sites = reply.status === 200 ? (reply.json as SiteReply[]) : [];
    if (ready(sites)) return sites;
    if (Date.now() > deadline) throw new Error(`sites not ready: ${reply.status} ${reply.text}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `GET sites` once. */
export const readSites = (tracker: { apiUrl: string }, token?: string) =>
  waitForSites(tracker, () => true, token);

export const named = (sites: SiteReply[], name: string) => sites.find((s) => s.name === name);

/** Adds each user (password `<name>-pw`) and signs them in; answers their session tokens by name. */
export async function signedIn(
  t: LocalTracker,
  users: readonly (readonly [string, UserClass])[],
): Promise<Record<string, string>> {
  const tokens: Record<string, string> = {};
  for (const [username, userClass] of users) {
    await addUser(t.tracker.store, t.tracker.auth, { username, userClass, password: `${username}-pw` });
    const reply = await call(t, 'POST', 'signIn', { username, password: `${username}-pw` });
    tokens[username] = (reply.json as { token: string }).token;
  }
  return tokens;
}

/** Creates volumes (201, with an admin's `token` in jwt mode) and waits until `GET sites` lists them. */
export async function createVolumes(
  t: LocalTracker,
  volumes: readonly { _id: string }[],
  token?: string,
): Promise<void> {
  const made = await call(t, 'POST', 'create', volumes, token === undefined ? {} : { token });
  expect(made.status, made.text).toBe(201);
  await waitForSites(t, (sites) => volumes.every((v) => sites.some((s) => s._id === v._id)), token);
}
