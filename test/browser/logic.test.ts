/** The dashboard's pure parts: search box and routes, folder helpers, state words, changes, rates. */
import { describe, expect, it } from 'vitest';
import type { Node } from '../../client/types.js';
import { siteChanges } from '../../dashboard/src/changes.js';
import { formatBytes, formatDuration } from '../../dashboard/src/format.js';
import {
  ancestors,
  folderFilter,
  parentFolder,
  parseRoute,
  parseSearch,
  routeHash,
  subfolders,
  type Route,
} from '../../dashboard/src/listing.js';
import { catchUp, TransferRates } from '../../dashboard/src/rates.js';
import { allows, classOf } from '../../dashboard/src/classes.js';
import { cellState } from '../../dashboard/src/states.js';

const file = (keys: Partial<Node> = {}): Node =>
  ({ _id: '/p/a.exr', time: 100, origin: 'A', ...keys }) as Node;

describe('search box and routes', () => {
  it('reads a path as a folder, anything else as a damas query, JSON as a Mongo filter', () => {
    expect(parseSearch(' /proj/shot01 ', false)).toEqual({ kind: 'folder', folder: '/proj/shot01/' });
    expect(parseSearch('origin:paris time>5', false)).toEqual({
      kind: 'damas',
      query: 'origin:paris time>5',
    });
    expect(parseSearch('{"origin":"paris"}', true)).toEqual({ kind: 'mongo', filter: { origin: 'paris' } });
    expect(parseSearch('{"origin":', true)).toMatchObject({
      error: expect.stringContaining('not valid JSON'),
    });
    expect(parseSearch('[1]', true)).toMatchObject({ error: expect.stringContaining('JSON object') });
    expect(parseSearch('  ', false)).toHaveProperty('error');
  });

  it('round-trips routes through the address, odd characters included', () => {
    const routes: Route[] = [
      { view: 'sites' },
      { view: 'activity' },
      { view: 'files', listing: { kind: 'folder', folder: '/proj/sh 01#a?b/' } },
      { view: 'files', listing: { kind: 'damas', query: 'origin:paris _id:/^\\/p/' } },
      { view: 'files', listing: { kind: 'mongo', filter: { $or: [{ a: 1 }] } } },
    ];
    for (const route of routes) expect(parseRoute(routeHash(route))).toEqual(route);
    expect(parseRoute('')).toEqual({ view: 'sites' });
    expect(parseRoute('#/files/%E0%A4%A')).toEqual({
      view: 'files',
      listing: { kind: 'folder', folder: '/' },
    });
  });

  it('lists a folder with the folder index regex, and finds subfolders and parents', () => {
    expect(folderFilter('/p/s.1/')).toEqual({ _id: { $regex: '^/p/s\\.1/[^/]+/?$' } });
    expect(subfolders('/p/', ['/p/a/x', '/p/a/y', '/p/b/c/d', '/p/pkg/', '/q/z/w'])).toEqual([
      '/p/a/',
      '/p/b/',
    ]);
    expect(parentFolder('/p/a/x.exr')).toBe('/p/a/');
    expect(parentFolder('/p/pkg/')).toBe('/p/');
    expect(ancestors('/a/b/')).toEqual(['/', '/a/', '/a/b/']);
  });
});

describe('states and changes', () => {
  it('gives each state an icon and a word (the error with its rsync code)', () => {
    expect(cellState(file(), 'A')).toMatchObject({ state: 'current', icon: '✓', label: 'current' });
    expect(cellState(file({ synced_B: 50 }), 'B')).toMatchObject({ state: 'outdated', label: 'outdated' });
    expect(cellState(file({ syncing_B: 120 }), 'B')).toMatchObject({ state: 'syncing', icon: '⇣' });
    expect(cellState(file({ syncError_B: 23 }), 'B')).toMatchObject({ state: 'error', label: 'error 23' });
    expect(cellState(file(), 'C')).toMatchObject({ state: 'missing', icon: '○' });
  });

  it('tells what an update changed, with or without the node before it', () => {
    const before = file({ syncing_B: 200, synced_C: 150 });
    const after = file({ synced_B: 200, synced_C: 150 });
    expect(siteChanges(after, before)).toEqual([{ site: 'B', state: 'current', delivered: true }]);
    // Unseen before: the newest site key is the change.
    expect(siteChanges(file({ synced_C: 150, syncLastAttempt_B: 300, syncError_B: 23 }), undefined)).toEqual([
      { site: 'B', state: 'error', delivered: false },
    ]);
  });
});

describe('transfer rates and catch-up', () => {
  it('counts each delivery once and estimates the time to clear a backlog', () => {
    const rates = new TransferRates(0);
    const now = 600_000;
    for (let i = 0; i < 30; i++) {
      const node = file({ _id: `/p/${i}`, file_size: 1000, synced_B: now - 1000 });
      rates.observe(node, file({ _id: `/p/${i}`, syncing_B: now - 1000 }), now);
      rates.observe(node, undefined, now); // the same delivery seen again (a replay)
    }
    const rate = rates.rate('B', now);
    expect(rate).toMatchObject({ files: 30, bytes: 30_000, spanMs: 600_000 });
    expect(catchUp(60, 60_000, rate).ms).toBe(1_200_000);
    expect(catchUp(0, 0, rate).text).toBe('up to date');
    expect(catchUp(5, 0, rates.rate('C', now)).text).toBe('unknown: no transfers in the last 10 min');
    expect(catchUp(undefined, undefined, rate).text).toBe('no queue figures');
  });

  it('measures over at least a minute, however recently the page opened', () => {
    const rates = new TransferRates(1_000_000);
    rates.observe(file({ synced_B: 1_000_500 }), file(), 1_001_000);
    expect(rates.rate('B', 1_002_000)).toMatchObject({ spanMs: 60_000, filesPerMinute: 1 });
  });
});

describe('formatting and classes', () => {
  it('formats sizes and durations', () => {
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(4 * 1024 ** 4)).toBe('4.0 TB');
    expect(formatBytes(undefined)).toBe('—');
    expect(formatDuration(95_000)).toBe('1 min 35 s');
    expect(formatDuration(3 * 3_600_000 + 50 * 60_000)).toBe('3 h 50 min');
  });

  it('reads the caller class from verify: {} is open mode, an admin', () => {
    expect(classOf({})).toEqual({ userClass: 'admin', open: true });
    expect(classOf({ _id: '@g', class: 'guest' } as Node)).toEqual({ userClass: 'guest', open: false });
    expect(classOf({ _id: '@x', class: 'wizard' } as Node).userClass).toBe('guest');
    expect(allows('editor', 'user')).toBe(true);
    expect(allows('user', 'editor')).toBe(false);
  });
});
