/**
 * `npm run bench [-- --quick] [-- --only GROUPS] [-- --json FILE]`: starts ONE fresh local tracker
 * (DynamoDB Local in memory + the HTTP API), measures the figure groups in bench/figures/ against
 * baselines measured in the same run, and prints a table (figure / value / baseline / ratio / goal,
 * where one is set).
 *
 * Order: seed N_small nodes → read/search latency, capacity at N_small → write throughput (adds
 * items) → seed up to N_large → capacity at N_large → damas add → change events (WebSocket latency,
 * fan-out, webhooks; after the seeding, which they would otherwise add to) → sync engine (on a
 * DynamoDB Local of its own, see sync-seed.ts: seed N_small files → claim poll capacity → seed up to
 * N_large → capacity → claims + results throughput, queue lag on a local tracker started on it) →
 * Lambda bundles; the tracker stopped, the site agent (scan in child processes; transfers on a
 * tracker of its own, see agent-rig.ts).
 * Progress goes to stderr, results to stdout.
 */
import { parseArgs } from 'node:util';
import { createDocumentClient } from '../functions/store/dynamo-client.js';
import { startLocalTracker, type LocalTracker } from '../local/runtime.js';
import { localTableNames } from '../functions/store/schema.js';
import type { AgentBench } from './agent-rig.js';
import type { Bench } from './context.js';
import { agentScanFigures } from './figures/agent-scan.js';
import { dashboardFigures } from './figures/dashboard.js';
import { agentTransferFigures } from './figures/agent-transfer.js';
import { capacityFigures, measureCapacity } from './figures/capacity.js';
import { changeLatencyFigures } from './figures/change-latency.js';
import { cliAddFigures } from './figures/cli-add.js';
import { fanoutFigures } from './figures/fanout.js';
import { lambdaFigures } from './figures/lambda.js';
import { latencyFigures } from './figures/latency.js';
import { claimCapacityFigures, measureClaimCapacity } from './figures/sync-capacity.js';
import { queueLagFigures } from './figures/sync-lag.js';
import { claimsPool, syncThroughputFigures } from './figures/sync-throughput.js';
import { throughputFigures, throughputItems } from './figures/throughput.js';
import { webhookFigures } from './figures/webhooks.js';
import { closeHttp } from './http.js';
import { describeMachine, formatMachine, loadAverage } from './machine.js';
import { now } from './measure.js';
import { formatLegend, formatTable, writeJson, type Figure } from './report.js';
import { Seeder } from './seed.js';
import { SyncData } from './sync-seed.js';

const USAGE = `usage: npm run bench -- [--quick] [--only GROUPS] [--json FILE]

Benchmarks the tracker on a fresh in-memory DynamoDB Local, with ratios against raw DynamoDB
requests made in the same run:
  1. publish / create throughput via HTTP vs raw BatchWriteItem / PutItem
  2. read and search latency p50/p99 via HTTP vs raw GetItem / BatchGetItem / Query
  3. read capacity of one folder listing and one prefix search at 10k vs 100k nodes (flat),
     and of a full-scan search for contrast
  4. damas add -r of a 10k-file tree: requests per file, and the idempotent re-run
  5. every Lambda function's bundle size and init (import) time, as deployed, vs the SDK clients alone
  6. change → WebSocket event latency p50/p99 vs the REST write's own round trip
  7. fan-out throughput with 1 and 100 WebSocket subscribers vs the event log's append alone
  8. webhook deliveries/s of the delivery worker vs plain signed POSTs to the same receiver
  9. (the fan-out's bundle is in 5 with the other functions')
 10. read capacity of a claim poll of 100 at 10k vs 100k files tracked, with a backlog and empty
 11. claims + success results through the queue store vs raw conditional UpdateItem (files/s)
 12. queue lag publish → claimable p50/p99 vs the publish's own round trip
 13. the site agent's unchanged rescan of a 100k-file tree vs find over it (files/s)
 14. propagation A→B by the agents of 10k small files and of one 1 GB file vs the floor: one plain
     rsync over the same ssh + a claim and a result per file as raw UpdateItems; and vs rsync alone
 15. the agent's memory per tracked file during a 100k-file scan (heap and RSS)
 16. the dashboard's page bundle gzipped, and its first render of a 10k-file folder in headless
     Chromium vs a one-file folder

  --quick      smaller run (2k / 20k nodes, fewer samples; 20k-file tree, 2k files and 256 MB)
  --only G,…   only these groups: tracker (1–12), agent (13–15), agent-scan (13, 15), agent-transfer (14),
               dashboard (16)
  --json FILE  also write {machine, date, quick,
               figures: [{name, value, unit, baseline?, ratio?,
                          goal?: {below, met} | {ratioAtMost, met} | {ratioAtLeast, met}}]}
  --help       this text`;

const GROUPS = ['tracker', 'agent-scan', 'agent-transfer', 'dashboard'];

/** Nodes stored for the capacity figures, and files tracked for the sync ones: [small, large]. */
const NODES = { quick: [2_000, 20_000], full: [10_000, 100_000] } as const;

