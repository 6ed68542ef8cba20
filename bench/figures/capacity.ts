/**
 * Figure group 3: read capacity (RCU, from the store's ConsumedCapacity counter) of ONE folder
 * listing and ONE prefix search of the fixed-size BENCH_FOLDER over HTTP, at a small and at a large
 * number of stored nodes: it must stay flat. For contrast, the full scan that a search no index
 * answers (SCAN_QUERY) plans is run through the store alike (RCU and time grow with N). It runs on
 * the store directly, not over HTTP: at 100k nodes DynamoDB Local needs over 20 s for the scan alone,
 * so the API would answer 400 (the 29 s API Gateway limit) before the scan ends.
 */
import type { Bench } from '../context.js';
import { planDamas } from '../../functions/core/plan.js';
import { matchesTerms, parseDamasQuery } from '../../functions/core/search.js';
import { interleavedLatencies, median, now } from '../measure.js';
import {
  apiSearch,
  folderQuery,
  prefixQuery,
  rawFolderQuery,
  rawPrefixQuery,
  rawPrefixRangeQuery,
  SCAN_QUERY,
} from '../queries.js';
import { figure, type Figure } from '../report.js';
import { BENCH_FOLDER, FILES_PER_FOLDER } from '../seed.js';

export interface CapacitySample {
  nodes: number;
  rcu: { folder: number; prefix: number; scan: number };
  /** ms the full scan took. */
  scanMs: number;
  /** p50 latency (ms) of the two indexed searches and of the raw queries they make. */
  p50: { folder: number; prefix: number; byDir: number; byRoot: number; byRootRange: number };
}

async function readCapacity(bench: Bench, run: () => Promise<void>): Promise<number> {
  const before = bench.store.consumed.read;
  await run();
  return bench.store.consumed.read - before;
}

export async function measureCapacity(bench: Bench, nodes: number): Promise<CapacitySample> {
  bench.log(`capacity at ${nodes} nodes`);
  const folder = () => apiSearch(bench, folderQuery(BENCH_FOLDER), FILES_PER_FOLDER);
  const prefix = () => apiSearch(bench, prefixQuery(BENCH_FOLDER), FILES_PER_FOLDER);
  let scanMs = 0;
  const scan = async () => {
    const terms = parseDamasQuery(SCAN_QUERY);
    const plan = planDamas(terms);
    if (plan.kind !== 'scan') throw new Error(`${SCAN_QUERY} is planned as ${plan.kind}, not a scan`);
    const start = now();
    let matches = 0;
    for await (const page of bench.store.find(plan))
      matches += page.filter((n) => matchesTerms(n, terms)).length;
    scanMs = now() - start;
    if (matches !== 0) throw new Error(`${SCAN_QUERY} matched ${matches} nodes`);
  };
  const rcu = {
    folder: await readCapacity(bench, folder),
    prefix: await readCapacity(bench, prefix),
    scan: await readCapacity(bench, scan),
  };
  const searches = {
    folder,
    prefix,
    byDir: () => rawFolderQuery(bench, BENCH_FOLDER, FILES_PER_FOLDER),
    byRoot: () => rawPrefixQuery(bench, BENCH_FOLDER, FILES_PER_FOLDER),
    byRootRange: () => rawPrefixRangeQuery(bench, BENCH_FOLDER, FILES_PER_FOLDER),
  };
  await interleavedLatencies(10, searches); // warm-up
  const ms = await interleavedLatencies(bench.quick ? 20 : 50, searches);
  const p50 = {
    folder: median(ms.folder),
    prefix: median(ms.prefix),
    byDir: median(ms.byDir),
    byRoot: median(ms.byRoot),
    byRootRange: median(ms.byRootRange),
  };
  return { nodes, rcu, scanMs, p50 };
}

const shortCount = (n: number) => (n % 1000 === 0 ? `${n / 1000}k` : String(n));

export function capacityFigures(small: CapacitySample, large: CapacitySample): Figure[] {
  const [s, l] = [shortCount(small.nodes), shortCount(large.nodes)];
  const pair = (name: string, unit: string, value: (c: CapacitySample) => number, about: string) => [
    figure(`${name}@${s}`, value(small), unit, about),
    figure(`${name}@${l}`, value(large), unit, '', value(small)),
  ];
  const what = `of ${BENCH_FOLDER} (${FILES_PER_FOLDER} files) with ${s} then ${l} nodes stored; ratio large/small`;
  return [
    ...pair('rcu.folder', 'RCU', (c) => c.rcu.folder, `RCU of ONE folder listing ${what} (flat ≈ 1.00)`),
    ...pair('rcu.prefix', 'RCU', (c) => c.rcu.prefix, `RCU of ONE prefix search ${what} (flat ≈ 1.00)`),
    ...pair(
      'rcu.scan',
      'RCU',
      (c) => c.rcu.scan,
      `RCU of ONE full-scan search (${SCAN_QUERY}, through the store) at ${s} then ${l} nodes, for contrast (grows with N)`,
    ),
    ...pair('scan.time', 'ms', (c) => c.scanMs, `time of that full scan (all pages)`),
    ...pair('search.folder.p50', 'ms', (c) => c.p50.folder, `p50 of the folder listing ${what}`),
    ...pair('search.prefix.p50', 'ms', (c) => c.p50.prefix, `p50 of the prefix search ${what}`),
    ...pair('query.byDir.p50', 'ms', (c) => c.p50.byDir, `p50 of the raw byDir Query of the folder listing`),
    ...pair(
      'query.byRoot.p50',
      'ms',
      (c) => c.p50.byRoot,
      `p50 of the raw byRoot Query + begins_with(pk) the prefix search makes (root /proj holds every node with a path id)`,
    ),
    ...pair(
      'query.byRoot.between.p50',
      'ms',
      (c) => c.p50.byRootRange,
      `p50 of the same byRoot Query with pk BETWEEN prefix AND successor(prefix) instead of begins_with`,
    ),
  ];
}
