/** Heartbeats, `GET sites`, `GET stats` and `/metrics` on the local tracker (jwt mode). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalTracker } from '../../local/runtime.js';
import { call, startTestTracker } from '../support/tracker.js';
import { createVolumes, named, readSites, signedIn } from './helpers.js';

let t: LocalTracker;
let tokens: Record<string, string>;
const A = { _id: 'vol-a', name: 'A', url: 'ssh://sync@a:22/data/', heartbeatInterval: 1 };
const B = { _id: 'vol-b', name: 'B', url: 'ssh://sync@b/data/' };

beforeAll(async () => {
  t = await startTestTracker({ auth: 'jwt' });
  tokens = await signedIn(t, [
    ['ada', 'admin'],
    ['uma', 'user'],
    ['gus', 'guest'],
  ]);
  await createVolumes(t, [A, B], tokens.ada);
});
afterAll(() => t?.close());

describe('heartbeat', () => {
  it('sets the agent keys and lastHeartbeat, and answers the volume', async () => {
    const before = Date.now();
    const beat = {
      site: 'A',
      agentStatus: 'on',
      agentVersion: '0.1.0',
      bytesTotal: 1000,
      bytesRemaining: 400,
    };
    const r = await call(t, 'POST', 'heartbeat', beat, { token: tokens.uma });
    expect(r.status).toBe(200);
    const volume = r.json as Record<string, unknown>;
    expect(volume).toMatchObject({ _id: 'vol-a', url: A.url, agentVersion: '0.1.0', bytesTotal: 1000 });
    expect(volume.lastHeartbeat).toBeGreaterThanOrEqual(before);
  });

  it('refuses unknown sites (404), unknown keys (400) and guests (403)', async () => {
    const unknown = await call(t, 'POST', 'heartbeat', { site: 'Z' }, { token: tokens.uma });
    expect(unknown.status).toBe(404);
    expect(unknown.text).toBe('Heartbeat error: unknown site Z');
    const bad = await call(
      t,
      'POST',
      'heartbeat',
      { site: 'A', enableReception: false },
      { token: tokens.uma },
    );
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/^Heartbeat error: heartbeat: .*enableReception/);
    expect((await call(t, 'POST', 'heartbeat', { site: 'A' }, { token: tokens.gus })).status).toBe(403);
    expect((await call(t, 'POST', 'heartbeat', { site: 'A' })).status).toBe(401);
  });
});

describe('sites', () => {
  it('shows an agent on after a heartbeat and off after 3 missed intervals', async () => {
    await call(t, 'POST', 'heartbeat', { site: 'A', agentStatus: 'on' }, { token: tokens.uma });
    const sites = await readSites(t, tokens.gus);
    expect(named(sites, 'A')).toMatchObject({
      _id: 'vol-a',
      url: A.url,
      agentStatus: 'on',
      heartbeatInterval: 1,
    });
    expect(named(sites, 'B')).toMatchObject({
      agentStatus: 'off',
      lastHeartbeat: null,
      heartbeatInterval: 60,
    });
    // Off once 3 intervals (3 s) pass without a heartbeat; "on" above had 3 s of slack on a loaded machine.
    await new Promise((resolve) => setTimeout(resolve, 3100));
    expect(named(await readSites(t, tokens.gus), 'A')!.agentStatus).toBe('off');
  });

  it('needs a token in jwt mode', async () => {
    expect((await call(t, 'GET', 'sites')).status).toBe(401);
  });
});

describe('stats and metrics', () => {
  it('answers per-site figures', async () => {
    const r = await call(t, 'GET', 'stats', undefined, { token: tokens.gus });
    expect(r.status).toBe(200);
    const body = r.json as { time: number; sites: Record<string, unknown>[] };
    expect(body.time).toBeGreaterThan(0);
    const a = body.sites.find((s) => s.site === 'A');
    expect(a).toMatchObject({ _id: 'vol-a', bytesTotal: 1000, bytesRemaining: 400 });
    expect(typeof a!.lastHeartbeat).toBe('number');
  });

  /** `name{labels} value` lines of a Prometheus text answer. */
  function samples(text: string): Map<string, number> {
    const found = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const match = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
      expect(match, line).not.toBeNull();
      found.set(match![1]!, Number(match![2]));
    }
    return found;
  }

  it('serves /metrics and /api/metrics in the Prometheus text format to guests and up', async () => {
    await call(t, 'POST', 'heartbeat', { site: 'A', agentStatus: 'on' }, { token: tokens.uma });
    const headers = { Authorization: `Bearer ${tokens.gus}` };
    const response = await fetch(`${t.url}/metrics`, { headers });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const found = samples(await response.text());
    expect(found.get('syncplanet_sites')).toBe(2);
    expect(found.get('syncplanet_site_agent_up{site="A"}')).toBe(1);
    expect(found.get('syncplanet_site_agent_up{site="B"}')).toBe(0);
    expect(found.get('syncplanet_site_capacity_bytes{site="A"}')).toBe(1000);
    expect(found.get('syncplanet_site_last_heartbeat_seconds{site="A"}')).toBeGreaterThan(1e9);
    const api = await call(t, 'GET', 'metrics', undefined, { token: tokens.gus });
    expect(api.status).toBe(200);
    expect(api.text).toContain('syncplanet_site_agent_up{site="B"} 0');
    expect((await fetch(`${t.url}/metrics`)).status).toBe(401);
  });

  it('answers OpenMetrics when the scraper asks for it', async () => {
    const accept = 'application/openmetrics-text; version=1.0.0';
    const r = await fetch(`${t.url}/metrics`, {
      headers: { Authorization: `Bearer ${tokens.gus}`, Accept: accept },
    });
    expect(r.headers.get('content-type')).toMatch(/^application\/openmetrics-text/);
    expect((await r.text()).trimEnd().endsWith('# EOF')).toBe(true);
  });
});

