/** The stream poller: Lambda-shaped batches from DynamoDB Local's real stream, retries, shard order, stop. */
import { randomBytes } from 'node:crypto';
import {
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { localTableNames } from '../../functions/store/schema.js';
import {
  resumePoint,
  startStreamPoller,
  toLambdaRecord,
  type StreamPoller,
  type StreamPollerClients,
  type StreamPollerOptions,
} from '../../local/stream-poller.js';
import { ensureTables } from '../../local/tables.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const endpoint = inject('dynamodbEndpoint');
const db = new DynamoDBClient({
  endpoint,
  region: 'local',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const names = localTableNames(`p${randomBytes(4).toString('hex')}`);
const table = names.nodes;
const logs: string[] = [];
const pollers: StreamPoller[] = [];

type Handler = StreamPollerOptions['handler'];
async function started(handler: Handler, options: Partial<StreamPollerOptions> = {}): Promise<StreamPoller> {
  const poller = startStreamPoller({ endpoint, table, handler, log: (m) => logs.push(m), ...options });
  pollers.push(poller);
  await poller.ready;
  return poller;
}

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const put = (pk: string, extra = {}) =>
  db.send(new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, ...extra } }));
const keyOf = (record: DynamoDBRecord) => record.dynamodb!.Keys!.pk!.S!;
const sequenceOf = (record: DynamoDBRecord) => record.dynamodb!.SequenceNumber!;

beforeAll(() => ensureTables(db, names));
afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
  logs.length = 0;
});
afterAll(() => db.destroy());

