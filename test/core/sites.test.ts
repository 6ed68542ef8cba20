import { describe, expect, it } from 'vitest';
import type { Node } from '../../functions/core/nodes.js';
import { agentStatusAt, HeartbeatBody, siteStats, siteStatus } from '../../functions/core/sites.js';

const NOW = 1_700_000_000_000;
const volume = (keys: Record<string, unknown> = {}): Node =>
  ({ _id: 'vol-b', name: 'B', url: 'ssh://sync@b/data/', author: 'x', rsync_args: '-v', ...keys }) as Node;

describe('agentStatusAt', () => {
  it('is off without a heartbeat, on within 3 intervals, off after', () => {
    expect(agentStatusAt(volume(), NOW)).toBe('off');
    expect(agentStatusAt(volume({ lastHeartbeat: NOW - 180_000 }), NOW)).toBe('on');
    expect(agentStatusAt(volume({ lastHeartbeat: NOW - 180_001 }), NOW)).toBe('off');
    expect(agentStatusAt(volume({ lastHeartbeat: NOW - 3_001, heartbeatInterval: 1 }), NOW)).toBe('off');
    expect(agentStatusAt(volume({ lastHeartbeat: NOW - 3_000, heartbeatInterval: 1 }), NOW)).toBe('on');
  });

  it('is off when the agent said so, even with a fresh heartbeat', () => {
    expect(agentStatusAt(volume({ lastHeartbeat: NOW, agentStatus: 'off' }), NOW)).toBe('off');
    // A stale "on" is not believed.
    expect(agentStatusAt(volume({ lastHeartbeat: NOW - 1e9, agentStatus: 'on' }), NOW)).toBe('off');
  });
});

describe('siteStatus', () => {
  it('shows identity, switches, status and capacity, not other keys', () => {
    const status = siteStatus(volume({ enableReception: false, bytesTotal: 10, lastHeartbeat: NOW }), NOW);
    expect(status).toEqual({
      _id: 'vol-b',
      name: 'B',
      url: 'ssh://sync@b/data/',
      enableReception: false,
      bytesTotal: 10,
      agentStatus: 'on',
      lastHeartbeat: NOW,
      heartbeatInterval: 60,
    });
  });

  it('adds the backlog and errors when the queues report them', () => {
    const status = siteStatus(volume(), NOW, { pending: 2, bytes: 30, errors: { 23: 1 } });
    expect(status).toMatchObject({
      backlog: { pending: 2, bytes: 30 },
      errors: { 23: 1 },
      lastHeartbeat: null,
    });
  });
});

describe('siteStats', () => {
  it('has the queue figures only with a backlog', () => {
    expect(siteStats(volume({ bytesRemaining: 5 }), NOW)).toEqual({
      site: 'B',
      _id: 'vol-b',
      agentStatus: 'off',
      lastHeartbeat: null,
      bytesRemaining: 5,
    });
    const backlog = { pending: 3, bytes: 300, oldestPendingTime: NOW - 5000, syncing: 1, errors: { 12: 2 } };
    expect(siteStats(volume(), NOW, backlog)).toMatchObject({
      pending: 3,
      bytes: 300,
      oldestPendingAge: 5000,
      syncing: 1,
      errors: { 12: 2 },
    });
    expect(siteStats(volume(), NOW, { pending: 0, bytes: 0 })).toMatchObject({
      oldestPendingAge: null,
      syncing: 0,
      errors: {},
    });
  });
});

describe('HeartbeatBody', () => {
  it('takes a site and known agent keys only', () => {
    const body = { site: 'B', agentStatus: 'on', agentVersion: '1.0.5', bytesTotal: 100, last_scan: NOW };
    expect(HeartbeatBody.parse(body)).toEqual(body);
    expect(HeartbeatBody.safeParse({ agentStatus: 'on' }).success).toBe(false); // no site
    expect(HeartbeatBody.safeParse({ site: 'B C' }).success).toBe(false);
    expect(HeartbeatBody.safeParse({ site: 'B', enableReception: false }).success).toBe(false); // a switch
    expect(HeartbeatBody.safeParse({ site: 'B', agentStatus: 'maybe' }).success).toBe(false);
    expect(HeartbeatBody.safeParse({ site: 'B', bytesUsed: -1 }).success).toBe(false);
    expect(HeartbeatBody.safeParse({ site: 'B', lastHeartbeat: NOW }).success).toBe(false); // server's key
  });
});
