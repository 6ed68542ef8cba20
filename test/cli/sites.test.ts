/** The built CLI's `sites` and `queue` against the local tracker (open mode). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalTracker } from '../../local/runtime.js';
import { call, startTestTracker } from '../support/tracker.js';
import { createVolumes } from '../sites/helpers.js';
import { buildTestCli, cliRunner, json, removeTempDirs, type Run } from './helpers.js';

let tracker: LocalTracker;
let damas: (args: string[]) => Promise<Run>;

/** Runs `args` until `done` holds for its output (the queues follow the nodes stream), at most 15 s. */
async function eventually(args: string[], done: (run: Run) => boolean): Promise<Run> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const run = await damas(args);
    if (done(run) || Date.now() > deadline) return run;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  const [cli, started] = await Promise.all([buildTestCli(), startTestTracker()]);
  tracker = started;
  damas = cliRunner(cli, { DAMAS_SERVER: tracker.url });
  const volumes = [
    { _id: 'vol-paris', name: 'paris', url: 'ssh://sync@paris/data/', heartbeatInterval: 600 },
    { _id: 'vol-rome', name: 'rome', url: 'ssh://sync@rome/data/' },
  ];
  await createVolumes(tracker, volumes);
  await call(tracker, 'POST', 'heartbeat', { site: 'paris', agentStatus: 'on' });
});
afterAll(async () => {
  await tracker?.close();
  removeTempDirs();
});

describe('damas sites', () => {
  it('prints one line per site: agent on/off, heartbeat age, backlog, errors', async () => {
    const run = await damas(['sites']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const [header, ...lines] = run.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^site\s+agent\s+heartbeat\s+backlog\s+errors$/);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^paris\s+on\s+\d+s ago\s+0 \(0 B\)\s+none$/);
    expect(lines[1]).toMatch(/^rome\s+off\s+never\s+/);
  });

  it('--json prints the sites as the API answers them', async () => {
    const run = await damas(['sites', '--json']);
    expect(run.code).toBe(0);
    expect(json(run)).toEqual([
      expect.objectContaining({ _id: 'vol-paris', name: 'paris', agentStatus: 'on', heartbeatInterval: 600 }),
      expect.objectContaining({ _id: 'vol-rome', name: 'rome', agentStatus: 'off', lastHeartbeat: null }),
    ]);
  });
});

describe('damas queue', () => {
  beforeAll(async () => {
    const files = [
      { _id: '/q/low.exr', origin: 'paris', comment: 'c', sync_priority: -1, file_size: 2048 },
      { _id: '/q/high.exr', origin: 'paris', comment: 'c', sync_priority: 5 },
      { _id: '/q/mid.exr', origin: 'paris', comment: 'c' },
    ];
    expect((await call(tracker, 'POST', 'publish', files)).status).toBe(201);
  });

  it('lists the files a site waits for, highest priority first', async () => {
    const run = await eventually(['queue', 'rome'], (r) => r.stdout.split('\n').length >= 5);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^priority\s+size\s+state\s+path$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/).at(-1))).toEqual([
      '/q/high.exr',
      '/q/mid.exr',
      '/q/low.exr',
    ]);
    expect(lines[3]).toMatch(/^-1\s+2\.0 KiB\s+pending\s+\/q\/low\.exr$/);
  });

  it('--json and --limit; the origin waits for nothing; an unknown site exits 44', async () => {
    const run = await damas(['queue', 'rome', '--limit', '2', '--json']);
    expect(json(run)).toEqual([
      expect.objectContaining({ _id: '/q/high.exr', sync_priority: 5, state: 'pending' }),
      expect.objectContaining({ _id: '/q/mid.exr', sync_priority: 0 }),
    ]);
    const origin = await damas(['queue', 'paris']);
    expect(origin).toMatchObject({ code: 0, stdout: '', stderr: 'damas: site paris waits for no file\n' });
    const unknown = await damas(['queue', 'oslo']);
    expect(unknown.code).toBe(44);
    expect(unknown.stderr).toBe('damas: Queue error: unknown site oslo (404)\n');
    expect((await damas(['queue', 'rome', '--limit', '0'])).code).toBe(1);
  });
});
