/** A store whose DynamoDB endpoint cannot be reached fails with `unavailable` (503), not a 500. */
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { TrackerError } from '../../functions/core/errors.js';
import { DynamoAuthStore } from '../../functions/store/auth-store.js';
import { createDocumentClient } from '../../functions/store/dynamo-client.js';
import { DynamoNodeStore } from '../../functions/store/node-store.js';

/** A port nobody listens on: bound once by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const db = createDocumentClient(`http://127.0.0.1:${await closedPort()}`);
afterAll(() => db.destroy());

async function rejection(promise: Promise<unknown>): Promise<TrackerError> {
  const error = await promise.then(
    () => expect.unreachable('the request should fail'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TrackerError);
  return error as TrackerError;
}

describe('an unreachable database', () => {
  it('rejects a node read with unavailable, keeping the SDK error as cause', async () => {
    const error = await rejection(new DynamoNodeStore(db, 'nodes').get('/a'));
    expect(error.code).toBe('unavailable');
    expect(error.status).toBe(503);
    const cause = error.cause as { code?: string; $metadata?: { attempts?: number } };
    expect(cause).toBeInstanceOf(Error);
    expect(cause).not.toBeInstanceOf(TrackerError);
    expect(cause.code).toBe('ECONNREFUSED');
    expect(cause.$metadata?.attempts).toBeGreaterThan(1); // after the SDK's own retries
  });

  it('rejects an auth read the same way', async () => {
    const store = new DynamoAuthStore(db, 'auth', () => new Uint8Array(32));
    expect((await rejection(store.getCredential('ann'))).code).toBe('unavailable');
  });
});
