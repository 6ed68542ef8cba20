/**
 * The queue store on DynamoDB Local: a claim poll reads the same capacity whether a site's queue
 * holds 50 pending files or 1,000 pending and 1,000 failed ones waiting for their retry, and an
 * empty poll reads next to nothing.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Node } from '../../functions/core/nodes.js';
import { createDocumentClient } from '../../functions/store/dynamo-client.js';
import { DynamoNodeStore } from '../../functions/store/node-store.js';
import { DynamoQueueStore } from '../../functions/store/queue-store.js';
import { localTableNames } from '../../functions/store/schema.js';
import { ensureTables } from '../../local/tables.js';
import { volume } from './helpers.js';

const db = createDocumentClient(inject('dynamodbEndpoint'));
const tables = localTableNames(`q${randomBytes(4).toString('hex')}`);
const nodes = new DynamoNodeStore(db, tables.nodes);
const queue = new DynamoQueueStore(db, tables.queue, tables.nodes);
const now = Date.now();

/** Files published at O for site `site` only (`syncEverywhere: false`), optionally failed there. */
function files(site: string, count: number, failed = false): Node[] {
  return Array.from({ length: count }, (_, i) => {
    const file: Node = { _id: `/${site}/${failed ? 'failed' : 'file'}${i}`, origin: 'O', time: now - 1000 };
    Object.assign(file, { syncEverywhere: false, [`sync_${site}`]: true, file_size: 1000 + i });
    if (failed) Object.assign(file, { [`syncError_${site}`]: 12, [`syncLastAttempt_${site}`]: now });
    return file;
  });
}

async function track(list: Node[]): Promise<void> {
  const planning = await queue.planning();
  await nodes.create(list.map((n) => [n]));
  await queue.applyChanges(
    list.map((n): [null, Node] => [null, n]),
    planning,
  );
}

/** Read capacity of one claim poll of `limit` (the registry read included). */
async function pollReads(site: string, limit = 10): Promise<{ reads: number; claimed: number }> {
  const before = queue.consumed.read;
  const claimed = await queue.claim(site, limit, 60_000, now, 'reception');
  return { reads: queue.consumed.read - before, claimed: claimed.length };
}

beforeAll(async () => {
  await ensureTables(db, tables);
  for (const site of ['O', 'S', 'L', 'E']) await queue.setRegistry(`vol-${site}`, volume(site) as Node);
  await track(files('S', 50));
  await track([...files('L', 1000), ...files('L', 1000, true)]);
}, 300_000); // ~4,000 writes: minutes on a loaded 2-core machine
afterAll(() => db.destroy());

describe('claim poll read capacity', () => {
  it('does not grow with the files tracked or the failed pairs waiting', async () => {
    const small = await pollReads('S');
    const large = await pollReads('L');
    const empty = await pollReads('E');
    expect(small.claimed).toBe(10);
    expect(large.claimed).toBe(10);
    expect(empty.claimed).toBe(0);
    expect(large.reads).toBeGreaterThan(0);
    expect(large.reads / small.reads).toBeLessThanOrEqual(1.2);
    // 12 queue partitions and the registry, each a small read.
    expect(large.reads).toBeLessThanOrEqual(13);
    expect(empty.reads).toBeLessThanOrEqual(large.reads);
  });

  it('stays flat for a claim of 100', async () => {
    const small = await pollReads('S', 100);
    const large = await pollReads('L', 100);
    expect(small.claimed).toBe(40);
    expect(large.claimed).toBe(100);
    // Per item read, not per file tracked: 100 claimed read about as much as the 40 left of S.
    expect(large.reads).toBeLessThan(30);
  });
});
