/**
 * Bulk data for the benchmark: file nodes written with raw BatchWriteItem in the store's own item
 * layout (toItem), spread over folders of FILES_PER_FOLDER files: /proj/shot0000/, /proj/shot0001/…
 */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { generateId, PARENT_KEY, type Node } from '../functions/core/nodes.js';
import { toItem, type Item } from '../functions/store/items.js';
import { DYNAMO_CONCURRENCY, type Bench } from './context.js';
import { chunk, pool } from './measure.js';

export const FILES_PER_FOLDER = 50;
const BATCH_WRITE_SIZE = 25;

const pad = (n: number, width: number) => String(n).padStart(width, '0');

const folderPath = (folder: number): string => `/proj/shot${pad(folder, 4)}/`;
const filePath = (folder: number, file: number): string => `${folderPath(folder)}img.${pad(file, 4)}.exr`;

/** The fixed-size folder that the search figures list and search (seeded first, so always full). */
const BENCH_FOLDER_INDEX = 42;
export const BENCH_FOLDER = folderPath(BENCH_FOLDER_INDEX);

/** A published file node as the API stores it (author and time set, publish keys). */
export function fileNode(id: string, time = Date.now()): Node {
  return {
    _id: id,
    author: 'anonymous',
    time,
    origin: 'siteA',
    comment: 'benchmark file',
    file_size: 1_048_576,
    file_mtime: time - 60_000,
    [`synced_siteA`]: time,
  };
}

/** The history child that publish writes with each file. */
export function historyNode(file: Node): Node {
  const { _id, ...keys } = file;
  return { ...keys, _id: generateId(file.time as number), [PARENT_KEY]: _id };
}

/** BatchWriteItem in batches of 25, `concurrency` batches in flight, retrying unprocessed items. */
export async function batchWrite(
  db: DynamoDBDocumentClient,
  table: string,
  items: readonly Item[],
  concurrency = DYNAMO_CONCURRENCY,
): Promise<void> {
  const batches = chunk(items, BATCH_WRITE_SIZE);
  await pool(concurrency, batches.length, async (b) => {
    let requests = batches[b]!.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > 10) throw new Error('BatchWriteItem kept returning unprocessed items');
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      const out = await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
      requests = (out.UnprocessedItems?.[table] ?? []) as typeof requests;
    }
  });
}

/**
 * Items in the table. DynamoDB Local's DescribeTable reports the exact, current ItemCount (AWS
 * refreshes it only every few hours; a COUNT scan of 100k items takes ~20 s on DynamoDB Local).
 */
async function countItems(db: DynamoDBDocumentClient, table: string): Promise<number> {
  const out = await db.send(new DescribeTableCommand({ TableName: table }));
  return out.Table?.ItemCount ?? 0;
}

/** Fills folders one after the other (BENCH_FOLDER first) until the table holds a given number of items. */
export class Seeder {
  private folder = BENCH_FOLDER_INDEX;
  private file = 0;
  /** Folders filled so far, BENCH_FOLDER included. */
  private filled = 0;

  constructor(private readonly bench: Bench) {}

  /** Seeds until the table holds `total` items (checked afterwards). */
  async seedTo(total: number): Promise<number> {
    const { raw, table, log } = this.bench;
    const existing = await countItems(raw, table);
    if (existing > total) throw new Error(`the table already holds ${existing} items, more than ${total}`);
    const items: Item[] = [];
    const time = Date.now();
    for (let i = existing; i < total; i++) {
      items.push(toItem(fileNode(filePath(this.folder, this.file), time)));
      if (++this.file === FILES_PER_FOLDER) this.nextFolder();
    }
    log(`seeding ${items.length} nodes (${existing} stored) up to ${total}…`);
    await batchWrite(raw, table, items);
    const reached = await countItems(raw, table);
    if (reached !== total) throw new Error(`seeded to ${reached} items instead of ${total}`);
    return reached;
  }

  /** A random id among the seeded files of full folders. */
  randomId(): string {
    const k = Math.floor(Math.random() * this.filled);
    return filePath(Seeder.folderAt(k), Math.floor(Math.random() * FILES_PER_FOLDER));
  }

  /** `count` distinct random seeded ids. */
  randomIds(count: number): string[] {
    const ids = new Set<string>();
    while (ids.size < count) ids.add(this.randomId());
    return [...ids];
  }

  /** Folder filled k-th: 42, then 0, 1, … 41, 43, 44, … */
  private static folderAt(k: number): number {
    return k === 0 ? BENCH_FOLDER_INDEX : k <= BENCH_FOLDER_INDEX ? k - 1 : k;
  }

  private nextFolder(): void {
    this.file = 0;
    this.filled++;
    this.folder = Seeder.folderAt(this.filled);
  }
}
