/**
 * Figure group 1: write throughput through the HTTP API against raw DynamoDB writes of the same
 * items on the same DynamoDB Local, in interleaved rounds (median reported).
 *   publish: POST /api/publish, PUBLISH_BATCH files per request (each file + its history child in
 *            one TransactWriteItems) vs raw BatchWriteItem of the same 2 items per file (25 a batch);
 *            also vs raw TransactWriteItems of the 2 items per file, which isolates the HTTP/handler
 *            overhead from the cost of transactions.
 *   create:  POST /api/create one node per request vs raw PutItem, CREATE_CONCURRENCY in flight.
 */
import { PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Node } from '../../functions/core/nodes.js';
import { toItem } from '../../functions/store/items.js';
import { DYNAMO_CONCURRENCY, type Bench } from '../context.js';
import { cpuSince, cpuTime, type CpuTime } from '../cpu.js';
import { call } from '../http.js';
import { chunk, median, pool, rate, timed } from '../measure.js';
import { figure, type Figure } from '../report.js';
import { batchWrite, fileNode, historyNode } from '../seed.js';

const PUBLISH_BATCH = 100;
/** HTTP publish requests in flight: enough to keep the store's 16 DynamoDB requests busy. */
const PUBLISH_CONCURRENCY = 4;
const CREATE_CONCURRENCY = 16;

interface Sizes {
  rounds: number;
  /** Files per publish variant per round (a multiple of PUBLISH_BATCH). */
  files: number;
  /** Nodes per create variant per round. */
  nodes: number;
}

const SIZES: Record<'quick' | 'full', Sizes> = {
  quick: { rounds: 3, files: 500, nodes: 400 },
  full: { rounds: 5, files: 2_000, nodes: 1_500 },
};

type Variant = 'publishApi' | 'publishBatch' | 'publishTransact' | 'createApi' | 'putRaw';

const pad = (n: number) => String(n).padStart(5, '0');

/**
 * Files of one variant: `/proj/bench/<round>/<variant>/d<request>/f<n>.exr`, under the same root as
 * the seeded nodes, so that they too grow the byRoot partition the prefix search reads.
 */
function files(tag: string, variant: string, count: number): Node[] {
  return Array.from({ length: count }, (_, i) =>
    fileNode(`/proj/bench/${tag}/${variant}/d${pad(Math.floor(i / PUBLISH_BATCH))}/f${pad(i)}.exr`),
  );
}

/** What a client sends to publish a file: the node without the keys the tracker sets. */
const publishElement = ({ _id, origin, comment, file_size, file_mtime }: Node) => ({
  _id,
  origin,
  comment,
  file_size,
  file_mtime,
});

/** A variant prepares its requests (untimed) and returns the timed part. */
type Prepare = (bench: Bench, tag: string, count: number) => () => Promise<unknown>;

const publishApi: Prepare = (bench, tag, count) => {
  const bodies = chunk(files(tag, 'publish', count).map(publishElement), PUBLISH_BATCH);
  return () =>
    pool(PUBLISH_CONCURRENCY, bodies.length, async (i) => {
      const reply = await call(bench.local.apiUrl, 'POST', 'publish', bodies[i], [201]);
      if ((reply.json as unknown[]).length !== 2 * bodies[i]!.length) throw new Error('publish wrote less');
    });
};

const publishBatch: Prepare = (bench, tag, count) => {
  const items = files(tag, 'batch', count).flatMap((file) => [toItem(file), toItem(historyNode(file))]);
  return () => batchWrite(bench.raw, bench.table, items, DYNAMO_CONCURRENCY);
};

/** The store's own publish write per file (conditional puts in one transaction), sent directly. */
const publishTransact: Prepare = (bench, tag, count) => {
  const units = files(tag, 'transact', count).map((file) =>
    [file, historyNode(file)].map((node) => ({
      Put: { TableName: bench.table, Item: toItem(node), ConditionExpression: 'attribute_not_exists(pk)' },
    })),
  );
  return () =>
    pool(DYNAMO_CONCURRENCY, units.length, (i) =>
      bench.raw.send(new TransactWriteCommand({ TransactItems: units[i] })),
    );
};

const createApi: Prepare = (bench, tag, count) => {
  const bodies = files(tag, 'create', count).map(publishElement);
  return () =>
    pool(CREATE_CONCURRENCY, count, (i) => call(bench.local.apiUrl, 'POST', 'create', bodies[i], [201]));
};

const putRaw: Prepare = (bench, tag, count) => {
  const items = files(tag, 'put', count).map(toItem);
  return () =>
    pool(CREATE_CONCURRENCY, count, (i) =>
      bench.raw.send(new PutCommand({ TableName: bench.table, Item: items[i] })),
    );
};

interface Measured {
  /** files/s or nodes/s */
  rate: number;
  /** CPU µs per file or node, in this Node process (client + tracker) and in DynamoDB Local. */
  cpu: CpuTime;
}