const log = (message: string) => process.stderr.write(`${message}\n`);

/** The sync engine's figures, on a DynamoDB Local of their own (sync-seed.ts). */
async function syncFigures(bench: Bench, small: number, large: number): Promise<Figure[]> {
  const data = await SyncData.open(bench);
  try {
    await data.seedTo(small);
    const capacitySmall = await measureClaimCapacity(bench, data);
    await data.seedTo(large, claimsPool(bench.quick));
    const capacityLarge = await measureClaimCapacity(bench, data);
    await data.startHost();
    const throughput = await syncThroughputFigures(bench, data);
    const lag = await queueLagFigures(bench, data);
    return [...claimCapacityFigures(capacitySmall, capacityLarge), ...throughput, ...lag];
  } finally {
    await data.close();
  }
}

/** Cleanups an interrupt runs (the tracker, the agent figures' processes and temp dirs). */
const onInterrupt: (() => Promise<unknown>)[] = [];

/** Figures 1–12, on one fresh local tracker. */
async function trackerFigures(quick: boolean): Promise<Figure[]> {
  const [small, large] = NODES[quick ? 'quick' : 'full'];
  if (small + throughputItems(quick) > large)
    throw new Error('the throughput figures would write past N_large');

  log('starting DynamoDB Local and the tracker…');
  let local: LocalTracker | undefined;
  onInterrupt.push(async () => local?.close());
  try {
    local = await startLocalTracker({ port: 0 });
    const bench: Bench = {
      local,
      store: local.tracker.store,
      raw: createDocumentClient(local.dynamodbEndpoint),
      table: localTableNames().nodes,
      quick,
      log,
    };
    try {
      const seeder = new Seeder(bench);
      await seeder.seedTo(small);
      const latency = await latencyFigures(bench, seeder);
      const capacitySmall = await measureCapacity(bench, small);
      const throughput = await throughputFigures(bench);
      await seeder.seedTo(large);
      const capacityLarge = await measureCapacity(bench, large);
      const cliAdd = await cliAddFigures(bench);
      const changeLatency = await changeLatencyFigures(bench);
      const fanout = await fanoutFigures(bench);
      const webhooks = await webhookFigures(bench);
      const sync = await syncFigures(bench, small, large);
      const lambda = await lambdaFigures(bench);
      return [
        ...throughput,
        ...latency,
        ...capacityFigures(capacitySmall, capacityLarge),
        ...cliAdd,
        ...lambda,
        ...changeLatency,
        ...fanout,
        ...webhooks,
        ...sync,
      ];
    } finally {
      closeHttp();
      bench.raw.destroy();
    }
  } finally {
    await local?.close();
  }
}

async function run(quick: boolean, jsonFile: string | undefined, only: string[]): Promise<void> {
  const started = now();
  const date = new Date().toISOString();
  const machine = await describeMachine();
  const wanted = (group: string) => only.some((o) => group === o || group.startsWith(`${o}-`));
  const stop = () => {
    log('interrupted: stopping what runs');
    void Promise.allSettled(onInterrupt.map((cleanup) => cleanup())).finally(() => process.exit(130));
  };
  process.once('SIGINT', stop).once('SIGTERM', stop);
  const agent: AgentBench = { quick, log, atInterrupt: (cleanup) => onInterrupt.push(cleanup) };

  const figures: Figure[] = [];
  if (wanted('tracker')) figures.push(...(await trackerFigures(quick)));
  if (wanted('agent-scan')) figures.push(...(await agentScanFigures(agent)));
  if (wanted('agent-transfer')) figures.push(...(await agentTransferFigures(agent)));
  if (wanted('dashboard')) figures.push(...(await dashboardFigures(agent)));

  const seconds = (now() - started) / 1000;
  machine.load.end = loadAverage();
  const flags = [quick && '--quick', only !== GROUPS && `--only ${only.join(',')}`];
  const shown = flags.filter(Boolean).join(' ');
  console.log(`SyncPlanet tracker benchmark${shown ? ` (${shown})` : ''}, ${date}`);
  console.log(formatMachine(machine));
  console.log(`run time: ${seconds.toFixed(0)} s\n`);
  console.log(formatTable(figures));
  console.log(`\n${formatLegend(figures)}`);
  if (jsonFile) {
    await writeJson(jsonFile, { machine, date, quick, figures });
    log(`wrote ${jsonFile}`);
  }
}

function main(): void {
  let options: { quick?: boolean; json?: string; only?: string; help?: boolean };
  try {
    options = parseArgs({
      options: {
        quick: { type: 'boolean' },
        json: { type: 'string' },
        only: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    log(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const only = options.only?.split(',').map((g) => g.trim()) ?? GROUPS;
  const unknown = only.filter((o) => !GROUPS.some((g) => g === o || g.startsWith(`${o}-`)));
  if (unknown.length) {
    log(`unknown group ${unknown.join(', ')}\n\n${USAGE}`);
    process.exit(2);
  }
  run(options.quick ?? false, options.json, only).then(
    () => process.exit(0),
    (error: unknown) => {
      log(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}

main();
