/**
 * The typed client's `subscribe` and the built `damas watch` against the real local tracker: live
 * events, and a connection cut by the server (as API Gateway cuts every connection after 2 hours)
 * resumed from the last id with nothing lost and nothing twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TrackerClient } from '../../client/api-client.js';
import type { EventFrame } from '../../client/events.js';
import { DynamoConnectionStore } from '../../functions/store/connection-store.js';
import { localTableNames } from '../../functions/store/schema.js';
import type { LocalTracker } from '../../local/runtime.js';
import { buildTestCli, removeTempDirs, tempDir } from '../cli/helpers.js';
import { call, startTestTracker } from '../support/tracker.js';

const prefix = `c${randomBytes(4).toString('hex')}`;
let t: LocalTracker;
let connections: DynamoConnectionStore;
const children: ChildProcess[] = [];

beforeAll(async () => {
  t = await startTestTracker({ tablePrefix: prefix });
  connections = new DynamoConnectionStore(t.tracker.db, localTableNames(prefix).connections);
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await t?.close();
  removeTempDirs();
});

/** Polls `condition` until it holds (bounded by `limitMs`), failing with `what`. */
async function until(condition: () => boolean | Promise<boolean>, what: string, limitMs = 20_000) {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Cuts every subscribed connection from the server side, through the management API. */
async function cutConnections(): Promise<number> {
  const open = await connections.subscribed();
  for (const connection of open) {
    await fetch(`${t.url}/@connections/${encodeURIComponent(connection.id)}`, { method: 'DELETE' });
  }
  return open.length;
}

const write = (id: string) => call(t, 'POST', 'create', { _id: id });

describe('TrackerClient.subscribe', () => {
  it('yields live events and resumes after the server cuts the connection, without loss or repeats', async () => {
    const client = new TrackerClient({ server: t.url });
    const subscription = client.subscribe({ prefix: '/sub/' }, { WebSocket, reconnect: { initialMs: 50 } });
    const seen: EventFrame[] = [];
    const reading = (async () => {
      for await (const event of subscription) seen.push(event);
    })();
    await until(async () => (await connections.subscribed()).length === 1, 'the subscription');
    await write('/sub/1');
    await until(() => seen.length === 1, 'the first event');

    expect(await cutConnections()).toBe(1);
    await write('/sub/2'); // made while the client is away
    await write('/sub/3');
    await until(() => seen.some((e) => e._id === '/sub/3'), 'the events made during the cut');
    await write('/sub/4'); // live again
    await until(() => seen.some((e) => e._id === '/sub/4'), 'a live event after resuming');

    subscription.close();
    await reading;
    expect(seen.map((e) => `${e.op} ${e._id}`)).toEqual([
      'create /sub/1',
      'create /sub/2',
      'create /sub/3',
      'create /sub/4',
    ]);
    expect(subscription.lastId).toBe(seen.at(-1)!.id);
  });
});

describe('damas watch', () => {
  it('prints one JSON line per event, resumes after a cut without loss, and exits 0 on SIGTERM', async () => {
    const cli = await buildTestCli();
    const child = spawn(process.execPath, [cli, 'watch', '/w/'], {
      cwd: tempDir('watch-'),
      env: { PATH: process.env.PATH, HOME: tempDir('watch-home-'), DAMAS_SERVER: t.url },
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const lines = () =>
      stdout
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as EventFrame);

    await until(
      async () => (await connections.subscribed()).some((c) => c.filter?.prefix === '/w/'),
      'watch subscribing',
    );
    await write('/w/1');
    await write('/elsewhere/1');
    await until(() => lines().length === 1, 'the first line');
    await cutConnections();
    await write('/w/2');
    await until(() => lines().length === 2, `the event made during the cut (stderr: ${stderr})`);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines().map((e) => e._id)).toEqual(['/w/1', '/w/2']);
    expect(lines()[0]).toMatchObject({ op: 'create', node: { _id: '/w/1' } });
    expect(lines()[0]).not.toHaveProperty('type');
  });
});
