/** Open mode: no sign-in, the anonymous caller is an admin with every action. Skipped without Chromium. */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrackerClient } from '../../client/api-client.js';
import { buildDashboard } from '../../dashboard/build.js';
import type { LocalTracker } from '../../local/runtime.js';
import { startTestTracker } from '../support/tracker.js';
import { hasChromium, launchChromium, signedInContext } from './support.js';

let t: LocalTracker;
let browser: Browser;

beforeAll(async () => {
  if (!hasChromium) return;
  [t] = await Promise.all([
    startTestTracker({ auth: 'open', tablePrefix: `open${process.pid}` }),
    buildDashboard(),
  ]);
  await new TrackerClient({ server: t.url }).publish({ _id: '/open/a.txt', origin: 'here', comment: 'c' });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe.skipIf(!hasChromium)('open mode', () => {
  it('needs no sign-in and offers every action', async () => {
    const context = await signedInContext(browser, undefined);
    const page = await context.newPage();
    await page.goto(`${t.url}/#/files/open/`);
    await page.locator('tr[data-id="/open/a.txt"]').click();
    await page.getByRole('button', { name: 'Lock' }).waitFor();
    expect(await page.locator('.who').textContent()).toContain('open mode (admin)');
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Set priority' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Lock' }).click();
    await expect.poll(() => page.locator('.lock-line').textContent()).toBe('Locked by anonymous');
    await context.close();
  });
});