async function measure(bench: Bench, prepare: Prepare, tag: string, count: number): Promise<Measured> {
  const run = prepare(bench, tag, count);
  const cpu = cpuTime();
  const ms = await timed(run);
  const used = cpuSince(cpu);
  return {
    rate: rate(count, ms),
    cpu: { node: (used.node * 1000) / count, dynamo: (used.dynamo * 1000) / count },
  };
}

type Results = Record<Variant, Measured>;

/** One round of every variant; the order alternates between rounds so drift hits all alike. */
async function round(bench: Bench, tag: string, sizes: Sizes, reverse: boolean): Promise<Results> {
  const publish: [Variant, Prepare][] = [
    ['publishApi', publishApi],
    ['publishBatch', publishBatch],
    ['publishTransact', publishTransact],
  ];
  const create: [Variant, Prepare][] = [
    ['createApi', createApi],
    ['putRaw', putRaw],
  ];
  const results = {} as Results;
  for (const [name, prepare] of reverse ? publish.reverse() : publish)
    results[name] = await measure(bench, prepare, tag, sizes.files);
  for (const [name, prepare] of reverse ? create.reverse() : create)
    results[name] = await measure(bench, prepare, tag, sizes.nodes);
  bench.log(
    `  ${tag}: ${Object.entries(results)
      .map(
        ([name, m]) =>
          `${name} ${Math.round(m.rate)}/s (cpu µs node ${Math.round(m.cpu.node)} java ${Math.round(m.cpu.dynamo)})`,
      )
      .join(', ')}`,
  );
  return results;
}

/** Items the group writes in all (the seeding of the capacity figures has to leave room for them). */
export function throughputItems(quick: boolean): number {
  const { rounds, files, nodes } = SIZES[quick ? 'quick' : 'full'];
  // Each round: 3 publish variants × 2 items per file, 2 create variants × 1 item; plus a half-size warm-up.
  return Math.ceil((rounds + 0.5) * (3 * 2 * files + 2 * nodes));
}

export async function throughputFigures(bench: Bench): Promise<Figure[]> {
  const sizes = SIZES[bench.quick ? 'quick' : 'full'];
  bench.log(
    `throughput: warm-up, then ${sizes.rounds} rounds of ${sizes.files} files / ${sizes.nodes} nodes`,
  );
  await round(bench, 'warm', { ...sizes, files: sizes.files / 2, nodes: sizes.nodes / 2 }, false);
  const rounds: Results[] = [];
  for (let r = 1; r <= sizes.rounds; r++) rounds.push(await round(bench, `r${r}`, sizes, r % 2 === 0));
  const m = (variant: Variant, value: (m: Measured) => number) =>
    median(rounds.map((r) => value(r[variant])));
  const speed = (m: Measured) => m.rate;
  const node = (m: Measured) => m.cpu.node;
  const java = (m: Measured) => m.cpu.dynamo;
  const publishAbout = `POST /api/publish, ${PUBLISH_BATCH} files/request, ${PUBLISH_CONCURRENCY} requests in flight (store: ≤${DYNAMO_CONCURRENCY} DynamoDB requests)`;
  const cpuAbout = (what: string, baseline: string) =>
    `CPU time per ${what} in the Node process (benchmark client + HTTP server + handlers) and in DynamoDB Local (JVM); baseline: ${baseline}`;
  return [
    figure(
      'publish.batch100',
      m('publishApi', speed),
      'files/s',
      `${publishAbout}; baseline raw BatchWriteItem of the same 2 items/file, 25/batch, ${DYNAMO_CONCURRENCY} in flight; median of ${sizes.rounds} rounds`,
      m('publishBatch', speed),
    ),
    figure(
      'publish.batch100.vs_transact',
      m('publishApi', speed),
      'files/s',
      `same API figure; baseline raw TransactWriteItems (file + history child, conditional) per file, ${DYNAMO_CONCURRENCY} in flight`,
      m('publishTransact', speed),
    ),
    figure(
      'publish.cpu.node',
      m('publishApi', node),
      'µs/file',
      cpuAbout('published file', 'the raw TransactWriteItems run'),
      m('publishTransact', node),
    ),
    figure('publish.cpu.dynamodb', m('publishApi', java), 'µs/file', '', m('publishTransact', java)),
    figure(
      'create.single',
      m('createApi', speed),
      'nodes/s',
      `POST /api/create, 1 node/request, ${CREATE_CONCURRENCY} requests in flight; baseline raw PutItem, ${CREATE_CONCURRENCY} in flight`,
      m('putRaw', speed),
    ),
    figure(
      'create.cpu.node',
      m('createApi', node),
      'µs/node',
      cpuAbout('created node', 'the raw PutItem run'),
      m('putRaw', node),
    ),
    figure('create.cpu.dynamodb', m('createApi', java), 'µs/node', '', m('putRaw', java)),
  ];
}
