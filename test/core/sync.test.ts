/** Destination planning, pair states and queue order (functions/core/sync.ts). */
import { describe, expect, it } from 'vitest';
import type { Node } from '../../functions/core/nodes.js';
import {
  claimable,
  claimSource,
  destinations,
  isRegistryNode,
  isVolume,
  pairState,
  queuedState,
  queueOrderKey,
  replanSites,
  retryDelayMs,
  validateVolume,
} from '../../functions/core/sync.js';

const volume = (name: string, keys: Record<string, unknown> = {}): Node =>
  ({ _id: `vol-${name}`, name, url: `ssh://sync@${name}.example:22/data/`, ...keys }) as Node;
const volumes = [volume('A'), volume('B'), volume('C'), volume('D', { enableReception: false })];
const file = (keys: Record<string, unknown> = {}): Node =>
  ({ _id: '/p/shot/plate.exr', origin: 'A', time: 1000, ...keys }) as Node;

describe('destinations', () => {
  it('are the receiving volumes but the origin', () => {
    expect(destinations(file(), volumes)).toEqual(['B', 'C']);
  });

  it('include the origin again once the file was modified at another site', () => {
    expect(destinations(file({ time: 2000, modified_C: 2000 }), volumes)).toEqual(['A', 'B', 'C']);
    expect(pairState(file({ time: 2000, modified_C: 2000 }), 'C', 0)).toBe('current');
  });

  it('with syncEverywhere false, are the sites with sync_<site> true', () => {
    expect(destinations(file({ syncEverywhere: false, sync_C: true, sync_B: false }), volumes)).toEqual([
      'C',
    ]);
    expect(destinations(file({ syncEverywhere: false }), volumes)).toEqual([]);
  });

  it('take the global syncEverywhere when the file has none, the file’s when it has one', () => {
    const globals = { _id: 'rsyncGlobalParameters', syncEverywhere: false } as Node;
    expect(destinations(file({ sync_B: true }), volumes, globals)).toEqual(['B']);
    expect(destinations(file({ syncEverywhere: true }), volumes, globals)).toEqual(['B', 'C']);
  });

  it('plan a package (folder id) as one unit, and never history children, comments, users or volumes', () => {
    expect(destinations(file({ _id: '/p/shot/' }), volumes)).toEqual(['B', 'C']);
    expect(destinations(file({ '#parent': '/p/shot/plate.exr' }), volumes)).toEqual([]);
    expect(destinations({ _id: '@alice', origin: 'A' } as Node, volumes)).toEqual([]);
    expect(destinations(volume('E'), volumes)).toEqual([]);
  });
});

describe('pair states', () => {
  it('is current once delivered, pending again when the file changes', () => {
    expect(pairState(file({ synced_B: 1000 }), 'B', 5000)).toBe('current');
    expect(pairState(file({ synced_B: 900 }), 'B', 5000)).toBe('pending');
    expect(pairState(file(), 'B', 5000)).toBe('pending');
  });

  it('is leased until the lease ends, then pending (reclaimable)', () => {
    const leased = file({ syncing_B: 2000, syncLease_B: 3000 });
    expect(pairState(leased, 'B', 2500)).toBe('leased');
    expect(pairState(leased, 'B', 3000)).toBe('pending');
    expect(queuedState(leased, 'B')).toBe('leased');
  });

  it('waits after a failure with exponential backoff', () => {
    const failed = file({ syncError_B: 23, syncLastAttempt_B: 10_000, syncAttempts_B: 3 });
    expect(retryDelayMs(3)).toBe(240_000);
    expect(pairState(failed, 'B', 10_000 + 239_999)).toBe('waiting');
    expect(pairState(failed, 'B', 10_000 + 240_000)).toBe('pending');
    expect(queuedState(failed, 'B')).toBe('waiting');
    expect(retryDelayMs(100)).toBe(6 * 3_600_000);
  });
});

describe('queue order', () => {
  it('puts higher priority first (negative last), then older files, then ids', () => {
    const files = [
      file({ _id: '/a', sync_priority: -3, time: 1 }),
      file({ _id: '/b', time: 50 }),
      file({ _id: '/c', sync_priority: 7, time: 99 }),
      file({ _id: '/d', time: 20 }),
      file({ _id: '/e', sync_priority: 7, time: 10 }),
      file({ _id: '/f', time: 20 }),
    ];
    const ordered = [...files]
      .sort((x, y) => (queueOrderKey(x) < queueOrderKey(y) ? -1 : 1))
      .map((f) => f._id);
    expect(ordered).toEqual(['/e', '/c', '/d', '/f', '/b', '/a']);
  });
});

