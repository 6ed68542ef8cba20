import { describe, expect, it } from 'vitest';
import type { Node } from '../../functions/core/nodes.js';
import { siteState, sitesOfFile, sitesOfVolumes, syncTable } from '../../functions/core/sync-state.js';

const T = 1_700_000_000_000;
const file = (keys: Record<string, unknown>): Node =>
  ({ _id: '/p/f', time: T, origin: 'paris', ...keys }) as Node;

describe('siteState', () => {
  it('the origin holds the current version', () => {
    expect(siteState(file({}), 'paris')).toBe('current');
  });

  it('current when synced at or after time, outdated when before', () => {
    expect(siteState(file({ synced_lyon: T }), 'lyon')).toBe('current');
    expect(siteState(file({ synced_lyon: T + 5 }), 'lyon')).toBe('current');
    expect(siteState(file({ synced_lyon: T - 1 }), 'lyon')).toBe('outdated');
  });

  it('syncing and error, syncing first; a current copy wins over both', () => {
    expect(siteState(file({ syncing_lyon: T }), 'lyon')).toBe('syncing');
    expect(siteState(file({ syncError_lyon: 23 }), 'lyon')).toBe('error');
    expect(siteState(file({ syncing_lyon: T, syncError_lyon: 23, synced_lyon: T - 1 }), 'lyon')).toBe(
      'syncing',
    );
    expect(siteState(file({ syncError_lyon: 23, synced_lyon: T - 1 }), 'lyon')).toBe('error');
    expect(siteState(file({ syncing_lyon: T, synced_lyon: T }), 'lyon')).toBe('current');
  });

  it('missing when nothing says the site has it; null and false count as absent', () => {
    expect(siteState(file({}), 'lyon')).toBe('missing');
    expect(siteState(file({ syncing_lyon: null, syncError_lyon: false }), 'lyon')).toBe('missing');
  });

  it('a modification scanned at a site makes it current and the origin outdated', () => {
    const modified = file({ modified_lyon: T, synced_paris: T - 10 });
    expect(siteState(modified, 'lyon')).toBe('current');
    expect(siteState(modified, 'paris')).toBe('outdated');
    expect(siteState(file({ modified_lyon: T - 1 }), 'paris')).toBe('current'); // an older modification
  });

  it('a file without time counts as time 0', () => {
    expect(siteState({ _id: '/x', synced_lyon: 0 } as Node, 'lyon')).toBe('current');
  });
});

describe('sites', () => {
  it('come from origin and sync keys, never from sync_priority or sync_<site> filters', () => {
    const sites = sitesOfFile(
      file({ synced_a: 1, syncing_b: 1, syncError_c: 1, modified_d: 1, sync_priority: 3, sync_e: true }),
    );
    expect(sites.sort()).toEqual(['a', 'b', 'c', 'd', 'paris']);
  });

  it('volume nodes with an enableReception key name sites', () => {
    const volumes = [
      { _id: 'v1', name: 'rome', enableReception: false },
      { _id: 'v2', name: 'oslo' },
      { _id: 'v3', enableReception: true },
    ] as Node[];
    expect(sitesOfVolumes(volumes)).toEqual(['rome']);
  });
});

describe('syncTable', () => {
  it('gives every file a state at every site, sorted, with totals', () => {
    const files = [file({ synced_lyon: T }), { _id: '/p/g', time: T, origin: 'lyon' } as Node];
    const table = syncTable(files, [{ _id: 'v', name: 'oslo', enableReception: true } as Node]);
    expect(table.sites).toEqual(['lyon', 'oslo', 'paris']);
    expect(table.files).toEqual([
      { _id: '/p/f', states: { lyon: 'current', oslo: 'missing', paris: 'current' } },
      { _id: '/p/g', states: { lyon: 'current', oslo: 'missing', paris: 'missing' } },
    ]);
    expect(table.totals).toEqual({ current: 3, outdated: 0, syncing: 0, error: 0, missing: 3 });
  });

  it('is empty for no files', () => {
    expect(syncTable([])).toEqual({
      sites: [],
      files: [],
      totals: { current: 0, outdated: 0, syncing: 0, error: 0, missing: 0 },
    });
  });
});
