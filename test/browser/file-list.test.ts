/**
 * The Files view's rows (dashboard/src/file-list.ts) against the real local tracker, outside a
 * browser, with small pages of ids: a folder is read page by page, a damas search (every id at once)
 * only once, however far down the rows go; a file published into the folder shown moves the rows
 * after it, and those now on a page already read are read too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrackerClient } from '../../client/api-client.js';
import { Api } from '../../dashboard/src/api.js';
import { FileList, NODE_PAGE } from '../../dashboard/src/file-list.js';
import { LiveFeed } from '../../dashboard/src/live.js';
import type { LocalTracker } from '../../local/runtime.js';
import { startTestTracker } from '../support/tracker.js';

/** Pages of ids as small as they may be: one page of nodes. */
const PAGE = NODE_PAGE;
const FILES = 2 * PAGE + 50;
const ids = Array.from({ length: FILES }, (_, i) => `/many/f${String(i).padStart(3, '0')}.exr`);

let t: LocalTracker;
let api: Api;
let client: TrackerClient;

beforeAll(async () => {
  t = await startTestTracker({ auth: 'open' });
  client = new TrackerClient({ server: t.url });
  await client.create(ids.map((_id) => ({ _id, tag: 'many' })));
  api = new Api(t.apiUrl, undefined, () => {});
});
afterAll(() => t?.close());

describe('file list', () => {
  it('reads a folder page by page', async () => {
    const list = new FileList(api, { kind: 'folder', folder: '/many/' }, PAGE);
    await list.start();
    expect(list.count).toBe(FILES);
    expect(list.ids.slice(0, PAGE)).toEqual(ids.slice(0, PAGE));
    expect(list.ids.slice(PAGE)).toEqual(Array(FILES - PAGE).fill(undefined));
    await list.ensure(FILES - 5, FILES);
    expect(list.ids.slice(PAGE, 2 * PAGE)).toEqual(Array(PAGE).fill(undefined));
    expect(list.ids.slice(2 * PAGE)).toEqual(ids.slice(2 * PAGE));
    expect(list.nodes.get(ids[FILES - 1]!)?.tag).toBe('many');
  });

  it('reads a damas search once, however far down the rows go', async () => {
    const list = new FileList(api, { kind: 'damas', query: 'tag:many' }, PAGE);
    await list.start();
    expect(list.count).toBe(FILES);
    await list.ensure(FILES - 5, FILES);
    expect(list.count).toBe(FILES);
    expect([...list.ids].sort()).toEqual(ids);
    expect(list.nodes.get(list.ids[FILES - 1]!)?.tag).toBe('many');
  });

  // Last: it adds a file to the folder.
  it('reads the rows a new file moves onto a page already read', async () => {
    const list = new FileList(api, { kind: 'folder', folder: '/many/' }, 2 * NODE_PAGE);
    await list.start();
    await list.ensure(FILES - 5, FILES);
    // Every id is listed; the nodes of rows 100 to 199 are not read.
    expect(list.ids.includes(undefined)).toBe(false);
    expect(list.nodes.has(ids[NODE_PAGE]!)).toBe(false);
    const live = new LiveFeed(api.client, undefined, () => {});
    live.listen((event) => list.apply(event));
    const subscribed = new Promise<void>((resolve) =>
      live.onStatus(() => live.status === 'subscribed' && resolve()),
    );
    live.start();
    await subscribed;
    await client.create({ _id: '/many/a.exr', tag: 'many' });
    await expect.poll(() => list.count).toBe(FILES + 1);
    // Row 199 (never read) is now row 200, on a page already read.
    expect(list.ids[2 * NODE_PAGE]).toBe(ids[2 * NODE_PAGE - 1]);
    await list.ensure(2 * NODE_PAGE, 2 * NODE_PAGE + 1);
    expect(list.nodes.get(ids[2 * NODE_PAGE - 1]!)?.tag).toBe('many');
    live.stop();
  });
});
