/**
 * Reads the DynamoDB Local stream of one table and calls a Lambda DynamoDB-stream handler with
 * Lambda-shaped events, as an event source mapping does: every shard read in order (a parent to its
 * end before its children), batches of one shard at a time, partial batch failures resumed from the
 * first failed record after a capped backoff, nothing skipped. Runs as a LocalHost worker.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
  type _Record,
  type AttributeValue as SdkAttributeValue,
  type Shard,
  type ShardIteratorType,
} from '@aws-sdk/client-dynamodb-streams';
import type {
  AttributeValue,
  DynamoDBBatchItemFailure,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
  StreamRecord,
} from 'aws-lambda';
import { setTimeout as delay } from 'node:timers/promises';
import type { Worker } from './host.js';

export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;

export interface StreamPollerOptions {
  endpoint: string;
  table: string;
  handler: StreamHandler;
  /** Most records per handler call (Lambda's BatchSize). */
  batchSize?: number;
  /** Pause after an empty read of an open shard. */
  idleMs?: number;
  /** How often the shard list is read again (new shards appear when a shard closes, every 4 h). */
  discoverMs?: number;
  log?: (message: string, error?: unknown) => void;
  /** Stand-ins for the SDK clients (tests); by default clients for `endpoint`. */
  clients?: StreamPollerClients;
}

/** Only the calls the poller makes; tests may pass fakes. */
export interface StreamPollerClients {
  dynamodb: Pick<DynamoDBClient, 'send' | 'destroy'>;
  streams: Pick<DynamoDBStreamsClient, 'send' | 'destroy'>;
}

export interface StreamPoller extends Worker {
  /** Settles once the shards open at start have their LATEST position (or the poller stopped). */
  readonly ready: Promise<void>;
}

const BACKOFF_MIN_MS = 50;
const BACKOFF_MAX_MS = 5_000;

/** Where a shard read (re)starts. */
type Position =
  | { type: 'LATEST' | 'TRIM_HORIZON' }
  | { type: 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER'; sequenceNumber: string };

interface ShardState {
  /** Settles when the shard has been read to its end (or the poller stopped). */
  readonly done: Promise<void>;
  finish(): void;
}

// ---- Record conversion -----------------------------------------------------------------------

const base64 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** One SDK AttributeValue in Lambda's JSON form (binary as base64 text). */
export function toLambdaAttribute(value: SdkAttributeValue): AttributeValue {
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaAttribute) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.SS !== undefined) return { SS: [...value.SS] };
  if (value.NS !== undefined) return { NS: [...value.NS] };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  throw new Error(`unknown attribute value type: ${Object.keys(value).join(', ')}`);
}

function toLambdaImage(image: Record<string, SdkAttributeValue>): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, toLambdaAttribute(value)]));
}

/** Drops the keys whose value is undefined (Lambda events leave absent fields out). */
function present<T extends object>(fields: T): T {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as T;
}

/** A Streams API record as Lambda delivers it to a stream handler. Pure. */
export function toLambdaRecord(record: _Record, streamArn: string): DynamoDBRecord {
  const change = record.dynamodb ?? {};
  const created = change.ApproximateCreationDateTime;
  const dynamodb: StreamRecord = present({
    ApproximateCreationDateTime: created && Math.floor(created.getTime() / 1000),
    Keys: change.Keys && toLambdaImage(change.Keys),
    NewImage: change.NewImage && toLambdaImage(change.NewImage),
    OldImage: change.OldImage && toLambdaImage(change.OldImage),
    SequenceNumber: change.SequenceNumber,
    SizeBytes: change.SizeBytes,
    StreamViewType: change.StreamViewType,
  });
  return present({
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion,
    eventSourceARN: streamArn,
    dynamodb,
    // TTL deletions: Lambda spells these two keys in lower camel case
    userIdentity: record.userIdentity && {
      type: record.userIdentity.Type,
      principalId: record.userIdentity.PrincipalId,
    },
  });
}

/**
 * The sequence number to resume from after a handler answer: the earliest reported failure, or the
 * whole batch when an identifier is empty or names no record of the batch (as Lambda does).
 */
