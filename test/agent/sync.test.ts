/**
 * The agent end to end: the local tracker (jwt mode) on DynamoDB Local, three sites as three folders
 * reached through a real sshd on 127.0.0.1, three agents with site-scoped tokens running the bundle.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalTracker } from '../../local/runtime.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { call, startTestTracker } from '../support/tracker.js';
import { until } from '../sync/helpers.js';
import { AgentHarness, makeRoots, seedAccounts, sha256, type AgentRun, type SiteSetup } from './harness.js';

const SITES = ['A', 'B', 'C'];
const PREFIX = `agents${process.pid}`;
/** Large enough to interrupt mid-way at --bwlimit=20m. */
const BIG = 96 * 1024 * 1024;
/** Waits for transfers slowed down on purpose (--bwlimit). */
const SLOW_MS = 60_000;
let dir: string;
let sshd: Sshd;
let t: LocalTracker;
let h: AgentHarness;
let admin: string;
let sites: Record<string, SiteSetup>;
const agents: Record<string, AgentRun> = {};

const api = (method: string, path: string, body?: unknown) => call(t, method, path, body, { token: admin });
const node = async (id: string) =>
  ((await api('GET', `read/${encodeURIComponent(id)}`)).json ?? {}) as Record<string, unknown>;
const at = (site: string, rel: string) => join(sites[site]!.root, rel);

/** Writes a file outside the roots, then renames it into place: the scan never sees it half-written. */
async function put(site: string, rel: string, content: string | Buffer): Promise<void> {
  const temporary = join(dir, `tmp-${Math.random().toString(36).slice(2)}`);
  await writeFile(temporary, content);
  await mkdir(dirname(at(site, rel)), { recursive: true });
  await rename(temporary, at(site, rel));
}

async function sameAt(rel: string, from: string, ...to: string[]): Promise<boolean> {
  if (!to.every((site) => existsSync(at(site, rel)))) return false;
  const want = await sha256(at(from, rel));
  return (await Promise.all(to.map((site) => sha256(at(site, rel))))).every((got) => got === want);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-e2e-'));
  await mkdir(join(dir, 'sshd'));
  sshd = await startSshd(join(dir, 'sshd'));
  t = await startTestTracker({ auth: 'jwt', tablePrefix: PREFIX });
  h = new AgentHarness(dir, sshd, t);
  await h.build();
  const roots = await makeRoots(dir, SITES);
  const accounts = await seedAccounts(t, SITES);
  admin = accounts.admin;
  sites = Object.fromEntries(
    SITES.map((name) => [name, { name, root: roots[name]!, token: accounts.tokens[name]! }]),
  );
  sites.A!.stateDir = join(dir, 'state-A'); // kept when A's folder is emptied (the unmount case)
  const volumes = SITES.map((name) => ({ _id: `vol-${name}`, name, url: h.url(roots[name]!) }));
  expect((await api('POST', 'create', volumes)).status).toBe(201);
  expect(
    (
      await api('POST', 'create', {
        _id: 'rsyncGlobalParameters',
        sleepBetweenScans: 1,
        packagePatternRules: 'renders/*',
      })
    ).status,
  ).toBe(201);
  await until(async () => ((await api('GET', 'sites')).json as unknown[]).length === 3, 'the volumes');
});

