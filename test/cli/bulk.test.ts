/** Bulk file commands: a 1,200-file tree is added in a few batched requests, idempotently. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_ITEMS } from '../../client/bulk.js';
import { PUBLISH_BATCH } from '../../client/publish.js';
import type { LocalTracker } from '../../local/runtime.js';
import { startTestTracker } from '../support/tracker.js';
import {
  buildTestCli,
  cliRunner,
  countingProxy,
  json,
  removeTempDirs,
  tempDir,
  type Run,
  type RunOptions,
} from './helpers.js';

const FILES = 1_200;

let tracker: LocalTracker;
let proxy: Awaited<ReturnType<typeof countingProxy>>;
let repo: string;
let damas: (args: string[], options?: RunOptions) => Promise<Run>;

/** Requests the proxy saw while `run` ran. */
async function counted(run: () => Promise<Run>): Promise<{ run: Run; requests: string[] }> {
  const before = proxy.requests.length;
  const result = await run();
  return { run: result, requests: proxy.requests.slice(before) };
}

beforeAll(async () => {
  const [cli, started] = await Promise.all([buildTestCli(), startTestTracker()]);
  tracker = started;
  proxy = await countingProxy(tracker.url);
  repo = tempDir('damas-bulk-');
  for (let i = 0; i < FILES; i++) {
    const dir = join(repo, 'tree', `d${i % 12}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${i}.dat`), 'x'.repeat(i % 7));
  }
  damas = cliRunner(cli, { DAMAS_SERVER: proxy.url });
  expect((await damas(['init'], { cwd: repo })).code).toBe(0);
});
afterAll(async () => {
  await proxy?.close();
  await tracker?.close();
  removeTempDirs();
});

describe(`add -r of ${FILES} files`, () => {
  it('reads 500 ids then publishes 250 files per request, with no progress bar when piped', async () => {
    const { run, requests } = await counted(() => damas(['add', '-r', 'tree'], { cwd: repo }));
    expect(run.code).toBe(0);
    expect((json(run) as unknown[]).length).toBe(FILES);
    expect(requests).toEqual([
      ...Array(Math.ceil(FILES / BATCH_ITEMS)).fill('POST /api/read/'),
      ...Array(Math.ceil(FILES / PUBLISH_BATCH)).fill('POST /api/publish/'),
    ]);
    expect(run.stderr).toBe('');
    const count = await damas([
      'search_mongo',
      '{"_id":"REGEX_^/tree/","#parent":{"$exists":false}}',
      '{}',
      '1',
    ]);
    expect(json(count)).toMatchObject({ count: FILES });
  });

  it('re-running only reads, changes nothing and exits 0 with a note', async () => {
    const { run, requests } = await counted(() => damas(['add', '-r', 'tree'], { cwd: repo }));
    expect(run).toMatchObject({ code: 0, stdout: '[]\n' });
    expect(run.stderr).toBe(`damas: ${FILES} of ${FILES} files were already tracked and left unchanged\n`);
    expect(requests).toEqual(Array(Math.ceil(FILES / BATCH_ITEMS)).fill('POST /api/read/'));
  });

  it('a tree with a few new files publishes only those, and notes the changed ones', async () => {
    writeFileSync(join(repo, 'tree', 'd0', 'new.dat'), 'new');
    writeFileSync(join(repo, 'tree', 'd0', 'f0.dat'), 'changed');
    const run = await damas(['add', '-r', 'tree'], { cwd: repo });
    expect(run.code).toBe(0);
    expect(json(run)).toEqual([expect.objectContaining({ _id: '/tree/d0/new.dat' })]);
    expect(run.stderr).toMatch(
      /1200 of 1201 files were already tracked and left unchanged; 1 differ on disk/,
    );
    expect(json(await damas(['show', 'tree/d0/new.dat'], { cwd: repo }))).toEqual([
      expect.objectContaining({ file_size: 3 }),
    ]);
  });

  it('show and rm of the tree batch their ids too', async () => {
    const paths = `${Array.from({ length: FILES }, (_, i) => `tree/d${i % 12}/f${i}.dat`).join('\n')}\n`;
    const show = await counted(() => damas(['-q', 'show', '-'], { cwd: repo, input: paths }));
    expect(show.run.code).toBe(0);
    expect(show.requests).toEqual(Array(Math.ceil(FILES / BATCH_ITEMS)).fill('POST /api/read/'));
    const rm = await counted(() => damas(['rm', '-'], { cwd: repo, input: `${paths}tree/missing.dat\n` }));
    expect(rm.run.code).toBe(7); // the missing one is null
    expect((json(rm.run) as unknown[]).filter((id) => id === null)).toHaveLength(1);
    expect(rm.requests.length).toBe(Math.ceil((FILES + 1) / BATCH_ITEMS));
  });
});
