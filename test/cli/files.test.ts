/** The built CLI's file commands in a temporary repository: ids from paths, exit codes, status. */
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalTracker } from '../../local/runtime.js';
import { startTestTracker } from '../support/tracker.js';
import { waitForSites } from '../sites/helpers.js';
import {
  buildTestCli,
  cliRunner,
  json,
  removeTempDirs,
  tempDir,
  type Run,
  type RunOptions,
} from './helpers.js';

let tracker: LocalTracker;
let repo: string;
let damas: (args: string[], options?: RunOptions) => Promise<Run>;
const MTIME = new Date('2024-05-01T10:00:00Z');

function write(path: string, text: string) {
  mkdirSync(join(repo, path, '..'), { recursive: true });
  writeFileSync(join(repo, path), text);
  utimesSync(join(repo, path), MTIME, MTIME);
}

beforeAll(async () => {
  const [cli, started] = await Promise.all([buildTestCli(), startTestTracker()]);
  tracker = started;
  repo = tempDir('damas-repo-');
  damas = cliRunner(cli, {});
  write('shots/sh010/plate.exr', 'plate');
  write('shots/sh010/comp.nk', 'comp script');
  write('shots/sh020/anim.ma', 'anim');
  write('docs/readme.txt', 'hello');
});
afterAll(async () => {
  await tracker?.close();
  removeTempDirs();
});

const inRepo = (args: string[], options: RunOptions = {}) => damas(args, { cwd: repo, ...options });

describe('init and the repository', () => {
  it('init writes .damas/config in damas.sh format; file commands then use its URL', async () => {
    const run = await inRepo(['init', tracker.url, '--site', 'paris']);
    expect(run.code).toBe(0);
    expect(json(run)).toEqual({ root: repo, url: `${tracker.url}/api/`, site: 'paris' });
    expect(run.stderr).toMatch(/Initialized empty damas repository/);
    expect(readFileSync(join(repo, '.damas', 'config'), 'utf8')).toBe(
      `URL="${tracker.url}/api/"\nSITE="paris"\n`,
    );
    expect((await inRepo(['show', 'docs/readme.txt'])).code).toBe(44); // reached the tracker
  });

  it('reads a config written by damas.sh', async () => {
    const old = tempDir('damas-old-');
    mkdirSync(join(old, '.damas'));
    writeFileSync(join(old, '.damas', 'config'), `URL="${tracker.url}/api/"\n`);
    mkdirSync(join(old, 'sub'));
    const run = await damas(['-v', 'show', 'x'], { cwd: join(old, 'sub') });
    expect(run.stderr).toContain(`POST ${tracker.url}/api/read/`);
    expect(run.code).toBe(44);
  });

  it('outside a repository, every file command exits 2 and sends nothing', async () => {
    const outside = tempDir('damas-outside-');
    const commands = ['add', 'show', 'rm', 'lock', 'unlock', 'stats', 'status'];
    const env = { DAMAS_SERVER: 'http://127.0.0.1:9' }; // would exit 3 if anything were sent
    const runs = await Promise.all(
      commands.map((command) => damas([command, 'a.txt'], { cwd: outside, env })),
    );
    runs.forEach((run, i) => {
      expect(run.code, commands[i]).toBe(2);
      expect(run.stderr).toBe('damas: not a damas repository (or any parent); run damas init\n');
    });
  });

  it('DAMAS_DIR names the repository; paths map to ids from its root', async () => {
    const run = await damas(['add', join(repo, 'shots', 'sh020', 'anim.ma')], {
      cwd: tempDir('damas-elsewhere-'),
      env: { DAMAS_DIR: repo },
    });
    expect(run.code).toBe(0);
    expect(json(run)).toEqual([expect.objectContaining({ _id: '/shots/sh020/anim.ma', origin: 'paris' })]);
  });
});

