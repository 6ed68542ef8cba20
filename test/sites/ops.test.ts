/**
 * The site operations on DynamoDB Local (a node store and the queue table's site registry), with the
 * queues' backlog and peek hooks given, so their figures and the clock are fixed.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TrackerError } from '../../functions/core/errors.js';
import type { Node } from '../../functions/core/nodes.js';
import type { OpContext } from '../../functions/core/ops/context.js';
import { peekQueue } from '../../functions/core/ops/site-queue.js';
import { heartbeat, listSites, stats } from '../../functions/core/ops/sites.js';
import { OPEN_CALLER, type Caller } from '../../functions/core/permissions.js';
import type { QueuedPair, SiteBacklog } from '../../functions/core/sites.js';
import { metrics } from '../../functions/http/metrics.js';
import { createDocumentClient } from '../../functions/store/dynamo-client.js';
import { DynamoNodeStore } from '../../functions/store/node-store.js';
import { DynamoQueueStore } from '../../functions/store/queue-store.js';
import { localTableNames } from '../../functions/store/schema.js';
import { ensureTables } from '../../local/tables.js';

const NOW = 1_700_000_000_000;

const db = createDocumentClient(inject('dynamodbEndpoint'));
const tables = localTableNames(`o${randomBytes(4).toString('hex')}`);
const store = new DynamoNodeStore(db, tables.nodes);
const sync = new DynamoQueueStore(db, tables.queue, tables.nodes);
beforeAll(() => ensureTables(db, tables), 120_000);
afterAll(() => db.destroy());

const A: Node = { _id: 'vol-a', name: 'A', url: 'ssh://s@a/d/', lastHeartbeat: NOW - 1000 };
const B: Node = {
  _id: 'vol-b',
  name: 'B',
  url: 'ssh://s@b/d/',
  heartbeatInterval: 1,
  lastHeartbeat: NOW - 4000,
};

/** A context whose nodes and registry hold exactly `volumes` (as the nodes stream records them). */
async function context(volumes: Node[], extra: Partial<OpContext> = {}, caller: Caller = OPEN_CALLER) {
  const ids = [A, B].map((v) => v._id);
  await store.delete(ids);
  for (const id of ids) await sync.setRegistry(id, null);
  await store.create(volumes.map((v) => [v]));
  for (const v of volumes) await sync.setRegistry(v._id, v);
  return { store, sync, caller, now: () => NOW, ...extra } as OpContext;
}

async function status(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (error) {
    return (error as TrackerError).status;
  }
}

describe('heartbeat', () => {
  it('sets the agent keys and lastHeartbeat on the volume named by site, and answers it', async () => {
    const ctx = await context([A, B]);
    const reply = await heartbeat(ctx, {
      site: 'B',
      agentStatus: 'on',
      bytesTotal: 100,
      agentVersion: '2.0',
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      _id: 'vol-b',
      agentStatus: 'on',
      bytesTotal: 100,
      lastHeartbeat: NOW,
    });
    expect(await store.get('vol-b')).toMatchObject({ agentVersion: '2.0', lastHeartbeat: NOW });
  });

  it('registers the url the agent was given (how other sites reach the volume)', async () => {
    const ctx = await context([A]);
    await heartbeat(ctx, { site: 'A', url: 'ssh://sync@nas.a:2222/vol/' });
    expect(await store.get('vol-a')).toMatchObject({ url: 'ssh://sync@nas.a:2222/vol/' });
  });

  it('refuses unknown sites (404), bad bodies (400) and another site for a scoped token (403)', async () => {
    const ctx = await context([A]);
    expect(await status(heartbeat(ctx, { site: 'Z' }))).toBe(404);
    expect(await status(heartbeat(ctx, { site: 'A', url: 'http://x@y/z/' }))).toBe(400);
    expect(await status(heartbeat(ctx, { site: 'A', name: 'B' }))).toBe(400);
    expect(await status(heartbeat(ctx, { site: 'A', bytesTotal: '1 TB' }))).toBe(400);
    const scoped = await context([A, B], {}, { username: 'bot', class: 'user', site: 'B' });
    expect(await status(heartbeat(scoped, { site: 'A' }))).toBe(403);
    expect(await status(heartbeat(scoped, { site: 'B' }))).toBe(200);
  });

  it('answers 503 when the tracker has no site registry', async () => {
    const ctx = await context([A], { sync: undefined });
    expect(await status(heartbeat(ctx, { site: 'A' }))).toBe(503);
  });
});

