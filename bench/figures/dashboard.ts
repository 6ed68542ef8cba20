/**
 * The dashboard: its page bundle gzipped (goal < 150 KB), and the time to first render of a folder
 * of 10,000 files in headless Chromium (the page's own `syncplanet:files-rendered` mark, from
 * navigation start) against the same page opening a folder of one file, in the same run and
 * browser: what the 10,000 rows cost. A tracker of its own (DynamoDB Local in memory, open mode).
 */
import { existsSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { buildDashboard } from '../../dashboard/build.js';
import { CHROMIUM_PATH, firstRenderMs, launchChromium } from '../../dashboard/measure.js';
import { startLocalTracker } from '../../local/runtime.js';
import { call } from '../http.js';
import { median } from '../measure.js';
import { figure, withGoal, type Figure } from '../report.js';

export async function dashboardFigures(bench: {
  quick: boolean;
  log: (message: string) => void;
}): Promise<Figure[]> {
  bench.log('building the dashboard…');
  const built = await buildDashboard();
  const bundle = withGoal(
    figure(
      'dashboard.bundle.gzip',
      built.gzipBytes / 1000,
      'KB',
      'what the page loads (index.html, app.js, app.css), gzipped',
    ),
    150,
  );
  if (!existsSync(CHROMIUM_PATH)) {
    bench.log(`no ${CHROMIUM_PATH}: first-render figures skipped`);
    return [bundle];
  }
  const files = bench.quick ? 2_000 : 10_000;
  const tracker = await startLocalTracker({ port: 0 });
  const browser = await launchChromium();
  try {
    bench.log(`publishing ${files} files into /big/…`);
    const publish = (batch: object[]) => call(tracker.apiUrl, 'POST', 'publish', batch, [201]);
    await publish([{ _id: '/one/only.exr', origin: 'A', comment: 'bench' }]);
    for (let i = 0; i < files; i += 100) {
      await publish(
        Array.from({ length: Math.min(100, files - i) }, (_, k) => ({
          _id: `/big/f${String(i + k).padStart(6, '0')}.exr`,
          origin: 'A',
          comment: 'bench',
          file_size: 1000,
        })),
      );
    }
    await delay(3000); // let the stream fan-out go quiet
    const runs = bench.quick ? 3 : 5;
    const big: number[] = [];
    const one: number[] = [];
    for (let r = 0; r < runs; r++) {
      one.push(await firstRenderMs(tracker.url, '/one/', { browser }));
      big.push(await firstRenderMs(tracker.url, '/big/', { browser }));
    }
    return [
      bundle,
      figure(
        `dashboard.first_render.${files / 1000}k`,
        median(big),
        'ms',
        `headless Chromium, a folder of ${files} files, navigation start → first rows with their states (median of ${runs}, alternating); baseline: the same page on a folder of one file`,
        median(one),
      ),
    ];
  } finally {
    await browser.close();
    await tracker.close();
  }
}
