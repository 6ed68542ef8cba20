/**
 * Browser test support: Debian's Chromium driven by playwright-core (never a downloaded browser),
 * a jwt-mode tracker with one user of each class, and a realistic data set published through the
 * API (four sites with heartbeats, ~260 files current, outdated, syncing, in error and missing).
 */
import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { TrackerClient, type TransferResult } from '../../client/api-client.js';
import type { PublishInput } from '../../client/types.js';
import { buildDashboard } from '../../dashboard/build.js';
import { CHROMIUM_PATH, TOKEN_KEY, VIEWPORT } from '../../dashboard/measure.js';
import { addUser } from '../../functions/core/ops/accounts.js';
import type { LocalTracker } from '../../local/runtime.js';
import { startTestTracker } from '../support/tracker.js';

export { launchChromium } from '../../dashboard/measure.js';

export const hasChromium = existsSync(CHROMIUM_PATH);
if (!hasChromium)
  console.warn(`browser tests skipped: ${CHROMIUM_PATH} is missing (apt-get install chromium; .ci/run does)`);

export const USERS = {
  ada: 'admin',
  eve: 'editor',
  uma: 'user',
  gus: 'guest',
} as const;
export type UserName = keyof typeof USERS;

export interface Fixture {
  tracker: LocalTracker;
  /** A client per user, signed in. */
  as: Record<UserName, TrackerClient>;
  tokens: Record<UserName, string>;
}

const password = (name: string) => `${name}-secret-pw`;

/** A jwt-mode tracker with a user of each class, signed in; the dashboard built. */
export async function startFixture(prefix: string): Promise<Fixture> {
  const [tracker] = await Promise.all([
    startTestTracker({ auth: 'jwt', tablePrefix: prefix }),
    buildDashboard(),
  ]);
  const as = {} as Record<UserName, TrackerClient>;
  const tokens = {} as Record<UserName, string>;
  for (const [username, userClass] of Object.entries(USERS) as [UserName, string][]) {
    await addUser(tracker.tracker.store, tracker.tracker.auth, {
      username,
      userClass: userClass as 'guest',
      password: password(username),
    });
    const client = new TrackerClient({ server: tracker.url });
    tokens[username] = (await client.signIn(username, password(username))).body.token;
    client.token = tokens[username];
    as[username] = client;
  }
  return { tracker, as, tokens };
}

/** A browser context whose tab starts signed in as `user` (the token the page keeps in sessionStorage). */
export async function signedInContext(
  browser: Browser,
  token: string | undefined,
  bypassCSP = false,
): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: VIEWPORT,
    timezoneId: 'UTC',
    locale: 'en-GB',
    bypassCSP,
  });
  if (token)
    await context.addInitScript({
      content: `sessionStorage.setItem(${JSON.stringify(TOKEN_KEY)}, ${JSON.stringify(token)})`,
    });
  return context;
}

export const SITES = ['paris', 'london', 'montreal', 'farm'] as const;
const TB = 1024 ** 4;

export const SEED = {
  shots: ['seq010', 'seq020', 'seq030'].flatMap((seq) =>
    Array.from({ length: 10 }, (_, i) => `/proj/${seq}/sh${String((i + 1) * 10).padStart(4, '0')}/`),
  ),
  shotFiles: [
    'plate_v001.exr',
    'plate_v002.exr',
    'comp_v001.nk',
    'comp_v002.nk',
    'render_v001.exr',
    'anim.abc',
    'cam.fbx',
    'notes.txt',
  ],
  assets: Array.from({ length: 20 }, (_, i) => `/proj/assets/char${String(i + 1).padStart(2, '0')}.usd`),
  /** The folder the tests look at most. */
  folder: '/proj/seq010/sh0010/',
  /** Published into it after the transfers: missing everywhere but at their origin. */
  late: ['layout_v001.ma', 'layout_v002.ma'],
};

const sizeOf = (id: string) =>
  id.endsWith('.exr')
    ? 24_000_000
    : id.endsWith('.abc')
      ? 180_000_000
      : id.endsWith('.usd')
        ? 60_000_000
        : 200_000;

