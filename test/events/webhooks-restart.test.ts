/**
 * Pending webhook retries survive a restart: a local tracker with its own DynamoDB Local on a data
 * folder fails a first attempt and is closed before the retry is due; a new tracker on the same
 * folder sends the retry, under the same webhook-id. Starts two JVMs, hence the long timeouts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalTracker, type LocalTracker } from '../../local/runtime.js';
import { call } from '../support/tracker.js';
import { Receiver, subscribe } from './webhooks-receiver.js';

const TIMEOUT_MS = 120_000;
let dataDir: string;
let receiver: Receiver;
const trackers: LocalTracker[] = [];

/** Retry 3 s after the first failure: time enough to close the tracker before it is due. */
const start = async () => {
  const t = await startLocalTracker({ dataDir, port: 0, settings: { WEBHOOK_RETRIES: '3s' } });
  trackers.push(t);
  return t;
};

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'webhooks-restart-'));
  // 500 on the first copy of each message, 200 afterwards.
  receiver = await Receiver.start((_arrival, copies) => (copies === 1 ? 500 : 200));
}, TIMEOUT_MS);
afterAll(async () => {
  await receiver?.close();
  await Promise.all(trackers.map((t) => t.close()));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, TIMEOUT_MS);

describe('webhook retries across a restart', () => {
  it(
    'a retry pending when the tracker closes is sent by the next tracker on the same data folder',
    async () => {
      const first = await start();
      const hookId = await subscribe(first, receiver, { prefix: '/restart/' });
      expect((await call(first, 'POST', 'create', { _id: '/restart/a' })).status).toBe(201);
      await receiver.waitFor((all) => all.length >= 1, 'the first attempt');
      await first.close(); // waits for the worker to record the failed attempt
      expect(receiver.arrivals, 'no retry before the restart').toHaveLength(1);
      const failed = receiver.arrivals[0]!;
      expect(failed.event).toMatchObject({ op: 'create', _id: '/restart/a' });

      const second = await start();
      await receiver.waitFor((all) => all.length >= 2, 'the retry from the restarted tracker', 30_000);
      const retried = receiver.arrivals[1]!;
      expect(retried.webhookId).toBe(failed.webhookId);
      expect(retried.event).toEqual(failed.event);
      expect(retried.verifyError).toBeUndefined();
      // The webhook itself survived too, and nothing was dead-lettered.
      expect((await call(second, 'GET', `webhooks/${hookId}/failures`)).json).toEqual([]);
      expect(receiver.arrivals).toHaveLength(2);
    },
    TIMEOUT_MS,
  );
});
