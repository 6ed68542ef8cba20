/** The built CLI's JSON commands against the local tracker: output, exit codes, stdin, -l, bad input. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalTracker } from '../../local/runtime.js';
import { startTestTracker } from '../support/tracker.js';
import {
  buildTestCli,
  closedPort,
  cliRunner,
  countingProxy,
  json,
  removeTempDirs,
  type Run,
} from './helpers.js';

let tracker: LocalTracker;
let proxy: Awaited<ReturnType<typeof countingProxy>>;
let damas: (args: string[], options?: { input?: string; env?: NodeJS.ProcessEnv }) => Promise<Run>;

beforeAll(async () => {
  const [cli, started] = await Promise.all([buildTestCli(), startTestTracker()]);
  tracker = started;
  proxy = await countingProxy(tracker.url);
  damas = cliRunner(cli, { DAMAS_SERVER: proxy.url });
});
afterAll(async () => {
  await proxy?.close();
  await tracker?.close();
  removeTempDirs();
});

describe('CRUD commands', () => {
  it('create answers the node as compact JSON and exits 0; a duplicate exits 49', async () => {
    const created = await damas(['create', '{"_id":"/crud/a",', '"n":1}']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toMatch(/^\{"_id":"\/crud\/a",.*\}\n$/);
    expect(json(created)).toMatchObject({ _id: '/crud/a', n: 1, author: 'anonymous' });
    const again = await damas(['create', '{"_id":"/crud/a"}']);
    expect(again.code).toBe(49);
    expect(again.stdout).toBe('');
    expect(again.stderr).toBe('damas: Create error: /crud/a already exists (409)\n');
  });

  it('read: 200 → 0, some missing (207) → 7 with nulls, all missing → 44', async () => {
    await damas(['create', '[{"_id":"/crud/r1"},{"_id":"/crud/r2"}]']);
    expect(json(await damas(['read', '"/crud/r1"']))).toMatchObject({ _id: '/crud/r1' });
    const partial = await damas(['read', '["/crud/r1","/crud/nope"]']);
    expect(partial.code).toBe(7);
    expect(json(partial)).toEqual([expect.objectContaining({ _id: '/crud/r1' }), null]);
    expect(partial.stderr).toMatch(/207 Multi-Status/);
    const missing = await damas(['read', '"/crud/nope"']);
    expect(missing).toMatchObject({ code: 44, stdout: '' });
    expect(missing.stderr).toMatch(/^damas: Read error: .*\(404\)\n$/);
  });

  it('update, upsert and delete', async () => {
    await damas(['create', '{"_id":"/crud/u","a":1,"b":2}']);
    const updated = await damas(['update', '{"_id":"/crud/u","a":10,"b":null}']);
    expect(updated.code).toBe(0);
    expect(json(updated)).toMatchObject({ _id: '/crud/u', a: 10 });
    expect(json(updated)).not.toHaveProperty('b');
    expect((await damas(['update', '{"_id":"/crud/none","a":1}'])).code).toBe(44);
    expect(json(await damas(['upsert', '{"_id":"/crud/up","k":"v"}']))).toMatchObject({ k: 'v' });
    expect(json(await damas(['delete', '"/crud/u"']))).toBe('/crud/u');
    const again = await damas(['delete', '["/crud/u","/crud/up"]']);
    expect(again.code).toBe(7);
    expect(json(again)).toEqual([null, '/crud/up']);
  });

  it('search joins its arguments into one query; -l prints one id per line', async () => {
    await damas(['create', '[{"_id":"/s/1","kind":"plate","n":5},{"_id":"/s/2","kind":"plate","n":50}]']);
    const found = await damas(['search', 'kind:plate', 'n>10']);
    expect(json(found)).toEqual(['/s/2']);
    const lines = await damas(['-l', 'search', '_id:/^\\/s\\//']);
    expect(lines.stdout).toBe('"/s/1"\n"/s/2"\n');
  });

  it('search_mongo takes query, sort, limit and skip; -l prints the ids', async () => {
    const page = await damas(['search_mongo', '{"kind":"plate"}', '{"_id":-1}', '1', '0']);
    expect(json(page)).toEqual({ count: 2, ids: ['/s/2'] });
    const all = await damas(['-l', 'search_mongo', '{"kind":"plate"}']);
    expect(all.stdout).toBe('"/s/1"\n"/s/2"\n');
  });

  it('graph follows edges to --depth; publish and comment answer arrays', async () => {
    await damas([
      'create',
      '[{"_id":"/g/src"},{"_id":"/g/tgt"},{"_id":"/g/edge","src_id":"/g/src","tgt_id":"/g/tgt"}]',
    ]);
    const graph = json(await damas(['graph', '--depth', '1', '"/g/tgt"'])) as { _id: string }[];
    expect(graph.map((n) => n._id)).toEqual(['/g/tgt', '/g/src', '/g/edge']);
    const published = await damas(['publish', '{"_id":"/pub/f.exr","origin":"paris","comment":"v1"}']);
    expect(published.code).toBe(0);
    expect(json(published)).toEqual([
      expect.objectContaining({ _id: '/pub/f.exr', origin: 'paris' }),
      expect.objectContaining({ '#parent': '/pub/f.exr' }),
    ]);
    const comment = await damas(['comment', '{"#parent":"/pub/f.exr","comment":"looks good"}']);
    expect(json(comment)).toEqual([
      expect.objectContaining({ '#parent': '/pub/f.exr', comment: 'looks good' }),
    ]);
  });
});

describe('stdin and output options', () => {
  it('`-` reads the JSON from stdin', async () => {
    const run = await damas(['create', '-'], { input: '[{"_id":"/in/1"},\n{"_id":"/in/2"}]\n' });
    expect(run.code).toBe(0);
    expect((json(run) as { _id: string }[]).map((n) => n._id)).toEqual(['/in/1', '/in/2']);
  });

  it('what -l prints reads back through `-` (JSON lines)', async () => {
    const ids = await damas(['-l', 'search', '_id:/^\\/in\\//']);
    const read = await damas(['-l', 'read', '-'], { input: ids.stdout });
    expect(read.code).toBe(0);
    expect(
      read.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { _id: string })._id),
    ).toEqual(['/in/1', '/in/2']);
  });

  it('-q prints nothing but keeps the exit code; -v logs each request to stderr', async () => {
    expect(await damas(['-q', 'read', '["/in/1","/nope"]'])).toEqual({ code: 7, stdout: '', stderr: '' });
    const verbose = await damas(['-v', 'read', '"/in/1"']);
    expect(verbose.stderr).toBe(`damas: POST ${proxy.url}/api/read/ → 200\n`);
  });

  it('-s wins over DAMAS_SERVER and accepts host:port and …/api/ forms', async () => {
    const host = new URL(tracker.url).host;
    for (const server of [host, `${tracker.url}/api/`, `${tracker.url}/api`]) {
      const run = await damas(['-s', server, 'read', '"/in/1"'], {
        env: { DAMAS_SERVER: 'http://127.0.0.1:9' },
      });
      expect(run.code).toBe(0);
    }
  });
});

describe('bad input sends nothing', () => {
  const cases: [string, string[], RegExp][] = [
    [
      'invalid JSON',
      ['create', '{"_id":'],
      /^damas: invalid JSON argument: .+\nusage: damas create \[options\] <json\.\.\.>\n$/,
    ],
    ['invalid JSON on stdin', ['update', '-'], /^damas: invalid JSON on stdin: .+\nusage: damas update/],
    [
      'unknown command',
      ['frobnicate', '{}'],
      /^damas: unknown command 'frobnicate'\nusage: damas \[options\] <command> \[args\]\n$/,
    ],
    ['missing command', [], /^damas: missing command\nusage: damas /],
    ['unknown option', ['--bogus', 'read', '"x"'], /^damas: unknown option '--bogus'\nusage: damas /],
    ['missing argument', ['read'], /^damas: missing required argument 'json'\nusage: damas read/],
    ['bad search_mongo limit', ['search_mongo', '{}', '{}', 'ten'], /^damas: limit must be a whole number/],
    [
      'bad server URL',
      ['-s', 'ftp://x', 'read', '"a"'],
      /^damas: 'ftp:\/\/x': the server URL must start with http/,
    ],
  ];
  it.concurrent.each(cases)(
    '%s: one-line reason and the usage, exit 1, no request',
    async (_name, args, stderr) => {
      const before = proxy.requests.length;
      const run = await damas(args, { input: '{not json' });
      expect(run).toMatchObject({ code: 1, stdout: '' });
      expect(run.stderr).toMatch(stderr);
      expect(proxy.requests.length).toBe(before);
    },
  );
});

describe('server unreachable', () => {
  it('exits 3 with the reason on stderr', async () => {
    const run = await damas(['-s', `127.0.0.1:${await closedPort()}`, 'read', '"/a"']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /^damas: server http:\/\/127\.0\.0\.1:\d+ is unreachable \(.*ECONNREFUSED.*\)\n$/,
    );
  });
});
