/**
 * A folder of 2,000 files: the table keeps only the rows in view in the page, loads the nodes of
 * the rows shown page by page, scrolls to the end by mouse or keyboard; and dashboard/measure.ts
 * (the benchmark's time to first render) measures it. Skipped when /usr/bin/chromium is absent.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstRenderMs } from '../../dashboard/measure.js';
import {
  hasChromium,
  launchChromium,
  signedInContext,
  startFixture,
  until,
  type Fixture,
} from './support.js';

const FILES = 2000;
const FOLDER = '/big/';
const idOf = (i: number) => `${FOLDER}f${String(i).padStart(5, '0')}.exr`;

let f: Fixture;
let browser: Browser;

beforeAll(async () => {
  if (!hasChromium) return;
  f = await startFixture(`big${process.pid}`);
  await f.as.ada.create(['A', 'B'].map((name) => ({ _id: `vol-${name}`, name, url: `ssh://s@${name}/v/` })));
  await until('the site registry', async () =>
    (await f.as.ada.sites()).body.length === 2 ? true : undefined,
  );
  // Batches of 500: well inside the API's 29 s even on a loaded machine.
  for (let start = 0; start < FILES; start += 500) {
    const files = Array.from({ length: 500 }, (_, i) => ({
      _id: idOf(start + i),
      origin: 'A',
      file_size: 1000,
    }));
    await f.as.uma.publish(files);
  }
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await f?.tracker.close();
});

describe.skipIf(!hasChromium)('a large folder', () => {
  let page: Page;
  const reads: string[] = [];

  it('measures the time to first render with the page’s own mark', async () => {
    // A bounded wait (it throws past 30 s), not a timing assertion: the benchmark reports the figure.
    const ms = await firstRenderMs(`${f.tracker.url}/`, FOLDER, {
      token: f.tokens.ada,
      browser,
      timeoutMs: 30_000,
    });
    expect(ms).toBeGreaterThan(0);
    await expect(
      firstRenderMs(`${f.tracker.url}/`, FOLDER, { token: 'bad', browser, timeoutMs: 10_000 }),
    ).rejects.toThrow();
  });

  it('keeps only the rows in view in the page, and reads nodes page by page', async () => {
    const context = await signedInContext(browser, f.tokens.ada);
    page = await context.newPage();
    page.on('request', (request) => {
      if (request.url().includes('/api/read')) reads.push(request.url());
    });
    await page.goto(`${f.tracker.url}/#/files${FOLDER}`);
    await page
      .locator(`tr[data-id="${idOf(0)}"] td.state`)
      .first()
      .waitFor();
    expect(await page.locator('table.files').getAttribute('aria-rowcount')).toBe(String(FILES + 1));
    expect(await page.locator('tr.row').count()).toBeLessThan(80);
    expect(reads.length).toBeLessThanOrEqual(2);
  });

  it('scrolls to the end: the last rows come into the page with their states', async () => {
    await page.locator('.table-scroll').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page
      .locator(`tr[data-id="${idOf(FILES - 1)}"] td.state`)
      .first()
      .waitFor({ timeout: 10_000 });
    expect(await page.locator('tr.row').count()).toBeLessThan(80);
    expect(reads.length).toBeLessThanOrEqual(4);
  });

  it('Home and End move the keyboard focus to the first and last file', async () => {
    await page.locator('tr.row').first().focus();
    await page.keyboard.press('Home');
    await expect
      .poll(() =>
        page.locator(`tr[data-id="${idOf(0)}"]`).evaluate((el) => el === el.ownerDocument.activeElement),
      )
      .toBe(true);
    await page.keyboard.press('End');
    await expect
      .poll(() =>
        page
          .locator(`tr[data-id="${idOf(FILES - 1)}"]`)
          .evaluate((el) => el === el.ownerDocument.activeElement),
      )
      .toBe(true);
    await page.context().close();
  });
});
