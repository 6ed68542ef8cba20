/**
 * Figure group 2: read and search latency (p50/p99) over HTTP, one request at a time, each sample
 * interleaved with the raw DynamoDB request the store makes for it (GetItem, BatchGetItem, Query).
 */
import { BatchGetCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Bench } from '../context.js';
import { call } from '../http.js';
import { interleavedLatencies, latency } from '../measure.js';
import { apiSearch, folderQuery, prefixQuery, rawFolderQuery, rawPrefixQuery } from '../queries.js';
import { figure, type Figure } from '../report.js';
import { BENCH_FOLDER, FILES_PER_FOLDER, type Seeder } from '../seed.js';

const READ_BATCH = 100;
const WARM_UP = 20;

interface Pair {
  name: string;
  about: string;
  api: (i: number) => Promise<unknown>;
  raw: (i: number) => Promise<unknown>;
}

function pairs(bench: Bench, seeder: Seeder, samples: number): Pair[] {
  const table = bench.table;
  const count = samples + WARM_UP;
  const singles = Array.from({ length: count }, () => seeder.randomId());
  const batches = Array.from({ length: count }, () => seeder.randomIds(READ_BATCH));
  return [
    {
      name: 'read.single',
      about: 'GET /api/read/<id> of a random seeded file; baseline raw GetItem (consistent, as the store)',
      api: (i) => call(bench.local.apiUrl, 'GET', `read/${encodeURIComponent(singles[i]!)}`),
      raw: (i) =>
        bench.raw.send(new GetCommand({ TableName: table, Key: { pk: singles[i] }, ConsistentRead: true })),
    },
    {
      name: 'read.batch100',
      about: `POST /api/read of ${READ_BATCH} random ids; baseline raw BatchGetItem of the same ${READ_BATCH} keys`,
      api: (i) => call(bench.local.apiUrl, 'POST', 'read', batches[i], [200]),
      raw: async (i) => {
        const out = await bench.raw.send(
          new BatchGetCommand({
            RequestItems: { [table]: { Keys: batches[i]!.map((pk) => ({ pk })), ConsistentRead: true } },
          }),
        );
        if (Object.keys(out.UnprocessedKeys ?? {}).length)
          throw new Error('BatchGetItem left keys unprocessed');
      },
    },
    {
      name: 'search.prefix',
      about: `GET /api/search/${prefixQuery(BENCH_FOLDER)} (${FILES_PER_FOLDER} ids); baseline raw Query byRoot + begins_with(pk)`,
      api: () => apiSearch(bench, prefixQuery(BENCH_FOLDER), FILES_PER_FOLDER),
      raw: () => rawPrefixQuery(bench, BENCH_FOLDER, FILES_PER_FOLDER),
    },
    {
      name: 'search.folder',
      about: `GET /api/search/${folderQuery(BENCH_FOLDER)} (${FILES_PER_FOLDER} ids); baseline raw Query byDir (the API adds a GetItem of the folder node)`,
      api: () => apiSearch(bench, folderQuery(BENCH_FOLDER), FILES_PER_FOLDER),
      raw: () => rawFolderQuery(bench, BENCH_FOLDER, FILES_PER_FOLDER),
    },
  ];
}

export async function latencyFigures(bench: Bench, seeder: Seeder): Promise<Figure[]> {
  const samples = bench.quick ? 60 : 400;
  bench.log(`latency: ${samples} samples per request kind (after ${WARM_UP} warm-up samples)`);
  const figures: Figure[] = [];
  for (const pair of pairs(bench, seeder, samples)) {
    const offset = (i: number) => i + WARM_UP;
    await interleavedLatencies(WARM_UP, { api: pair.api, raw: pair.raw });
    const ms = await interleavedLatencies(samples, {
      api: (i) => pair.api(offset(i)),
      raw: (i) => pair.raw(offset(i)),
    });
    const api = latency(ms.api);
    const raw = latency(ms.raw);
    figures.push(
      figure(`${pair.name}.p50`, api.p50, 'ms', pair.about, raw.p50),
      figure(`${pair.name}.p99`, api.p99, 'ms', '', raw.p99),
    );
  }
  return figures;
}
