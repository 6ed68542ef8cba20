/**
 * Planning through the HTTP API: destination filters, deletes leaving the queues, and re-planning
 * tasks when a volume's switches change (progress in `GET /api/tasks`).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReplanTask } from '../../functions/core/ports.js';
import type { LocalTracker } from '../../local/runtime.js';
import { call } from '../support/tracker.js';
import { claim, pendingIds, publish, startSyncTracker, until, untilPending, volume } from './helpers.js';

let t: LocalTracker;
beforeEach(async () => {
  t = await startSyncTracker();
});
afterEach(() => t?.close());

const tasks = async () => {
  const reply = await call(t, 'GET', 'tasks');
  expect(reply.status, reply.text).toBe(200);
  return reply.json as ReplanTask[];
};

describe('planning', () => {
  it('sends a file with syncEverywhere false and sync_C true to C only', async () => {
    await publish(t, 'A', [{ _id: '/s/only-c', syncEverywhere: false, sync_C: true }, { _id: '/s/all' }]);
    await untilPending(t, 'C', ['/s/all', '/s/only-c']);
    await untilPending(t, 'B', ['/s/all']);
    expect((await claim(t, 'B')).map((p) => p._id)).toEqual(['/s/all']);
  });

  it('takes the pairs of a deleted file out of the queues', async () => {
    await publish(t, 'A', [{ _id: '/d/gone' }, { _id: '/d/kept' }]);
    await untilPending(t, 'B', ['/d/gone', '/d/kept']);
    const [leased] = await claim(t, 'C', { limit: 1 });
    expect(leased?._id).toBe('/d/gone');
    expect((await call(t, 'DELETE', 'delete', '/d/gone')).status).toBe(200);
    await untilPending(t, 'B', ['/d/kept']);
    await untilPending(t, 'C', ['/d/kept']);
    expect((await claim(t, 'B')).map((p) => p._id)).toEqual(['/d/kept']);
    // The lease set of C is empty too: a claim long after the lease would have ended finds nothing more.
    const later = await t.tracker.sync.claim('C', 10, 60_000, Date.now() + 3_600_000, 'reception');
    expect(later.map((p) => p._id)).toEqual(['/d/kept']);
  });

  it('re-plans in a background task when a volume stops receiving, then when it receives again', async () => {
    await publish(t, 'A', [{ _id: '/v/1' }, { _id: '/v/2' }, { _id: '/v/3' }]);
    await untilPending(t, 'C', ['/v/1', '/v/2', '/v/3']);
    const heartbeat = await call(t, 'PUT', 'update', { _id: 'vol-c', agentVersion: 'x' });
    expect(heartbeat.status, heartbeat.text).toBe(200);
    const off = await call(t, 'PUT', 'update', { _id: 'vol-c', enableReception: false });
    expect(off.status, off.text).toBe(200);

    const done = await until(async () => {
      const task = (await tasks()).find((x) => x.reason.startsWith('update of volume vol-c'));
      return task?.done && task;
    }, 'the re-planning task to finish');
    expect(done).toMatchObject({ sites: ['C'], done: true, reason: 'update of volume vol-c (site C)' });
    // Volumes created or switched start one task each; status keys (a heartbeat) none.
    const reasons = (await tasks()).map((x) => x.reason);
    expect(reasons[0]).toBe('update of volume vol-c (site C)');
    expect(reasons.slice(1).sort()).toEqual([
      'create of volume vol-a (site A)',
      'create of volume vol-b (site B)',
      'create of volume vol-c (site C)',
    ]);
    expect(done.scanned).toBeGreaterThanOrEqual(6); // 3 volumes, 3 files, their history children
    expect(done.finishedAt).toBeGreaterThanOrEqual(done.startedAt);
    expect(await pendingIds(t, 'C')).toEqual([]);
    expect(await pendingIds(t, 'B')).toEqual(['/v/1', '/v/2', '/v/3']);
    expect(await claim(t, 'C')).toEqual([]);

    expect((await call(t, 'PUT', 'update', { _id: 'vol-c', enableReception: true })).status).toBe(200);
    await untilPending(t, 'C', ['/v/1', '/v/2', '/v/3']);
    await until(async () => (await tasks()).every((task) => task.done) && true, 'both tasks to finish');
  });

  it('queues files for a volume added later, and lets an admin start a full re-plan', async () => {
    await publish(t, 'A', [{ _id: '/n/1' }]);
    await untilPending(t, 'B', ['/n/1']);
    expect((await call(t, 'POST', 'create', volume('D'))).status).toBe(201);
    await untilPending(t, 'D', ['/n/1']);
    const started = await call(t, 'POST', 'tasks');
    expect(started.status, started.text).toBe(202);
    const id = (started.json as { id: string }).id;
    await until(
      async () => (await tasks()).find((task) => task.id === id && task.done),
      'the requested task',
    );
    expect((await tasks())[0]!.id).toBe(id);
  });
});
