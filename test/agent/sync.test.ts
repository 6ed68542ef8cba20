/**
 * The agent end to end: the local tracker (jwt mode) on DynamoDB Local, three sites as three folders
 * reached through a real sshd on 127.0.0.1, three agents with site-scoped tokens running the bundle.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalTracker } from '../../local/runtime.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { call, startTestTracker } from '../support/tracker.js';
import { until } from '../sync/helpers.js';
import { AgentHarness, makeRoots, seedAccounts, sha256, type AgentRun, type SiteSetup } from './harness.js';

const SITES = ['A', 'B', 'C'];
let dir: string;
let sshd: Sshd;
let t: LocalTracker;
let h: AgentHarness;
let admin: string;
let sites: Record<string, SiteSetup>;
const agents: Record<string, AgentRun> = {};

const api = (method: string, path: string, body?: unknown) => call(t, method, path, body, { token: admin });
const node = async (id: string) =>
  (await api('GET', `read/${encodeURIComponent(id)}`)).json as Record<string, unknown>;
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
  t = await startTestTracker({ auth: 'jwt' });
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
});