describe('record conversion', () => {
  it('turns a Streams API record into the Lambda record shape', () => {
    const record: _Record = {
      eventID: 'e1',
      eventName: 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'ddblocal',
      dynamodb: {
        ApproximateCreationDateTime: new Date(1_700_000_000_900),
        Keys: { pk: { S: 'a' } },
        NewImage: {
          pk: { S: 'a' },
          bin: { B: new Uint8Array([1, 2, 3]) },
          set: { BS: [new Uint8Array([255]), new Uint8Array([])] },
          doc: {
            M: { list: { L: [{ N: '1' }, { NULL: true }, { BOOL: false }, { B: Buffer.from('hi') }] } },
          },
          tags: { SS: ['x'] },
          nums: { NS: ['1', '2'] },
        },
        OldImage: { pk: { S: 'a' } },
        SequenceNumber: '000000000000000000007',
        SizeBytes: 42,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    };
    expect(toLambdaRecord(record, 'arn:stream')).toEqual({
      eventID: 'e1',
      eventName: 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'ddblocal',
      eventSourceARN: 'arn:stream',
      dynamodb: {
        ApproximateCreationDateTime: 1_700_000_000,
        Keys: { pk: { S: 'a' } },
        NewImage: {
          pk: { S: 'a' },
          bin: { B: 'AQID' },
          set: { BS: ['/w==', ''] },
          doc: { M: { list: { L: [{ N: '1' }, { NULL: true }, { BOOL: false }, { B: 'aGk=' }] } } },
          tags: { SS: ['x'] },
          nums: { NS: ['1', '2'] },
        },
        OldImage: { pk: { S: 'a' } },
        SequenceNumber: '000000000000000000007',
        SizeBytes: 42,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    const ttl = toLambdaRecord(
      {
        eventName: 'REMOVE',
        dynamodb: { Keys: { pk: { S: 'a' } } },
        userIdentity: { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' },
      },
      'arn:stream',
    );
    expect(ttl.userIdentity).toEqual({ type: 'Service', principalId: 'dynamodb.amazonaws.com' });
    expect(JSON.parse(JSON.stringify(ttl))).toEqual(ttl); // plain JSON, no undefined fields
    expect(ttl.dynamodb).toEqual({ Keys: { pk: { S: 'a' } } });
  });

  it('resumes from the earliest failure, or the whole batch for an unknown identifier', () => {
    const records = ['1', '2', '3'].map((s) => ({ dynamodb: { SequenceNumber: s } }));
    expect(resumePoint(records, undefined)).toBeUndefined();
    expect(resumePoint(records, [])).toBeUndefined();
    expect(resumePoint(records, [{ itemIdentifier: '3' }, { itemIdentifier: '2' }])).toBe('2');
    expect(resumePoint(records, [{ itemIdentifier: '9' }])).toBe('1');
    expect(resumePoint(records, [{ itemIdentifier: '' }])).toBe('1');
    expect(resumePoint(records, 'nonsense')).toBe('1');
  });
});

describe('polling DynamoDB Local', () => {
  it('delivers writes made after start in order, as INSERT/MODIFY/REMOVE with images', async () => {
    const seen: DynamoDBRecord[] = [];
    await started(async (event) => void seen.push(...event.Records));
    await put('w1', { bin: { B: new Uint8Array([1, 2]) }, v: { N: '1' } });
    await db.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: 'w1' } },
        UpdateExpression: 'SET v = :v',
        ExpressionAttributeValues: { ':v': { N: '2' } },
      }),
    );
    await db.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: 'w1' } } }));
    await waitFor(() => seen.length >= 3);

    const { Table } = await db.send(new DescribeTableCommand({ TableName: table }));
    expect(seen).toHaveLength(3);
    expect(seen.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    for (const record of seen) {
      expect(record).toMatchObject({
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        eventSourceARN: Table!.LatestStreamArn,
        dynamodb: { Keys: { pk: { S: 'w1' } }, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      });
      expect(typeof record.awsRegion).toBe('string');
      expect(Math.abs(record.dynamodb!.ApproximateCreationDateTime! - Date.now() / 1000)).toBeLessThan(120);
    }
    const [insert, modify, remove] = seen;
    expect(insert!.dynamodb!.NewImage).toEqual({ pk: { S: 'w1' }, bin: { B: 'AQI=' }, v: { N: '1' } });
    expect(insert!.dynamodb!.OldImage).toBeUndefined();
    expect(modify!.dynamodb!.OldImage!.v).toEqual({ N: '1' });
    expect(modify!.dynamodb!.NewImage!.v).toEqual({ N: '2' });
    expect(remove!.dynamodb!.OldImage!.v).toEqual({ N: '2' });
    expect(remove!.dynamodb!.NewImage).toBeUndefined();
    const sequence = seen.map((r) => BigInt(sequenceOf(r)));
    expect([...sequence].sort((a, b) => (a < b ? -1 : 1))).toEqual(sequence);
  });

  it('redelivers a reported failure and the records after it, losing and skipping none', async () => {
    const calls: string[][] = [];
    const acked: string[] = [];
    let failedAt = -1;
    let release!: () => void;
    const written = new Promise<void>((resolve) => (release = resolve));
    await started(
      async (event): Promise<DynamoDBBatchResponse> => {
        await written; // the first batch waits until every record is in the stream
        const keys = event.Records.map(keyOf);
        calls.push(keys);
        const index = keys.indexOf('f3');
        if (failedAt < 0 && index >= 0) {
          failedAt = calls.length - 1;
          acked.push(...keys.slice(0, index));
          return { batchItemFailures: [{ itemIdentifier: sequenceOf(event.Records[index]!) }] };
        }
        acked.push(...keys);
        return { batchItemFailures: [] };
      },
      { batchSize: 10 },
    );
    const keys = ['f1', 'f2', 'f3', 'f4', 'f5'];
    for (const key of keys) await put(key);
    release();
    await waitFor(() => acked.includes('f5'));

    expect(acked).toEqual(keys);
    expect(failedAt).toBeGreaterThanOrEqual(0);
    expect(calls[failedAt + 1]).toEqual(['f3', 'f4', 'f5']);
    expect(logs.some((m) => m.includes('reported failures; retrying from'))).toBe(true);
  });

  it('retries a whole batch when the handler throws', async () => {
    const calls: string[][] = [];
    await started(async (event) => {
      calls.push(event.Records.map(keyOf));
      if (calls.length === 1) throw new Error('handler down');
    });
    await put('t1');
    await put('t2');
    await waitFor(() => calls.slice(1).flat().includes('t2'));

    expect(calls[1]!.slice(0, calls[0]!.length)).toEqual(calls[0]);
    expect(calls.slice(1).flat()).toEqual(['t1', 't2']);
    expect(logs.some((m) => m.includes('failed; retrying the batch'))).toBe(true);
  });

  it('stops promptly and idempotently, leaving no timer or socket behind', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const calls: DynamoDBStreamEvent[] = [];
    // An hour-long idle sleep: stop() must cut it short, or the test runs into its timeout.
    const poller = await started(async (event) => void calls.push(event), { idleMs: 3_600_000 });
    await new Promise((resolve) => setTimeout(resolve, 100)); // mid-sleep or mid-read
    await Promise.all([poller.stop(), poller.stop()]);
    await poller.stop();
    expect(timers()).toBeLessThanOrEqual(before);

    await put('after-stop');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(calls).toEqual([]);
  });
});