describe('add, show, stats, lock, unlock, rm', () => {
  it('add publishes files with size, mtime and origin; re-running is a success', async () => {
    const run = await inRepo(['add', 'shots/sh010/plate.exr', 'docs/readme.txt']);
    expect(run.code).toBe(0);
    expect(json(run)).toEqual([
      expect.objectContaining({
        _id: '/shots/sh010/plate.exr',
        origin: 'paris',
        file_size: 5,
        file_mtime: MTIME.getTime(),
        comment: 'added with damas',
      }),
      expect.objectContaining({ _id: '/docs/readme.txt', file_size: 5 }),
    ]);
    const again = await inRepo(['add', 'shots/sh010/plate.exr', 'docs/readme.txt']);
    expect(again).toMatchObject({ code: 0, stdout: '[]\n' });
    expect(again.stderr).toMatch(/2 of 2 files were already tracked/);
  });

  it('add -r publishes every file under a folder; without -r a folder is one package', async () => {
    const recursive = await damas(['-l', 'add', '-r', '--origin', 'lyon', '-m', 'first', 'sh010'], {
      cwd: join(repo, 'shots'),
    });
    expect(recursive.code).toBe(0);
    expect(
      recursive.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as object),
    ).toEqual([expect.objectContaining({ _id: '/shots/sh010/comp.nk', origin: 'lyon', comment: 'first' })]);
    const pkg = await inRepo(['add', 'shots/sh020']);
    expect(json(pkg)).toEqual([expect.objectContaining({ _id: '/shots/sh020/', file_size: 4 })]);
  });

  it('add of a missing file or a path outside the repository is a usage error', async () => {
    expect((await inRepo(['add', 'nope.txt'])).stderr).toMatch(
      /^damas: nope.txt: no such file or directory\n/,
    );
    const elsewhere = join(tempDir('damas-elsewhere-'), 'f.txt');
    writeFileSync(elsewhere, 'x');
    const outside = await inRepo(['add', elsewhere]);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toMatch(/is outside the repository/);
  });

  it('show reads the nodes of paths: 207 → 7 when one is not tracked', async () => {
    const run = await inRepo(['show', 'docs/readme.txt', 'docs/untracked.txt']);
    expect(run.code).toBe(7);
    expect(json(run)).toEqual([expect.objectContaining({ _id: '/docs/readme.txt' }), null]);
  });

  it('stats gives each file its own size and mtime', async () => {
    write('docs/readme.txt', 'hello again');
    const run = await inRepo(['stats', 'docs/readme.txt', 'shots/sh010/plate.exr']);
    expect(run.code).toBe(0);
    expect(json(run)).toEqual([
      expect.objectContaining({ _id: '/docs/readme.txt', file_size: 11 }),
      expect.objectContaining({ _id: '/shots/sh010/plate.exr', file_size: 5 }),
    ]);
  });

  it('lock and unlock print true; a missing file makes it 207', async () => {
    expect(await inRepo(['lock', 'docs/readme.txt'])).toMatchObject({ code: 0, stdout: 'true\n' });
    expect(json(await inRepo(['show', 'docs/readme.txt']))).toEqual([
      expect.objectContaining({ lock: 'anonymous' }),
    ]);
    const partial = await inRepo(['unlock', 'docs/readme.txt', 'docs/untracked.txt']);
    expect(partial.code).toBe(7);
    expect(json(partial)).toEqual([true, null]);
  });

  it('paths can come from stdin; rm removes them from the tracker only', async () => {
    const run = await inRepo(['rm', '-'], { input: 'docs/readme.txt\ndocs/untracked.txt\n' });
    expect(run.code).toBe(7);
    expect(json(run)).toEqual(['/docs/readme.txt', null]);
    expect(readFileSync(join(repo, 'docs', 'readme.txt'), 'utf8')).toBe('hello again');
    expect((await inRepo(['rm', 'docs/readme.txt'])).code).toBe(44);
  });
});

describe('status', () => {
  beforeAll(async () => {
    const time = Date.now();
    const sites = {
      time,
      synced_london: time + 1,
      synced_tokyo: time - 1,
      syncing_berlin: time,
      syncError_oslo: 23,
    };
    await tracker.tracker.store.update('/shots/sh010/plate.exr', sites, []);
    const rome = '{"_id":"vol-rome","name":"rome","url":"ssh://sync@rome/data/","enableReception":true}';
    await damas(['create', rome], { env: { DAMAS_SERVER: tracker.url } });
    await waitForSites(tracker, (sites) => sites.some((site) => site.name === 'rome'));
  });

  it('prints a table of files × sites (no colours when piped)', async () => {
    const run = await inRepo(['status', 'shots/sh010']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        'path                    berlin   london   lyon     oslo     paris    rome     tokyo',
        '/shots/sh010/comp.nk    missing  missing  current  missing  missing  missing  missing',
        '/shots/sh010/plate.exr  syncing  current  missing  error    current  missing  outdated',
        '2 file(s) × 7 site(s): 3 current, 1 outdated, 1 syncing, 1 error, 8 missing',
        '',
      ].join('\n'),
    );
  });

  it('--json gives sites, per-file states and totals; an untracked path exits 44', async () => {
    const run = await inRepo(['status', '--json', 'shots/sh010/plate.exr']);
    expect(json(run)).toMatchObject({
      sites: ['berlin', 'london', 'oslo', 'paris', 'rome', 'tokyo'], // a file: only its own sites
      files: [{ _id: '/shots/sh010/plate.exr', states: { london: 'current', tokyo: 'outdated' } }],
    });
    expect((await inRepo(['status', 'docs/untracked.txt'])).code).toBe(44);
    const folder = await inRepo(['status', 'docs']);
    expect(folder.code).toBe(44);
    expect(folder.stderr).toBe('damas: nothing is tracked under /docs/\n');
  });
});
