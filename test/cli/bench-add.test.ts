/** The `damas add` benchmark hook, on a small tree: it runs, counts requests, and the re-run only reads. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { benchAdd } from '../../client/cli/bench-add.js';
import type { LocalTracker } from '../../local/runtime.js';
import { startTestTracker } from '../support/tracker.js';

let tracker: LocalTracker;
beforeAll(async () => {
  tracker = await startTestTracker();
});
afterAll(() => tracker?.close());

it('benchAdd reports both runs and the requests per file', async () => {
  const result = await benchAdd({ server: tracker.url, files: 120 });
  expect(result.first).toMatchObject({
    exitCode: 0,
    created: 120,
    requests: { 'POST read/': 1, 'POST publish/': 1 },
  });
  expect(result.rerun).toMatchObject({ exitCode: 0, created: 0, requests: { 'POST read/': 1 } });
  expect(result.requestsPerFile).toBeCloseTo(2 / 120);
});
