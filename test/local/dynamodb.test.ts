import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb/launch.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const TIMEOUT = 60_000;

function clientFor(db: DynamoDbLocal): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: db.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

async function listTables(db: DynamoDbLocal): Promise<string[]> {
  const client = clientFor(db);
  try {
    return (await client.send(new ListTablesCommand({}))).TableNames ?? [];
  } finally {
    client.destroy();
  }
}

/** Addresses of this machine other than loopback (link-local IPv6 needs a scope id: skipped). */
function nonLoopbackAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flatMap((infos) => infos ?? [])
    .filter((info) => !info.internal && !info.address.toLowerCase().startsWith('fe80:'))
    .map((info) => info.address);
}

/** Resolves with the connection error code, or 'connected'. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(5_000, () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('DynamoDB Local', () => {
  const started: DynamoDbLocal[] = [];
  const tempDirs: string[] = [];
  let db: DynamoDbLocal;

  beforeAll(async () => {
    db = await startDynamoDbLocal({});
    started.push(db);
  }, TIMEOUT);

  afterAll(async () => {
    await Promise.all(started.map((instance) => instance.stop()));
    await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }, TIMEOUT);

  it(
    'answers ListTables on a free loopback port, in memory',
    async () => {
      expect(db.port).toBeGreaterThan(0);
      expect(db.endpoint).toBe(`http://127.0.0.1:${db.port}`);
      expect(isAlive(db.pid)).toBe(true);
      expect(await listTables(db)).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'refuses connections on the non-loopback addresses of this machine',
    async (context) => {
      const addresses = nonLoopbackAddresses();
      if (addresses.length === 0) context.skip('this machine has no non-loopback address');
      for (const address of addresses) {
        expect({ address, result: await tryConnect(address, db.port) }).toEqual({
          address,
          result: 'ECONNREFUSED',
        });
      }
      expect(await tryConnect('127.0.0.1', db.port)).toBe('connected');
    },
    TIMEOUT,
  );

  it(
    'rejects a second start on a busy port',
    async () => {
      await expect(startDynamoDbLocal({ port: db.port })).rejects.toThrow(
        `port ${db.port} on 127.0.0.1 is already in use`,
      );
      expect(await listTables(db)).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'keeps tables in dataDir across restarts',
    async () => {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'dynamodb-local-test-'));
      tempDirs.push(dataDir);

      const first = await startDynamoDbLocal({ dataDir });
      started.push(first);
      const client = clientFor(first);
      try {
        await client.send(
          new CreateTableCommand({
            TableName: 'persisted',
            KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
            AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        );
      } finally {
        client.destroy();
      }
      await first.stop();
      await first.stop(); // idempotent
      expect(isAlive(first.pid)).toBe(false);

      const logs: string[] = [];
      const second = await startDynamoDbLocal({ dataDir, onLog: (line) => logs.push(line) });
      started.push(second);
      expect(await listTables(second)).toEqual(['persisted']);
      expect(logs).toContain(`LocalDynamoDb ready ${second.endpoint}`);
    },
    TIMEOUT,
  );
});
