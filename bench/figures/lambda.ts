/**
 * The five Lambda functions as deployed: each bundle exactly as the stack builds it
 * (infra/bundling/bundle.ts: minified ESM, the AWS SDK left to the runtime) — its size, and its init
 * time (importing the bundle in a fresh Node process, what a cold start does before the first
 * event, the SDK loaded from node_modules as the runtime provides it) against importing the SDK
 * clients the functions use, alone: the floor any handler pays. Goals: < 500 KB and < 150 ms.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tableEnvironment } from '../../functions/config.js';
import { localTableNames } from '../../functions/store/schema.js';
import { bundleHandler, PROJECT_ROOT, type BundleResult } from '../../infra/bundling/bundle.js';
import type { Bench } from '../context.js';
import { median } from '../measure.js';
import { figure, withGoal, type Figure } from '../report.js';

/** The functions of the stack, by a short name. */
const FUNCTION_ENTRIES = {
  api: 'functions/http/handler.ts',
  websocket: 'functions/events/websocket-handler.ts',
  fanout: 'functions/events/fanout-handler.ts',
  delivery: 'functions/webhooks/handler.ts',
  replan: 'functions/sync/replan-handler.ts',
} as const;

/** What the runtime gives every function: the SDK clients, loaded without any of our code. */
const SDK_ONLY = `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
export const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));`;

/**
 * Median ms to import each file in a fresh process, over `runs` processes per file, alternating
 * between the files so that load changes on the shared machine hit them alike. The entries read
 * their configuration at import: every table's variable and the WebSocket endpoint.
 */
function importTimes(files: readonly string[], runs: number): number[] {
  const env = {
    ...process.env,
    ...tableEnvironment(localTableNames()),
    AUTH_MODE: 'jwt',
    AWS_REGION: 'eu-west-1',
    WEBSOCKET_ENDPOINT: 'https://example.execute-api.eu-west-1.amazonaws.com/prod',
  };
  const importOnce = (file: string) => {
    const script = `const t = performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now() - t);`;
    return Number(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        env,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'], // an import failure's stderr goes into the error, not the terminal
      }),
    );
  };
  const times = files.map(() => [] as number[]);
  for (let r = 0; r < runs; r++) files.forEach((file, k) => times[k]!.push(importOnce(file)));
  return times.map(median);
}

export async function lambdaFigures(bench: Bench): Promise<Figure[]> {
  bench.log('bundling the five Lambda functions as the stack does…');
  // Inside the repository, so that the bundles find the AWS SDK in node_modules.
  const dir = join(PROJECT_ROOT, '.cache', `bench-bundles-${process.pid}`);
  try {
    const sdk = join(dir, 'sdk.mjs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(sdk, SDK_ONLY);
    const names = Object.keys(FUNCTION_ENTRIES) as (keyof typeof FUNCTION_ENTRIES)[];
    const bundles: BundleResult[] = [];
    for (const name of names) bundles.push(await bundleHandler(FUNCTION_ENTRIES[name], join(dir, name)));
    const runs = bench.quick ? 5 : 11;
    const [sdkMs, ...ms] = importTimes([sdk, ...bundles.map((b) => b.file)], runs);
    return names.flatMap((name, i) => [
      withGoal(
        figure(
          `lambda.${name}.bundle`,
          bundles[i]!.bytes / 1000,
          'KB',
          `${FUNCTION_ENTRIES[name]} bundled as deployed (minified ESM, SDK external)`,
        ),
        500,
      ),
      figure(
        `lambda.${name}.bundle.gzip`,
        gzipSync(readFileSync(bundles[i]!.file)).length / 1000,
        'KB',
        'the same, gzipped (≈ its share of the deployment zip)',
      ),
      withGoal(
        figure(
          `lambda.${name}.init`,
          ms[i]!,
          'ms',
          `import of the bundle in a fresh process (median of ${runs}, alternating); baseline: importing the SDK DynamoDB clients alone`,
          sdkMs,
        ),
        150,
      ),
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