export function resumePoint(records: DynamoDBRecord[], failures: unknown): string | undefined {
  if (failures === undefined) return undefined;
  const sequence = records.map((r) => r.dynamodb?.SequenceNumber);
  if (!Array.isArray(failures)) return sequence[0];
  if (failures.length === 0) return undefined;
  const indexes = (failures as Partial<DynamoDBBatchItemFailure>[]).map((f) =>
    typeof f?.itemIdentifier === 'string' && f.itemIdentifier ? sequence.indexOf(f.itemIdentifier) : -1,
  );
  return indexes.includes(-1) ? sequence[0] : sequence[Math.min(...indexes)];
}

// ---- Poller ----------------------------------------------------------------------------------

class Backoff {
  private ms = 0;
  next(): number {
    this.ms = Math.min(BACKOFF_MAX_MS, this.ms ? this.ms * 2 : BACKOFF_MIN_MS);
    return this.ms;
  }
  reset(): void {
    this.ms = 0;
  }
}

function shardState(): ShardState {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { done, finish };
}

const isOpen = (shard: Shard) => shard.SequenceNumberRange?.EndingSequenceNumber === undefined;

class Poller {
  private readonly abort = new AbortController();
  private readonly shards = new Map<string, ShardState>();
  private readonly loops = new Set<Promise<void>>();
  private readonly batchSize: number;
  private readonly idleMs: number;
  private readonly log: (message: string, error?: unknown) => void;
  private streamArn: string | undefined;
  private readonly main: Promise<void>;
  private markReady!: () => void;
  readonly ready = new Promise<void>((resolve) => (this.markReady = resolve));
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly options: StreamPollerOptions,
    private readonly clients: StreamPollerClients,
  ) {
    this.batchSize = options.batchSize ?? 100;
    this.idleMs = options.idleMs ?? 50;
    this.log = options.log ?? ((message, error) => console.error(message, ...(error ? [error] : [])));
    this.main = this.discoverLoop();
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.abort.abort();
      await this.main;
      await Promise.all(this.loops); // a handler call in flight is awaited, a read is aborted
      this.markReady();
      this.clients.dynamodb.destroy();
      this.clients.streams.destroy();
    })();
    return this.stopping;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private sleep(ms: number): Promise<void> {
    return delay(ms, undefined, { signal: this.abort.signal }).catch(() => undefined);
  }

  /** Lets stop() abort a request in flight. */
  private get call() {
    return { abortSignal: this.abort.signal };
  }

  /** Finds the stream, then lists its shards every few seconds and starts a reader per new shard. */
  private async discoverLoop(): Promise<void> {
    const backoff = new Backoff();
    let initial = true;
    while (!this.stopped) {
      try {
        this.streamArn ??= await this.findStream();
        await this.discover(this.streamArn, initial);
        if (initial) this.markReady();
        initial = false;
        backoff.reset();
        await this.sleep(this.options.discoverMs ?? 3_000);
      } catch (error) {
        if (this.stopped) break;
        this.log(`stream poller (${this.options.table}): shard discovery failed`, error);
        await this.sleep(backoff.next());
      }
    }
  }

  private async findStream(): Promise<string> {
    const command = new DescribeTableCommand({ TableName: this.options.table });
    const { Table } = await this.clients.dynamodb.send(command, this.call);
    if (!Table?.LatestStreamArn) throw new Error(`table ${this.options.table} has no stream`);
    return Table.LatestStreamArn;
  }

  private async listShards(streamArn: string): Promise<Shard[]> {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const command = new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start });
      const { StreamDescription: page } = await this.clients.streams.send(command, this.call);
      shards.push(...(page?.Shards ?? []));
      start = page?.LastEvaluatedShardId;
    } while (start && !this.stopped);
    return shards;
  }

  /**
   * Shards open when the poller starts begin at LATEST: changes made while the local tracker is
   * stopped make no events (consumers are idempotent anyway, so nothing relies on a replay at
   * start). Shards closed by then are history and not read. Shards found later (children of a closed shard)
   * begin at TRIM_HORIZON once their parent has been read to its end.
   */
  private async discover(streamArn: string, initial: boolean): Promise<void> {
    const fresh = (await this.listShards(streamArn)).filter((s) => s.ShardId && !this.shards.has(s.ShardId));
    const starts = new Map<Shard, { position: Position; iterator?: string }>();
    for (const shard of fresh) {
      if (initial && !isOpen(shard)) continue;
      if (!initial) {
        starts.set(shard, { position: { type: 'TRIM_HORIZON' } });
        continue;
      }
      const position: Position = { type: 'LATEST' };
      starts.set(shard, { position, iterator: await this.iterator(streamArn, shard.ShardId!, position) });
    }
    if (this.stopped) return;
    for (const shard of fresh) {
      const state = shardState();
      this.shards.set(shard.ShardId!, state);
      if (!starts.has(shard)) state.finish();
    }
    for (const [shard, start] of starts) {
      const parent = shard.ParentShardId ? this.shards.get(shard.ParentShardId) : undefined;
      const loop = this.readShard(streamArn, shard.ShardId!, parent, start.position, start.iterator);
      this.loops.add(loop);
      void loop.finally(() => this.loops.delete(loop));
    }
  }

  private async iterator(
    streamArn: string,
    shardId: string,
    position: Position,
  ): Promise<string | undefined> {
    const command = new GetShardIteratorCommand({
      StreamArn: streamArn,
      ShardId: shardId,
      ShardIteratorType: position.type as ShardIteratorType,
      SequenceNumber: 'sequenceNumber' in position ? position.sequenceNumber : undefined,
    });
    return (await this.clients.streams.send(command, this.call)).ShardIterator;
  }

  /** Reads one shard in order until its end (closed shard) or stop. Never rejects. */
  private async readShard(
    streamArn: string,
    shardId: string,
    parent: ShardState | undefined,
    start: Position,
    startIterator: string | undefined,
  ): Promise<void> {
    const state = this.shards.get(shardId)!;
    const backoff = new Backoff();
    let position = start;
    let iterator = startIterator;
    let fresh = startIterator === undefined; // the iterator still has to be fetched
    try {
      if (parent) await parent.done; // its loop also ends on stop
      while (!this.stopped) {
        try {
          if (fresh) {
            iterator = await this.iterator(streamArn, shardId, position);
            fresh = false;
          }
          if (iterator === undefined) return; // closed and read to its end
          const page = await this.clients.streams.send(
            new GetRecordsCommand({ ShardIterator: iterator, Limit: this.batchSize }),
            this.call,
          );
          const records = page.Records ?? [];
          if (records.length > 0) {
            const retryFrom = await this.deliver(streamArn, shardId, records);
            if (retryFrom !== undefined) {
              position = { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: retryFrom };
              fresh = true;
              await this.sleep(backoff.next());
              continue;
            }
            backoff.reset();
            const last = records.at(-1)!.dynamodb!.SequenceNumber!;
            position = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: last };
          }
          iterator = page.NextShardIterator;
          if (iterator !== undefined && records.length === 0) await this.sleep(this.idleMs);
        } catch (error) {
          if (this.stopped) return;
          if (error instanceof ExpiredIteratorException) {
            fresh = true; // resume from the last delivered record (or the start position)
          } else if (error instanceof TrimmedDataAccessException) {
            this.log(`stream poller (${this.options.table}): ${shardId} trimmed past its position`, error);
            position = { type: 'TRIM_HORIZON' };
            fresh = true;
          } else {
            this.log(`stream poller (${this.options.table}): reading ${shardId} failed`, error);
          }
          await this.sleep(backoff.next());
        }
      }
    } finally {
      state.finish();
    }
  }

  /** Calls the handler once; answers the sequence number to retry from, or undefined when all went through. */
  private async deliver(streamArn: string, shardId: string, records: _Record[]): Promise<string | undefined> {
    const event: DynamoDBStreamEvent = { Records: records.map((r) => toLambdaRecord(r, streamArn)) };
    const where = `stream poller (${this.options.table}): batch of ${records.length} from ${shardId}`;
    try {
      const answer = await this.options.handler(event);
      const retryFrom = resumePoint(event.Records, answer ? answer.batchItemFailures : undefined);
      if (retryFrom !== undefined) this.log(`${where} reported failures; retrying from ${retryFrom}`);
      return retryFrom;
    } catch (error) {
      this.log(`${where} failed; retrying the batch`, error);
      return event.Records[0]!.dynamodb!.SequenceNumber!;
    }
  }
}

function defaultClients(endpoint: string): StreamPollerClients {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const config = {
    endpoint,
    region: process.env.AWS_REGION ?? 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1, // the poller retries with its own backoff, which stop() can cut short
  };
  return { dynamodb: new DynamoDBClient(config), streams: new DynamoDBStreamsClient(config) };
}

/** Starts polling `table`'s stream; `stop()` ends every loop and is idempotent. */
export function startStreamPoller(options: StreamPollerOptions): StreamPoller {
  const poller = new Poller(options, options.clients ?? defaultClients(options.endpoint));
  return { ready: poller.ready, stop: () => poller.stop() };
}
