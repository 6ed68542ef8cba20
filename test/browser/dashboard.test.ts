/**
 * The dashboard in Debian's Chromium (headless, playwright-core) against the real local tracker in
 * jwt mode, on data published through the API: each view, live updates, actions, permissions,
 * sign-in, errors, keyboard use, an axe-core check, and the README's screenshots.
 * Skipped (with a message) only when /usr/bin/chromium is absent.
 */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../client/errors.js';
import type { Node } from '../../client/types.js';
import { cellState } from '../../dashboard/src/states.js';
import {
  hasChromium,
  launchChromium,
  rowStates,
  seed,
  SEED,
  signedInContext,
  SITES,
  startFixture,
  until,
  type Fixture,
  type UserName,
} from './support.js';

// Browser globals, for the functions evaluated in the page (this file compiles without the DOM's types).
interface PageElement {
  tagName: string;
  id: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
}
declare const document: { activeElement: PageElement | null };
declare const location: { hash: string };
declare const localStorage: { length: number };
declare const sessionStorage: { getItem(key: string): string | null };
declare function getComputedStyle(element: PageElement): { outlineStyle: string; backgroundColor: string };

/** The README's copies with `npm run screenshots`; elsewhere taken all the same, into a temporary folder. */
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS
  ? join(process.cwd(), 'docs', 'screenshots')
  : await mkdtemp(join(tmpdir(), 'syncplanet-screenshots-'));
const AXE = join(process.cwd(), 'node_modules', 'axe-core', 'axe.min.js');
/** The bound for a change to show on an open page. */
const LIVE_MS = 2000;

let f: Fixture;
let browser: Browser;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!hasChromium) return;
  f = await startFixture(`dash${process.pid}`);
  await seed(f);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await f?.tracker.close();
  if (!process.env.UPDATE_SCREENSHOTS) await rm(SCREENSHOTS, { recursive: true, force: true });
});

/**
 * A new tab as `user` (undefined: not signed in; `{token}`: that token) on `hash`, e.g. `#/sites`.
 * `axe`: the page's Content-Security-Policy is bypassed, so axe-core's script tag may be added.
 */
async function open(
  user: UserName | undefined | { token: string },
  hash: string,
  axe = false,
): Promise<Page> {
  const token = typeof user === 'object' ? user.token : user && f.tokens[user];
  const context = await signedInContext(browser, token, axe);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${f.tracker.url}/${hash}`);
  return page;
}

const close = (page: Page) => page.context().close();
const rowsOf = (page: Page) => page.locator('tr.row');
const fileIds = () => [...SEED.shotFiles, ...SEED.late].map((name) => SEED.folder + name).sort();

async function openFolder(user: UserName, folder = SEED.folder): Promise<Page> {
  const page = await open(user, `#/files${folder}`);
  await expect.poll(() => page.locator('tr.row td.state').count(), { timeout: 15_000 }).toBeGreaterThan(0);
  return page;
}

async function openPanel(page: Page, id: string): Promise<void> {
  await page.locator(`tr[data-id="${id}"]`).click();
  await page.locator('#panel-title', { hasText: id }).waitFor();
}

async function readNode(id: string): Promise<Node> {
  return (await f.as.ada.read(id)).body;
}