describe('sources and volumes', () => {
  it('recognises volumes and validates their keys', () => {
    expect(isVolume(volume('A'))).toBe(true);
    expect(isVolume({ _id: '/x', name: 'A', url: 'ssh://a@b/c/' } as Node)).toBe(false);
    expect(() => validateVolume(volume('A'))).not.toThrow();
    expect(() => validateVolume(volume('bad name'))).toThrow(/name must be 1-64/);
    expect(() => validateVolume(volume('A', { url: 'http://x/' }))).toThrow(/ssh:\/\/user@host/);
    // An agent passes user and host to ssh and rsync: a leading dash would be read as an option.
    expect(() => validateVolume(volume('A', { url: 'ssh://u@-oProxyCommand=x/d/' }))).toThrow(
      /ssh:\/\/user@host/,
    );
    expect(() => validateVolume(volume('A', { url: 'ssh://-lroot@h/d/' }))).toThrow(/ssh:\/\/user@host/);
    expect(() => validateVolume(volume('A', { enableReception: 'yes' }))).toThrow(/enableReception/);
  });
});

describe('registry changes and claims', () => {
  const globals = (keys: Record<string, unknown> = {}) => ({ _id: 'rsyncGlobalParameters', ...keys }) as Node;

  it('re-plan when a volume appears, goes, is renamed or switches reception; not for status keys', () => {
    expect(isRegistryNode(volume('A'))).toBe(true);
    expect(isRegistryNode(globals())).toBe(true);
    expect(isRegistryNode(file())).toBe(false);
    expect(replanSites(null, volume('A'))).toEqual(['A']);
    expect(replanSites(volume('A'), null)).toEqual(['A']);
    expect(replanSites(volume('A'), volume('A', { name: 'A2' }))).toEqual(['A', 'A2']);
    expect(replanSites(volume('A'), volume('A', { enableReception: false }))).toEqual(['A']);
    expect(replanSites(volume('A'), volume('A', { enableReception: true }))).toBeUndefined();
    expect(replanSites(volume('A'), volume('A', { agentStatus: 'on', last_scan: 5 }))).toBeUndefined();
  });

  it('re-plan every site when the global syncEverywhere changes (absent counts as true)', () => {
    expect(replanSites(null, globals({ syncEverywhere: false }))).toEqual([]);
    expect(replanSites(globals({ syncEverywhere: false }), globals({ syncEverywhere: true }))).toEqual([]);
    expect(replanSites(null, globals({ enableScans: true }))).toBeUndefined();
    expect(replanSites(globals(), globals({ syncEverywhere: true }))).toBeUndefined();
  });

  it('copy a leased pair only while it is destined, not current and due', () => {
    expect(claimable(file(), 'B', volumes, undefined, 0)).toBe(true);
    expect(claimable(file({ synced_B: 1000 }), 'B', volumes, undefined, 0)).toBe(false);
    expect(claimable(file(), 'D', volumes, undefined, 0)).toBe(false);
    const failed = file({ syncError_B: 23, syncLastAttempt_B: 10_000, syncAttempts_B: 1 });
    expect(claimable(failed, 'B', volumes, undefined, 69_999)).toBe(false);
    expect(claimable(failed, 'B', volumes, undefined, 70_000)).toBe(true);
  });

  it('fetch from the origin’s volume first, else a volume holding a current copy, never the destination', () => {
    expect(claimSource(file(), volumes, 'B')).toEqual({ site: 'A', url: 'ssh://sync@A.example:22/data/' });
    const modified = file({ time: 2000, modified_C: 2000 });
    expect(claimSource(modified, volumes, 'B')).toEqual({ site: 'C', url: 'ssh://sync@C.example:22/data/' });
    expect(claimSource(modified, volumes, 'C')).toBeUndefined();
    expect(claimSource(file({ time: 2000, modified_C: 1500 }), volumes, 'B')?.site).toBe('A');
  });

  it('fetches from a copy the site’s own scan found gone only when no other copy exists', () => {
    expect(claimSource(file({ missing_A: 1500, synced_C: 1000 }), volumes, 'B')?.site).toBe('C');
    expect(claimSource(file({ missing_A: 1500 }), volumes, 'B')?.site).toBe('A');
    expect(claimSource(file({ missing_A: 1500, missing_C: 1500, synced_C: 1000 }), volumes, 'B')?.site).toBe(
      'A',
    );
    expect(claimSource(file({ missing_A: null, synced_C: 1000 }), volumes, 'B')?.site).toBe('A');
    expect(claimSource(file({ origin: 'X', synced_C: 1000 }), volumes, 'B')?.site).toBe('C');
  });
});
