/**
 * Plans read as pages of candidate nodes: ids by batched gets, listings, children, edges and
 * prefixes by their index (a prefix as a BETWEEN range), and only what no key answers by scan.
 */
import { type QueryCommandInput, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Node } from '../core/nodes.js';
import type { NodeStore, Plan } from '../core/ports.js';
import { prefixRoot } from '../core/plan.js';
import { fromItem } from './items.js';
import { CAPACITY, prefixUpperBound } from './requests.js';
import type { StoreContext } from './runner.js';
import type { IndexName } from './schema.js';

/** The point reads `find` uses for 'get' plans and the folder node of a listing. */
export type NodeReads = Pick<NodeStore, 'get' | 'getMany'>;

export async function* find(ctx: StoreContext, reads: NodeReads, plan: Plan): AsyncIterable<Node[]> {
  switch (plan.kind) {
    case 'get':
      yield (await reads.getMany(plan.ids)).filter((n): n is Node => n !== undefined);
      return;
    case 'dir': {
      // A "direct children" pattern may also match the folder node itself: read it alongside.
      const folder = reads.get(plan.dir);
      folder.catch(() => {}); // awaited below; never an unhandled rejection meanwhile
      yield* query(ctx, 'byDir', 'dir', plan.dir);
      const node = await folder;
      if (node) yield [node];
      return;
    }
    case 'parent':
      yield* query(ctx, 'byParent', 'parent', plan.parent);
      return;
    case 'target':
      yield* query(ctx, 'byTarget', 'target', plan.target);
      return;
    case 'prefix': {
      const root = prefixRoot(plan.prefix);
      if (root) yield* query(ctx, 'byRoot', 'root', root, plan.prefix);
      else
        yield* scan(ctx, {
          FilterExpression: 'begins_with(pk, :prefix)',
          ExpressionAttributeValues: { ':prefix': plan.prefix },
        });
      return;
    }
    case 'scan':
      yield* scan(ctx, {});
  }
}

async function* query(
  { db, table, runner }: StoreContext,
  index: IndexName,
  keyName: string,
  key: string,
  prefix?: string,
): AsyncIterable<Node[]> {
  const upper = prefix === undefined ? undefined : prefixUpperBound(prefix);
  const range = upper ? ' AND pk BETWEEN :prefix AND :upper' : prefix ? ' AND begins_with(pk, :prefix)' : '';
  const input: QueryCommandInput = {
    TableName: table,
    IndexName: index,
    KeyConditionExpression: `#k = :k${range}`,
    ExpressionAttributeNames: { '#k': keyName },
    ExpressionAttributeValues: {
      ':k': key,
      ...(prefix ? { ':prefix': prefix } : {}),
      ...(upper ? { ':upper': upper } : {}),
    },
    ...CAPACITY,
  };
  for await (const page of runner.pages(db, input)) yield page.map(fromItem);
}

async function* scan(
  { db, table, runner }: StoreContext,
  filter: Partial<ScanCommandInput>,
): AsyncIterable<Node[]> {
  const input: ScanCommandInput = { TableName: table, ...filter, ...CAPACITY };
  for await (const page of runner.pages(db, input, 'scan')) yield page.map(fromItem);
}