/** Serious and critical axe-core violations on the page as it is. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
    r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) })))`);
  return (violations as { id: string; impact: string; nodes: string[] }[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.join(', ')}`);
}

describe.skipIf(!hasChromium)('dashboard in Chromium', () => {
  it('the Sites view lists the volumes with their agent, capacity, backlog and errors', async () => {
    const page = await open('ada', '#/sites');
    const cards = page.locator('section.card.site');
    await expect.poll(() => cards.count(), { timeout: 15_000 }).toBe(SITES.length);
    const stats = new Map((await f.as.ada.stats()).body.sites.map((s) => [s.site, s]));
    for (const site of SITES) {
      const card = cards.filter({ has: page.getByRole('heading', { name: site, exact: true }) });
      const text = (await card.textContent()) ?? '';
      expect(text).toContain(site === 'farm' ? 'agent off' : 'agent on');
      const s = stats.get(site)!;
      expect(text).toContain(`${s.pending} files`);
      for (const [code, n] of Object.entries(s.errors ?? {})) expect(text).toContain(`${n} × code ${code}`);
    }
    const london = page.getByRole('meter', { name: 'Capacity of london' });
    expect(await london.getAttribute('aria-valuetext')).toBe('3.7 TB of 4.0 TB used (92%)');
    await close(page);
  });

  it('the Files view shows the per-site state of each file of a folder, by colour and by text', async () => {
    const page = await openFolder('ada');
    const ids = fileIds();
    await expect.poll(() => rowsOf(page).count()).toBe(ids.length);
    expect(await rowsOf(page).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')))).toEqual(ids);
    const nodes = (await f.as.ada.read(ids)).body as Node[];
    const sites = [...SITES].sort();
    const seen = new Map<string, string>();
    for (const node of nodes) {
      const expected = sites.map((site) => {
        const cell = cellState(node, site);
        return `${cell.icon} ${cell.label}`;
      });
      await expect.poll(() => rowStates(page, node._id)).toEqual(expected);
      for (const [i, site] of sites.entries()) {
        const cell = page.locator(`tr[data-id="${node._id}"] td.state`).nth(i);
        seen.set(
          cellState(node, site).state,
          await cell.evaluate((td) => getComputedStyle(td as unknown as PageElement).backgroundColor),
        );
      }
    }
    // The folder holds every state, each with its own colour.
    expect([...seen.keys()].sort()).toEqual(['current', 'error', 'missing', 'outdated', 'syncing']);
    expect(new Set(seen.values()).size).toBe(5);
    expect(await page.locator('.subfolders').count()).toBe(0);
    await close(page);
  });

  it('lists subfolders and opens them; a file path opens its folder with its panel', async () => {
    const page = await open('ada', '#/files/');
    // At the root, listing subfolders reads every node: only on request.
    await page.getByRole('button', { name: 'List the top-level folders' }).click();
    await page.getByRole('navigation', { name: 'Subfolders' }).getByRole('link', { name: 'proj/' }).click();
    await page.getByRole('navigation', { name: 'Subfolders' }).getByRole('link', { name: 'seq010/' }).click();
    await page.getByRole('navigation', { name: 'Subfolders' }).getByRole('link', { name: 'sh0020/' }).click();
    await expect.poll(() => page.locator('#search-box').inputValue()).toBe('/proj/seq010/sh0020/');
    await expect.poll(() => rowsOf(page).count()).toBe(SEED.shotFiles.length);
    await page.locator('#search-box').fill(`${SEED.folder}cam.fbx`);
    await page.keyboard.press('Enter');
    await page.locator('#panel-title', { hasText: `${SEED.folder}cam.fbx` }).waitFor();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe(`#/files${SEED.folder}`);
    await close(page);
  });

  it('a guest sees no editing controls; a user may lock and comment but not edit keys', async () => {
    const guest = await openFolder('gus');
    await openPanel(guest, `${SEED.folder}cam.fbx`);
    const panel = guest.locator('aside.panel');
    expect(await panel.getByRole('heading', { name: 'Actions' }).count()).toBe(0);
    expect(
      await panel.locator('button').evaluateAll((b) => b.map((x) => x.getAttribute('aria-label'))),
    ).toEqual(['Close the file panel']);
    expect(await panel.locator('input, select, textarea').count()).toBe(0);
    await close(guest);

    const user = await openFolder('uma');
    await openPanel(user, `${SEED.folder}cam.fbx`);
    const actions = user.locator('section.actions');
    await actions.getByRole('button', { name: 'Lock' }).waitFor();
    expect(await actions.getByRole('button', { name: 'Add comment' }).count()).toBe(1);
    expect(await actions.getByRole('button', { name: 'Set priority' }).count()).toBe(0);
    expect(await actions.getByRole('button', { name: 'Send' }).count()).toBe(0);
    await close(user);
  });

  it('a bad search shows its error: the server text for a refused query, a message for bad JSON', async () => {
    const page = await openFolder('ada');
    const query = '_id:/(a+)+$/';
    const refused = await f.as.ada.search(query).then(
      () => undefined,
      (error: unknown) => (error as ApiError).message,
    );
    expect(refused).toMatch(/^Search error: /);
    await page.locator('#search-box').fill(query);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain(refused);

    await page.getByLabel('Mongo filter (JSON)').check();
    await page.locator('#search-box').fill('{"origin": ');
    await page.getByRole('button', { name: 'Go' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not valid JSON');

    await page.locator('#search-box').fill('{"$where": "true"}');
    await page.getByRole('button', { name: 'Go' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/Search_mongo error|error:/i);

    // A good query lists its files.
    await page.getByLabel('Mongo filter (JSON)').uncheck();
    await page.locator('#search-box').fill('origin:london');
    await page.keyboard.press('Enter');
    const london = (await f.as.ada.search('origin:london')).body;
    await expect
      .poll(() => page.locator('.summary').first().textContent())
      .toContain(`${london.length} files`);
    await close(page);
  });

  it('keyboard: Tab reaches the view links, the search box and the rows; arrows move; Enter opens a panel', async () => {
    const page = await openFolder('ada');
    const seen: string[] = [];
    for (let i = 0; i < 40 && !seen.includes('row'); i++) {
      await page.keyboard.press('Tab');
      const { what, outline } = await page.evaluate(() => {
        const el = document.activeElement!;
        const what =
          el.tagName === 'TR'
            ? 'row'
            : el.id === 'search-box'
              ? 'search'
              : el.tagName === 'A'
                ? `link:${el.textContent?.trim()}`
                : el.tagName.toLowerCase();
        return { what, outline: getComputedStyle(el).outlineStyle };
      });
      seen.push(what);
      expect(outline, `visible focus on ${what}`).not.toBe('none');
    }
    expect(seen).toEqual(
      expect.arrayContaining(['link:Sites', 'link:Files', 'link:Activity', 'search', 'row']),
    );
    expect(seen.indexOf('search')).toBeLessThan(seen.indexOf('row'));
    await page.keyboard.press('ArrowDown');
    const second = fileIds()[1]!;
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-id')))
      .toBe(second);
    await page.keyboard.press('Enter');
    await page.locator('#panel-title', { hasText: second }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('panel-title');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('aside.panel').count()).toBe(0);
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-id')))
      .toBe(second);
    await close(page);
  });

  it('a 401 leads to the sign-in form: no token, a bad token, a token revoked while the page is open', async () => {
    const anonymous = await open(undefined, '#/sites');
    await anonymous.getByRole('heading', { name: 'Sign in to SyncPlanet' }).waitFor();
    await close(anonymous);

    const bad = await open({ token: 'not-a-token' }, '#/sites');
    await bad.getByRole('heading', { name: 'Sign in to SyncPlanet' }).waitFor();
    expect(await bad.locator('.sign-in').textContent()).toContain('Please sign in again');
    await close(bad);

    const made = (await f.as.uma.createToken('dashboard test')).body;
    const page = await open({ token: made.token }, '#/sites');
    await page.getByRole('heading', { name: 'Sites' }).waitFor();
    await f.as.uma.revokeToken(made.id);
    await page.getByRole('link', { name: 'Files' }).click();
    await page.getByRole('heading', { name: 'Sign in to SyncPlanet' }).waitFor();
    // Signing in again returns to the view, with a token kept for this tab only.
    await page.getByLabel('User name').fill('uma');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/error/i);
    await page.getByLabel('Password').fill('uma-secret-pw');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Files' }).waitFor();
    expect(
      await page.evaluate(() => [localStorage.length, sessionStorage.getItem('syncplanet.token') !== null]),
    ).toEqual([0, true]);
    await close(page);
  });

  it('publishing a file and reporting sync results update the open page within two seconds', async () => {
    const page = await openFolder('ada');
    await expect.poll(() => page.locator('.live').textContent(), { timeout: 10_000 }).toContain('Live');
    const id = `${SEED.folder}live_v001.exr`;
    await f.as.uma.publish({
      _id: id,
      origin: 'paris',
      comment: 'live',
      sync_priority: 1000,
      file_size: 1_000_000,
    });
    await expect.poll(() => page.locator(`tr[data-id="${id}"]`).count(), { timeout: LIVE_MS }).toBe(1);
    await expect.poll(() => rowStates(page, id), { timeout: LIVE_MS }).toContain('○ missing');

    // Claimed at london (the queue gets it from the stream a moment after the publish).
    await until('the file at the head of the london queue', async () =>
      (await f.as.ada.queue('london', 1)).body[0]?._id === id ? true : undefined,
    );
    expect((await f.as.ada.claim({ site: 'london', limit: 1 })).body.map((p) => p._id)).toEqual([id]);
    await expect.poll(async () => (await rowStates(page, id))[1], { timeout: LIVE_MS }).toBe('⇣ syncing');
    await f.as.ada.results({ site: 'london', results: [{ _id: id, ok: true }] });
    await expect.poll(async () => (await rowStates(page, id))[1], { timeout: LIVE_MS }).toBe('✓ current');

    await until('the file at the head of the montreal queue', async () =>
      (await f.as.ada.queue('montreal', 1)).body[0]?._id === id ? true : undefined,
    );
    await f.as.ada.claim({ site: 'montreal', limit: 1 });
    await f.as.ada.results({ site: 'montreal', results: [{ _id: id, error: 23, message: 'vanished' }] });
    await expect.poll(async () => (await rowStates(page, id))[2], { timeout: LIVE_MS }).toBe('✕ error 23');
    await close(page);
  });

  it('editor actions change the node (read back over the API) and show their result or the server error', async () => {
    const page = await openFolder('eve');
    const id = `${SEED.folder}plate_v001.exr`;
    await openPanel(page, id);
    const actions = page.locator('section.actions');
    const status = () => actions.getByRole('status').textContent();

    await actions.getByLabel('Sync priority').fill('7');
    await actions.getByRole('button', { name: 'Set priority' }).click();
    await expect.poll(status).toBe('Priority set to 7.');
    expect((await readNode(id)).sync_priority).toBe(7);

    await actions.getByRole('button', { name: 'Lock' }).click();
    await expect.poll(status).toBe('Locked.');
    expect((await readNode(id)).lock).toBe('eve');
    await expect.poll(() => page.locator('.lock-line').textContent()).toBe('Locked by eve');

    const site = await actions.getByLabel('Send to site').inputValue();
    await actions.getByRole('button', { name: 'Send' }).click();
    await expect.poll(status).toContain(`Sent to ${site}`);
    expect((await readNode(id))[`sync_${site}`]).toBe(true);

    await actions.getByLabel('Comment').fill('Please check the grain');
    await actions.getByRole('button', { name: 'Add comment' }).click();
    await expect.poll(status).toBe('Comment added.');
    await expect.poll(() => page.locator('ol.history').textContent()).toContain('Please check the grain');
    const children = (await f.as.ada.searchMongo({ query: { '#parent': id } })).body.ids;
    const comments = ((await f.as.ada.read(children)).body as Node[]).map((n) => n.comment);
    expect(comments).toContain('Please check the grain');

    // Retry a failed transfer: its error keys are cleared, so the pair is due again.
    const nodes = (await f.as.ada.read(fileIds())).body as Node[];
    const failed = nodes.find((n) => SITES.some((s) => n[`syncError_${s}`] !== undefined))!;
    const errorSite = SITES.find((s) => failed[`syncError_${s}`] !== undefined)!;
    await page.locator('aside.panel').getByRole('button', { name: 'Close the file panel' }).click();
    await openPanel(page, failed._id);
    await actions.getByRole('button', { name: `Retry the transfer to ${errorSite}` }).click();
    await expect.poll(status).toBe(`Retry at ${errorSite} is due now.`);
    const retried = await readNode(failed._id);
    expect(retried[`syncError_${errorSite}`]).toBeUndefined();
    expect(retried[`syncLastAttempt_${errorSite}`]).toBeUndefined();

    // Unlocking uma's lock is refused: the server's own text is shown.
    const locked = `${SEED.folder}comp_v002.nk`;
    const refusal = await f.as.eve.unlock(locked).then(
      () => '',
      (error: unknown) => (error as ApiError).message,
    );
    expect(refusal).toMatch(/^Unlock error: /);
    await page.locator('aside.panel').getByRole('button', { name: 'Close the file panel' }).click();
    await openPanel(page, locked);
    await actions.getByRole('button', { name: 'Unlock' }).click();
    await expect.poll(() => actions.getByRole('alert').textContent()).toContain(refusal);
    expect((await readNode(locked)).lock).toBe('uma');
    await close(page);
  });

  it('axe-core finds no serious or critical violation on any view', async () => {
    const signIn = await open(undefined, '#/sites', true);
    await signIn.getByRole('heading', { name: 'Sign in to SyncPlanet' }).waitFor();
    expect(await axeViolations(signIn)).toEqual([]);
    await close(signIn);

    const page = await open('ada', '#/sites', true);
    await page.locator('section.card.site').first().waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('link', { name: 'Files' }).click();
    await page.goto(`${f.tracker.url}/#/files${SEED.folder}`);
    await page.locator('tr.row td.state').first().waitFor();
    await openPanel(page, `${SEED.folder}comp_v001.nk`);
    await page.locator('ol.history').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('link', { name: 'Activity' }).click();
    await page.getByRole('heading', { name: 'Current failures' }).waitFor();
    await page.locator('table.failures').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await close(page);
  });

  it('takes the README screenshots of each view (1280×800, each under 300 KB)', async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    const page = await open('ada', '#/sites');
    await page.locator('section.card.site').first().waitFor();
    await expect.poll(() => page.locator('.live').textContent(), { timeout: 10_000 }).toContain('Live');
    // A few transfers while the page watches: live events, and a rate for the catch-up estimates.
    for (const site of ['london', 'montreal']) {
      const pairs = (await f.as.ada.claim({ site, limit: 12 })).body;
      await f.as.ada.results({
        site,
        results: pairs
          .slice(0, 9)
          .map((p, i) => (i === 4 ? { _id: p._id, error: 23 } : { _id: p._id, ok: true })),
      });
    }
    await expect
      .poll(() => page.locator('.card.site').filter({ hasText: 'files/min' }).count(), { timeout: 5000 })
      .toBeGreaterThan(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'sites.png') });

    await page.goto(`${f.tracker.url}/#/files${SEED.folder}`);
    await page.locator('tr.row td.state').first().waitFor();
    await openPanel(page, `${SEED.folder}comp_v001.nk`);
    await page.locator('ol.history li').first().waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'files.png') });

    await page.getByRole('link', { name: 'Activity' }).click();
    await page.locator('table.failures').waitFor();
    await page.locator('ol.events li').first().waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'activity.png') });
    await close(page);
    for (const name of ['sites', 'files', 'activity'])
      expect((await stat(join(SCREENSHOTS, `${name}.png`))).size).toBeLessThan(300 * 1024);
  });

  it('no page error was thrown in any test', () => {
    expect(pageErrors).toEqual([]);
  });
});
