/** Waiting for the site registry, which the nodes stream keeps current a moment after each write. */
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
