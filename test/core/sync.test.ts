/** Destination planning, pair states and queue order (functions/core/sync.ts). */
import { describe, expect, it } from 'vitest';
import type { Node } from '../../functions/core/nodes.js';
import {
  destinations,
  isVolume,
  pairState,
  queuedState,
  queueOrderKey,
  retryDelayMs,
  sourceSite,
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
  it('fetch from the origin while it is current, else from a site holding the current version', () => {
    expect(sourceSite(file({ synced_B: 1000 }), ['B', 'C'])).toBe('A');
    expect(sourceSite(file({ time: 2000, modified_C: 2000, synced_B: 1000 }), ['B', 'C'])).toBe('C');
    expect(sourceSite(file({ time: 2000, modified_C: 1500 }), ['B', 'C'])).toBe('A');
  });

  it('recognises volumes and validates their keys', () => {
    expect(isVolume(volume('A'))).toBe(true);
    expect(isVolume({ _id: '/x', name: 'A', url: 'ssh://a@b/c/' } as Node)).toBe(false);
    expect(() => validateVolume(volume('A'))).not.toThrow();
    expect(() => validateVolume(volume('bad name'))).toThrow(/name must be 1-64/);
    expect(() => validateVolume(volume('A', { url: 'http://x/' }))).toThrow(/ssh:\/\/user@host/);
    expect(() => validateVolume(volume('A', { enableReception: 'yes' }))).toThrow(/enableReception/);
  });
});