describe('sites and stats', () => {
  it('lists every volume with the agent on or off, and no backlog without the hook', async () => {
    const ctx = await context([A, B]);
    const sites = (await listSites(ctx)).body as Record<string, unknown>[];
    expect(sites.map((s) => [s.name, s.agentStatus])).toEqual([
      ['A', 'on'],
      ['B', 'off'],
    ]);
    expect(sites[0]).not.toHaveProperty('backlog');
  });

  it('adds what the backlog hook reports', async () => {
    const backlog = async (site: string): Promise<SiteBacklog> =>
      site === 'A'
        ? { pending: 2, bytes: 2048, oldestPendingTime: NOW - 60_000, syncing: 1, errors: { 23: 1 } }
        : { pending: 0, bytes: 0 };
    const ctx = await context([A, B], { backlog });
    const sites = (await listSites(ctx)).body as Record<string, unknown>[];
    expect(sites[0]).toMatchObject({ backlog: { pending: 2, bytes: 2048 }, errors: { 23: 1 } });
    const figures = (await stats(ctx)).body as { time: number; sites: Record<string, unknown>[] };
    expect(figures.time).toBe(NOW);
    expect(figures.sites[0]).toMatchObject({ site: 'A', pending: 2, oldestPendingAge: 60_000, syncing: 1 });
    expect(figures.sites[1]).toMatchObject({ site: 'B', pending: 0, oldestPendingAge: null, errors: {} });
  });
});

describe('metrics', () => {
  it('renders the figures as Prometheus text, and OpenMetrics when asked', async () => {
    const backlog = async () => ({ pending: 3, bytes: 30, oldestPendingTime: NOW - 2000, errors: { 23: 2 } });
    const ctx = await context([{ ...A, bytesTotal: 1000 }, B], { backlog });
    const reply = await metrics(ctx, undefined);
    expect(reply.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = reply.body as string;
    expect(text).toContain('# TYPE syncplanet_site_agent_up gauge');
    expect(text).toContain('syncplanet_sites 2');
    expect(text).toContain('syncplanet_site_agent_up{site="A"} 1');
    expect(text).toContain('syncplanet_site_agent_up{site="B"} 0');
    expect(text).toContain('syncplanet_site_pending_pairs{site="A"} 3');
    expect(text).toContain('syncplanet_site_oldest_pending_age_seconds{site="A"} 2');
    expect(text).toContain('syncplanet_site_sync_errors{site="A",code="23"} 2');
    expect(text).toContain('syncplanet_site_capacity_bytes{site="A"} 1000');
    expect(text).not.toContain('syncplanet_site_capacity_bytes{site="B"}');
    const open = await metrics(ctx, 'application/openmetrics-text; version=1.0.0');
    expect(open.contentType).toMatch(/^application\/openmetrics-text/);
    expect((open.body as string).trimEnd().endsWith('# EOF')).toBe(true);
  });
});

describe('queue peek', () => {
  const pair: QueuedPair = { _id: '/a', sync_priority: 5, time: NOW, state: 'pending' };

  it('reads the hook with the site and limit (default 20)', async () => {
    const asked: [string, number][] = [];
    const queuePeek = async (site: string, limit: number) => (asked.push([site, limit]), [pair]);
    const ctx = await context([A], { queuePeek });
    expect((await peekQueue(ctx, 'A')).body).toEqual([pair]);
    await peekQueue(ctx, 'A', '5');
    expect(asked).toEqual([
      ['A', 20],
      ['A', 5],
    ]);
  });

  it('refuses bad sites and limits (400), unknown sites (404); 503 without the hook', async () => {
    const ctx = await context([A], { queuePeek: async () => [] });
    expect(await status(peekQueue(ctx, ''))).toBe(400);
    expect(await status(peekQueue(ctx, 'A', '0'))).toBe(400);
    expect(await status(peekQueue(ctx, 'A', '1001'))).toBe(400);
    expect(await status(peekQueue(ctx, 'A', 'ten'))).toBe(400);
    expect(await status(peekQueue(ctx, 'Z'))).toBe(404);
    expect(await status(peekQueue(await context([A]), 'A'))).toBe(503);
  });
});