/** Polls until `ready` answers a value (at most `ms`). */
export async function until<T>(what: string, ready: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await ready();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The data set: volumes with heartbeats (farm's agent never reported: off), files published from
 * paris and london, transfers claimed at the other sites with results ok / failed / still running,
 * a few files modified at paris after their copies (outdated), a lock and comments.
 */
export async function seed(f: Fixture): Promise<void> {
  const admin = f.as.ada;
  await admin.create(
    SITES.map((name) => ({
      _id: `vol-${name}`,
      name,
      url: `ssh://sync@${name}.example.net/vol/proj/`,
      enableReception: true,
    })),
  );
  await until('the site registry', async () =>
    (await admin.sites()).body.length === SITES.length ? true : undefined,
  );
  const heartbeats = [
    {
      site: 'paris',
      agentStatus: 'on',
      agentVersion: '1.4.0',
      bytesTotal: 8 * TB,
      bytesUsed: Math.round(5.2 * TB),
    },
    {
      site: 'london',
      agentStatus: 'on',
      agentVersion: '1.4.0',
      bytesTotal: 4 * TB,
      bytesUsed: Math.round(3.7 * TB),
    },
    {
      site: 'montreal',
      agentStatus: 'on',
      agentVersion: '1.3.2',
      bytesTotal: 16 * TB,
      bytesUsed: Math.round(4.1 * TB),
    },
  ];
  for (const beat of heartbeats) await admin.heartbeat({ ...beat, heartbeatInterval: 600 });

  const files: PublishInput[] = [
    ...SEED.shots.flatMap((shot, s) =>
      SEED.shotFiles.map((name) => ({
        _id: shot + name,
        origin: s % 7 === 3 ? 'london' : 'paris',
        comment: `published ${name}`,
        file_size: sizeOf(name),
      })),
    ),
    ...SEED.assets.map((id) => ({ _id: id, origin: 'paris', comment: 'asset', file_size: sizeOf(id) })),
  ];
  await f.as.uma.publish(files);
  // Transfers: at each site, of the pairs claimed, most succeed, some fail, some stay in progress.
  const plan = { london: [150, 5], montreal: [120, 7], farm: [60, 4] } as const;
  for (const [site, [count, every]] of Object.entries(plan)) {
    const claimed = await until(`claims at ${site}`, async () => {
      const pairs: string[] = [];
      for (let round = 0; round < 4 && pairs.length < count; round++) {
        const got = (await admin.claim({ site, limit: 100 })).body.map((p) => p._id);
        pairs.push(...got);
        if (got.length === 0) break;
      }
      return pairs.length >= Math.min(count, 40) ? pairs.slice(0, count) : undefined;
    });
    const results = claimed.flatMap((id, i): TransferResult[] => {
      if (i % every === 1) return []; // still syncing
      if (i % every === 2) return [{ _id: id, error: i % 3 ? 23 : 255, message: 'rsync: link_stat failed' }];
      return [{ _id: id, ok: true }];
    });
    await admin.results({ site, results });
  }
  // Modified at paris after the copies were made: the other copies are outdated.
  const modified = SEED.shotFiles.slice(0, 2).map((name) => ({
    _id: SEED.folder + name,
    change: 'modified' as const,
    file_size: 25_000_000,
    file_mtime: Date.now(),
  }));
  await admin.scanned('paris', modified);
  await f.as.uma.publish(
    SEED.late.map((name) => ({
      _id: SEED.folder + name,
      origin: 'paris',
      comment: 'layout',
      file_size: 3_000_000,
    })),
  );
  await f.as.uma.lock(`${SEED.folder}comp_v002.nk`);
  await f.as.uma.comment({
    '#parent': `${SEED.folder}comp_v001.nk`,
    comment: 'Roto fixed on frames 1001-1040',
  });
}

/** The page's text of each site cell of the row of `id` (icon hidden from assistive tech). */
export async function rowStates(page: Page, id: string): Promise<string[]> {
  return page
    .locator(`tr[data-id="${id}"] td.state`)
    .evaluateAll((cells) => cells.map((c) => (c.textContent ?? '').replace(/\s+/g, ' ').trim()));
}