afterAll(async () => {
  await h?.stopAll();
  await t?.close();
  await sshd?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('three sites', () => {
  it('a file created at A is published by a one-shot scan and reaches B and C', async () => {
    await put('A', 'shots/sh010/plate.exr', 'frame data '.repeat(1000));
    const once = h.start(sites.A!, ['--once']);
    expect(await once.exited, once.errors).toBe(0);
    const summary = once.find('summary')[0]!;
    expect(summary).toMatchObject({ scanned: 1, published: 1, errors: 0 });
    const published = await node('/shots/sh010/plate.exr');
    expect(published).toMatchObject({ origin: 'A', comment: 'scanned at A', file_size: 11_000 });

    for (const site of SITES) agents[site] = h.start(sites[site]!);
    await until(() => sameAt('shots/sh010/plate.exr', 'A', 'B', 'C'), 'the file at B and C');
    const synced = await until(async () => {
      const n = await node('/shots/sh010/plate.exr');
      return typeof n.synced_B === 'number' && typeof n.synced_C === 'number' && n;
    }, 'synced_B and synced_C');
    expect(synced.synced_B).toBeGreaterThanOrEqual(synced.time as number);
    expect(existsSync(at('B', '.syncplanet/incoming/shots/sh010/plate.exr'))).toBe(false);
  });

  it('copies a higher sync_priority file first', async () => {
    await agents.B!.stop();
    await api('PUT', 'update', { _id: 'vol-B', syncAmountReception: 1 });
    await put('A', 'prio/low.txt', 'low');
    await put('A', 'prio/high.txt', 'high');
    await until(
      async () => (await node('/prio/high.txt'))._id && (await node('/prio/low.txt'))._id,
      'both published',
    );
    await api('PUT', 'update', { _id: '/prio/high.txt', sync_priority: 10 });
    await until(
      async () => ((await api('GET', 'queue/B')).json as { _id: string }[])[0]?._id === '/prio/high.txt',
      "high first in B's queue",
    );
    const once = h.start(sites.B!, ['--once']);
    expect(await once.exited, once.errors).toBe(0);
    expect(existsSync(at('B', 'prio/high.txt'))).toBe(true);
    expect(existsSync(at('B', 'prio/low.txt'))).toBe(false);
    await api('PUT', 'update', { _id: 'vol-B', syncAmountReception: null });
    agents.B = h.start(sites.B!);
    await until(() => sameAt('prio/low.txt', 'A', 'B'), 'the low-priority file at B');
  });

  it('sends a file with syncEverywhere false and sync_C true to C only', async () => {
    const temporary = join(dir, 'only-c.txt');
    await writeFile(temporary, 'for C only');
    const { mtimeMs, size } = await stat(temporary);
    const reply = await api('POST', 'publish', {
      _id: '/only-c.txt',
      origin: 'A',
      comment: 'for C',
      syncEverywhere: false,
      sync_C: true,
      file_size: size,
      file_mtime: Math.floor(mtimeMs),
    });
    expect(reply.status, reply.text).toBe(201);
    await rename(temporary, at('A', 'only-c.txt'));
    await until(() => sameAt('only-c.txt', 'A', 'C'), 'the file at C');
    await until(async () => typeof (await node('/only-c.txt')).synced_C === 'number', 'synced_C');
    await until(() => sameAt('prio/low.txt', 'A', 'B'), 'B idle'); // B has had its chances
    expect(existsSync(at('B', 'only-c.txt'))).toBe(false);
    expect((await node('/only-c.txt')).synced_B).toBeUndefined();
  });

  it('propagates a modification made at A', async () => {
    const before = await node('/shots/sh010/plate.exr');
    await put('A', 'shots/sh010/plate.exr', 'a new version of the frame');
    const modified = await until(async () => {
      const n = await node('/shots/sh010/plate.exr');
      return (n.time as number) > (before.time as number) && n;
    }, 'the modification on the node');
    expect(modified).toMatchObject({ comment: 'modified at A', file_size: 26 });
    expect(modified.modified_A).toBe(modified.time);
    await until(() => sameAt('shots/sh010/plate.exr', 'A', 'B', 'C'), 'the new version at B and C');
  });

  it('sends a package folder whole', async () => {
    const staged = join(dir, 'v001');
    await mkdir(join(staged, 'sub'), { recursive: true });
    for (const [rel, text] of [
      ['f1.exr', 'one'],
      ['f2.exr', 'two'],
      ['sub/f3.exr', 'three'],
    ])
      await writeFile(join(staged, rel!), text!);
    await mkdir(at('A', 'renders'), { recursive: true });
    await rename(staged, at('A', 'renders/v001'));
    const pkg = await until(
      async () => (await node('/renders/v001/'))._id && node('/renders/v001/'),
      'the package',
    );
    expect(pkg).toMatchObject({ origin: 'A', file_size: 11 });
    expect((await api('GET', `read/${encodeURIComponent('/renders/v001/f1.exr')}`)).status).toBe(404);
    await until(async () => {
      for (const rel of ['f1.exr', 'f2.exr', 'sub/f3.exr'])
        if (!(await sameAt(`renders/v001/${rel}`, 'A', 'B', 'C'))) return false;
      return true;
    }, 'the package at B and C');
  });

  it('merges a changed package into the copies already there, new subfolders included', async () => {
    const before = await node('/renders/v001/');
    await put('A', 'renders/v001/sub/f3.exr', 'three, again');
    await put('A', 'renders/v001/new/deeper/f4.exr', 'four');
    await until(async () => (await node('/renders/v001/')).time !== before.time, 'the package modified');
    await until(async () => {
      for (const rel of ['f1.exr', 'f2.exr', 'sub/f3.exr', 'new/deeper/f4.exr'])
        if (!(await sameAt(`renders/v001/${rel}`, 'A', 'B', 'C'))) return false;
      return true;
    }, 'the changed package at B and C');
    expect(existsSync(at('B', '.syncplanet/incoming/renders/v001'))).toBe(false);
  });

  it('records rsync code 23 for a file missing at its source, and --once exits non-zero', async () => {
    await agents.C!.stop();
    expect((await node('vol-C')).agentStatus).toBe('off');
    await api('POST', 'publish', { _id: '/ghost.txt', origin: 'A', comment: 'never written' });
    await until(async () => (await node('/ghost.txt')).syncError_B === 23, 'syncError_B 23');
    expect(String((await node('/ghost.txt')).syncErrorMessage_B)).toContain('ghost.txt');
    await until(
      async () =>
        ((await api('GET', 'queue/C')).json as { _id: string }[]).some((p) => p._id === '/ghost.txt'),
      "the ghost in C's queue",
    );
    const once = h.start(sites.C!, ['--once']);
    expect(await once.exited).toBe(1);
    expect(once.find('summary')[0]!.errors).toBeGreaterThan(0);
    expect((await node('/ghost.txt')).syncError_C).toBe(23);
    agents.C = h.start(sites.C!);
  });

  it('an agent killed mid-transfer leaves no partial file at the final path and resumes after a restart', async () => {
    await api('PUT', 'update', { _id: 'vol-B', rsync_args: '--bwlimit=20m' });
    const big = randomBytes(BIG);
    await put('A', 'big/one.bin', big);
    const partial = at('B', '.syncplanet/incoming/big/one.bin');
    await until(
      async () => ((await stat(partial).catch(() => null))?.size ?? 0) > BIG / 4,
      "a partial copy in B's staging",
    );
    await agents.B!.crash();
    const kept = (await stat(partial)).size;
    expect(kept).toBeLessThan(BIG);
    expect(existsSync(at('B', 'big/one.bin'))).toBe(false);
    agents.B = h.start(sites.B!);
    await until(() => sameAt('big/one.bin', 'A', 'B'), 'the whole file at B after the restart', SLOW_MS);
    const pull = agents.B.find('rsync finished').find((line) => (line.bytesReceived as number) > 0)!;
    expect(pull.bytesReceived).toBeLessThan(BIG - kept / 2); // resumed: what was kept is not sent again
    await api('PUT', 'update', { _id: 'vol-B', rsync_args: null });
  });

  it('keeps the results of a round the tracker missed, and sends them once it is back', async () => {
    await agents.C!.stop();
    await api('PUT', 'update', { _id: 'vol-C', rsync_args: '--bwlimit=20m' });
    await put('A', 'big/two.bin', randomBytes(BIG / 2));
    await until(async () => (await node('/big/two.bin'))._id, 'the file published');
    agents.C = h.start(sites.C!);
    const partial = at('C', '.syncplanet/incoming/big/two.bin');
    await until(async () => ((await stat(partial).catch(() => null))?.size ?? 0) > 0, 'C pulling');
    const port = Number(new URL(t.url).port);
    await t.close();
    await until(() => sameAt('big/two.bin', 'A', 'C'), 'the file at C while the tracker is down', SLOW_MS);
    const outbox = await readFile(at('C', '.syncplanet/state/outbox.jsonl'), 'utf8');
    expect(outbox).toContain('/big/two.bin');
    t = await startTestTracker({ auth: 'jwt', tablePrefix: PREFIX, port });
    h.tracker = t;
    const synced = await until(
      async () => {
        const n = await node('/big/two.bin');
        return typeof n.synced_C === 'number' && n;
      },
      'synced_C after the tracker came back',
      SLOW_MS,
    );
    expect(synced.syncError_C).toBeUndefined();
    await api('PUT', 'update', { _id: 'vol-C', rsync_args: null });
  });

  it('refuses ids with .. and paths through a symlink leading out of the root', async () => {
    const outside = join(dir, 'outside');
    await mkdir(outside);
    await symlink(outside, at('B', 'linked'));
    await put('A', 'linked/f.txt', 'through a link');
    const evil = '/x/../../escape.txt';
    expect((await api('POST', 'publish', { _id: evil, origin: 'A', comment: 'evil' })).status).toBe(201);
    const refused = await until(async () => {
      const [linked, escape] = [await node('/linked/f.txt'), await node(evil)];
      return linked.syncError_B === 3 && escape.syncError_B === 3 && [linked, escape];
    }, 'both refused at B');
    expect(refused[0]!.syncErrorMessage_B).toContain('symlink leading out of the root');
    expect(refused[1]!.syncErrorMessage_B).toContain("'..'");
    await until(() => sameAt('linked/f.txt', 'A', 'C'), 'the file at C, which has no such link');
    expect(await readdir(outside)).toEqual([]);
    expect(existsSync(join(dir, 'escape.txt'))).toBe(false);
  });

  it('marks a deleted file missing, but holds a scan that finds most of A gone (an unmounted disk)', async () => {
    await rm(at('A', 'prio/low.txt'));
    await until(async () => typeof (await node('/prio/low.txt')).missing_A === 'number', 'missing_A');
    const away = join(dir, 'A-away');
    await mkdir(away);
    const names = (await readdir(sites.A!.root)).filter((name) => name !== '.syncplanet');
    for (const name of names) await rename(at('A', name), join(away, name));
    const held = await until(async () => {
      const site = (await api('GET', 'stats')).json as { sites: { site: string; scan_held?: number }[] };
      return site.sites.find((s) => s.site === 'A' && (s.scan_held ?? 0) > 0);
    }, 'the hold in stats');
    expect(held.scan_held).toBeGreaterThanOrEqual(5);
    expect(String((await node('vol-A')).stderr_scan)).toContain('is it mounted');
    expect((await node('/shots/sh010/plate.exr')).missing_A).toBeUndefined();
    for (const name of names) await rename(join(away, name), at('A', name));
    await until(async () => (await node('vol-A')).scan_held === 0, 'the hold lifted');
    expect((await node('/renders/v001/')).missing_A).toBeUndefined();
  });

  it("pushes to B when A enables emission (B's agent stopped)", async () => {
    await agents.B!.stop();
    await api('PUT', 'update', { _id: 'vol-A', enableEmission: true });
    await put('A', 'pushed/p.txt', 'pushed by A');
    await until(() => sameAt('pushed/p.txt', 'A', 'B', 'C'), 'the file at B (pushed) and C');
    const pushed = await until(async () => {
      const n = await node('/pushed/p.txt');
      return typeof n.synced_B === 'number' && n;
    }, 'synced_B reported by A');
    expect(pushed.syncing_B).toBeUndefined();
    expect(agents.A!.find('rsync finished').some((line) => line.direction === 'emission')).toBe(true);
    expect(existsSync(at('B', '.syncplanet-partial'))).toBe(false);
    await api('PUT', 'update', { _id: 'vol-A', enableEmission: false });
    agents.B = h.start(sites.B!);
  });

  it('starts new work on a change event, without polling or scanning', async () => {
    await api('PUT', 'update', { _id: 'rsyncGlobalParameters', sleepBetweenScans: 3600 });
    await agents.B!.stop();
    agents.B = h.start(sites.B!, ['--poll-interval', '3600']);
    await until(
      async () =>
        agents.B!.find('scan finished').length > 0 &&
        agents.B!.find('events connection').some((l) => l.status === 'subscribed'),
      'B listening',
    );
    const temporary = join(dir, 'evented.txt');
    await writeFile(temporary, 'sent on an event');
    const { size, mtimeMs } = await stat(temporary);
    await rename(temporary, at('A', 'evented.txt'));
    await api('POST', 'publish', {
      _id: '/evented.txt',
      origin: 'A',
      comment: 'via the API',
      file_size: size,
      file_mtime: Math.floor(mtimeMs),
    });
    await until(() => sameAt('evented.txt', 'A', 'B'), 'the file at B');
    await api('PUT', 'update', { _id: 'rsyncGlobalParameters', sleepBetweenScans: 1 });
  });

  it('refuses a source whose host key changed (pinned at first use)', async () => {
    await sshd.restartWithNewHostKey();
    await put('A', 'after-rekey.txt', 'the host key changed');
    // ssh exits 255; rsync reports that, or 12 when it notices the closed stream first.
    const refused = await until(async () => {
      const n = await node('/after-rekey.txt');
      return [12, 255].includes(n.syncError_B as number) && n;
    }, 'syncError_B 255 (or 12)');
    expect(refused.syncErrorMessage_B).toContain('Host key verification failed');
    expect(existsSync(at('B', 'after-rekey.txt'))).toBe(false);
  });
});