describe('scan_held', () => {
  const beat = (body: Record<string, unknown>) => call(t, 'POST', 'heartbeat', body, { token: tokens.uma });

  it('shows the files a scan held back in sites, stats and metrics; absent until reported', async () => {
    const before = await call(t, 'GET', 'stats', undefined, { token: tokens.gus });
    const statsB = (before.json as { sites: Record<string, unknown>[] }).sites.find((s) => s.site === 'B');
    expect(statsB).not.toHaveProperty('scan_held');
    expect(named(await readSites(t, tokens.gus), 'B')).not.toHaveProperty('scan_held');

    expect((await beat({ site: 'B', scan_held: 1234 })).status).toBe(200);
    expect(named(await readSites(t, tokens.gus), 'B')).toMatchObject({ scan_held: 1234 });
    const after = await call(t, 'GET', 'stats', undefined, { token: tokens.gus });
    expect(
      (after.json as { sites: Record<string, unknown>[] }).sites.find((s) => s.site === 'B'),
    ).toMatchObject({
      scan_held: 1234,
    });
    const metrics = await call(t, 'GET', 'metrics', undefined, { token: tokens.gus });
    expect(metrics.text).toContain('# TYPE syncplanet_site_scan_held_files gauge');
    expect(metrics.text).toContain('syncplanet_site_scan_held_files{site="B"} 1234');
    expect(metrics.text).not.toContain('syncplanet_site_scan_held_files{site="A"}');

    expect((await beat({ site: 'B', scan_held: 0 })).status).toBe(200);
    expect(named(await readSites(t, tokens.gus), 'B')).toMatchObject({ scan_held: 0 });
  });

  it('must be a whole number ≥ 0', async () => {
    for (const scan_held of [-1, 1.5, '3', null]) {
      const r = await beat({ site: 'B', scan_held });
      expect(r.status, String(scan_held)).toBe(400);
      expect(r.text).toMatch(/^Heartbeat error: heartbeat: scan_held: /);
    }
  });
});
