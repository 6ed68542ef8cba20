/** The searches the latency and capacity figures run, through the API and as raw DynamoDB queries. */
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { prefixRoot } from '../functions/core/plan.js';
import type { Bench } from './context.js';
import { call, searchPath } from './http.js';

const escapeSlashes = (path: string) => path.replace(/\//g, '\\/');

/** damas query for every node under a folder (planned as a byRoot query with a pk prefix). */
export const prefixQuery = (folder: string): string => `_id:/^${escapeSlashes(folder)}/`;
/** damas query for the direct children of a folder (planned as a byDir query). */
export const folderQuery = (folder: string): string => `_id:/^${escapeSlashes(folder)}[^\\/]+$/`;
/** A query no index answers: a full table scan. */
export const SCAN_QUERY = 'origin:nobody';

/** GET /api/search/<query>; fails unless it answers `expected` ids. */
export async function apiSearch(bench: Bench, query: string, expected: number): Promise<void> {
  const reply = await call(bench.local.apiUrl, 'GET', searchPath(query), undefined, [200]);
  const count = (reply.json as unknown[]).length;
  if (count !== expected) throw new Error(`search ${query} found ${count} ids, expected ${expected}`);
}

async function rawQuery(bench: Bench, input: QueryCommandInput, expected: number): Promise<void> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await bench.raw.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    count += out.Items?.length ?? 0;
    start = out.LastEvaluatedKey;
  } while (start);
  if (count !== expected)
    throw new Error(`raw query on ${input.IndexName} found ${count}, expected ${expected}`);
}

/** The byRoot query the store runs for a prefix search. */
export const rawPrefixQuery = (bench: Bench, folder: string, expected: number) =>
  rawQuery(
    bench,
    {
      TableName: bench.table,
      IndexName: 'byRoot',
      KeyConditionExpression: '#k = :k AND begins_with(pk, :prefix)',
      ExpressionAttributeNames: { '#k': 'root' },
      ExpressionAttributeValues: { ':k': prefixRoot(folder)!, ':prefix': folder },
    },
    expected,
  );

/** The byDir query the store runs for a folder listing (without its GetItem of the folder node). */
export const rawFolderQuery = (bench: Bench, folder: string, expected: number) =>
  rawQuery(
    bench,
    {
      TableName: bench.table,
      IndexName: 'byDir',
      KeyConditionExpression: '#k = :k',
      ExpressionAttributeNames: { '#k': 'dir' },
      ExpressionAttributeValues: { ':k': folder },
    },
    expected,
  );

/**
 * The same prefix query with `pk BETWEEN prefix AND successor(prefix)` (a superset: the store
 * re-applies the query). DynamoDB Local answers begins_with on an index sort key by reading the
 * whole partition, BETWEEN by a range seek; the figure shows the difference.
 */
export const rawPrefixRangeQuery = (bench: Bench, folder: string, expected: number) =>
  rawQuery(
    bench,
    {
      TableName: bench.table,
      IndexName: 'byRoot',
      KeyConditionExpression: '#k = :k AND pk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#k': 'root' },
      ExpressionAttributeValues: {
        ':k': prefixRoot(folder)!,
        ':from': folder,
        ':to': folder.slice(0, -1) + String.fromCharCode(folder.charCodeAt(folder.length - 1) + 1),
      },
    },
    expected,
  );