/** A stream whose shards and records the test controls (DynamoDB Local only rolls shards every 4 h). */
function fakeStream() {
  const shards = new Map<string, { records: _Record[]; closed: boolean; parent?: string }>();
  const iteratorRequests: string[] = [];
  const record = (key: string, sequence: number): _Record => ({
    eventID: key,
    eventName: 'INSERT',
    dynamodb: { Keys: { pk: { S: key } }, SequenceNumber: String(sequence).padStart(21, '0') },
  });
  const send = async (command: unknown) => {
    if (command instanceof DescribeTableCommand) return { Table: { LatestStreamArn: 'arn:fake' } };
    if (command instanceof DescribeStreamCommand) {
      // two pages, to go through ExclusiveStartShardId
      const all = [...shards].map(([ShardId, s]) => ({
        ShardId,
        ParentShardId: s.parent,
        SequenceNumberRange: {
          StartingSequenceNumber: '0',
          EndingSequenceNumber: s.closed ? '9' : undefined,
        },
      }));
      const from = command.input.ExclusiveStartShardId;
      const page = from ? all.slice(all.findIndex((s) => s.ShardId === from) + 1) : all.slice(0, 1);
      const more = !from && all.length > 1;
      return {
        StreamDescription: { Shards: page, LastEvaluatedShardId: more ? page[0]!.ShardId : undefined },
      };
    }
    if (command instanceof GetShardIteratorCommand) {
      const { ShardId, ShardIteratorType, SequenceNumber } = command.input;
      iteratorRequests.push(`${ShardId}:${ShardIteratorType}`);
      const { records } = shards.get(ShardId!)!;
      const at = {
        LATEST: records.length,
        TRIM_HORIZON: 0,
        AT_SEQUENCE_NUMBER: records.findIndex((r) => r.dynamodb!.SequenceNumber === SequenceNumber),
        AFTER_SEQUENCE_NUMBER: records.findIndex((r) => r.dynamodb!.SequenceNumber === SequenceNumber) + 1,
      }[ShardIteratorType!];
      return { ShardIterator: `${ShardId}|${at}` };
    }
    if (command instanceof GetRecordsCommand) {
      const [id, at] = command.input.ShardIterator!.split('|') as [string, string];
      const shard = shards.get(id)!;
      const records = shard.records.slice(Number(at), Number(at) + (command.input.Limit ?? 100));
      const next = Number(at) + records.length;
      const end = shard.closed && next >= shard.records.length;
      return { Records: records, NextShardIterator: end ? undefined : `${id}|${next}` };
    }
    throw new Error('unexpected command');
  };
  const clients = { dynamodb: { send, destroy() {} }, streams: { send, destroy() {} } };
  return { shards, record, iteratorRequests, clients: clients as unknown as StreamPollerClients };
}

describe('shards', () => {
  it('skips shards closed before start, reads open ones from LATEST, and a child only after its parent', async () => {
    const fake = fakeStream();
    fake.shards.set('old', { records: [fake.record('old1', 1)], closed: true });
    fake.shards.set('a', { records: [fake.record('before', 2)], closed: false, parent: 'old' });
    const seen: string[] = [];
    await started(
      async (event) => {
        const keys = event.Records.map(keyOf);
        if (keys.includes('a1')) await new Promise((resolve) => setTimeout(resolve, 150)); // a slow parent batch
        seen.push(...keys);
      },
      { clients: fake.clients, discoverMs: 20, idleMs: 5 },
    );
    // shard a closes after a1; its child b already holds records
    const a = fake.shards.get('a')!;
    a.records.push(fake.record('a1', 3));
    fake.shards.set('b', {
      records: [fake.record('b1', 4), fake.record('b2', 5)],
      closed: false,
      parent: 'a',
    });
    a.closed = true;
    await waitFor(() => seen.includes('b2'));

    expect(seen).toEqual(['a1', 'b1', 'b2']);
    expect(fake.iteratorRequests).toEqual(['a:LATEST', 'b:TRIM_HORIZON']);
  });
});
