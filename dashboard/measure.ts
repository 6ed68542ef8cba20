/**
 * For the benchmark: time to first render of a folder in headless Chromium (Debian's `chromium`,
 * driven by playwright-core; never a downloaded browser). The page marks
 * `syncplanet:files-rendered` once the first rows of a listing are on screen with their states;
 * the figure is that mark's time from the start of navigation (page load, sign-in check, the
 * folder's first page of ids and nodes).
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
/** Flags for headless Chromium on a CI machine (TOOLCHAIN.md). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const VIEWPORT = { width: 1280, height: 800 };
/** Where the page keeps its session token (sessionStorage: this tab only). */
export const TOKEN_KEY = 'syncplanet.token';

export const launchChromium = (executablePath = CHROMIUM_PATH): Promise<Browser> =>
  chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });

export interface MeasureOptions {
  /** jwt mode: a session or API token for the page (open mode needs none). */
  token?: string;
  /** Reuse a browser (else one is launched and closed). */
  browser?: Browser;
  timeoutMs?: number;
}

/**
 * Opens `pageUrl` (the dashboard, e.g. `http://127.0.0.1:8090/`) on `folder` (`/big/`) in a fresh
 * tab and answers the ms from navigation start to the first rendered rows. Throws with the page's
 * error text if the folder cannot be listed.
 */
export async function firstRenderMs(
  pageUrl: string,
  folder: string,
  options: MeasureOptions = {},
): Promise<number> {
  const browser = options.browser ?? (await launchChromium());
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    if (options.token)
      await context.addInitScript({
        content: `sessionStorage.setItem(${JSON.stringify(TOKEN_KEY)}, ${JSON.stringify(options.token)})`,
      });
    const page = await context.newPage();
    const wanted = folder.endsWith('/') ? folder : `${folder}/`;
    const url = new URL(pageUrl);
    url.hash = `#/files${encodeURI(wanted)}`;
    await page.goto(url.href);
    const outcome = await page.waitForFunction(
      (folder: string) => {
        // In the page (this file is compiled without the DOM's types).
        const page = globalThis as unknown as {
          performance: { getEntriesByName(name: string): { startTime: number; detail?: unknown }[] };
          document: { querySelector(selector: string): { textContent: string | null } | null };
        };
        const mark = page.performance
          .getEntriesByName('syncplanet:files-rendered')
          .find(
            (e) => (e.detail as { listing?: { folder?: string } } | undefined)?.listing?.folder === folder,
          );
        if (mark) return { ms: mark.startTime };
        const alert = page.document.querySelector('[role="alert"], #sign-in-title');
        return alert ? { error: alert.textContent ?? '' } : undefined;
      },
      wanted,
      { timeout: options.timeoutMs ?? 60_000, polling: 'raf' },
    );
    const result = (await outcome.jsonValue()) as { ms?: number; error?: string };
    if (result.error !== undefined) throw new Error(`the page could not list ${folder}: ${result.error}`);
    return result.ms!;
  } finally {
    await context.close();
    if (!options.browser) await browser.close();
  }
}
