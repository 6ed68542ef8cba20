/**
 * The API Lambda as deployed: bundle size (esbuild, as the CDK stack bundles it) and init time
 * (importing the bundle in a fresh Node process, which is what a cold start does before the first
 * request), against a bundle of the AWS SDK DynamoDB clients alone: the floor any handler pays.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tableEnvironment } from '../../functions/config.js';
import { localTableNames } from '../../functions/store/schema.js';
import type { Bench } from '../context.js';
import { median } from '../measure.js';
import { figure, type Figure } from '../report.js';

const REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";
export const SDK_ONLY = `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
export const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));`;

/** Bundles a file path, or source text resolved from the repository root, and answers its size. */
export async function bundle(entry: { path: string } | { source: string }, outfile: string): Promise<number> {
  const { build } = await import('esbuild');
  await build({
    ...('path' in entry
      ? { entryPoints: [entry.path] }
      : { stdin: { contents: entry.source, resolveDir: process.cwd(), loader: 'js' as const } }),
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    mainFields: ['module', 'main'],
    banner: { js: REQUIRE_BANNER },
    logLevel: 'warning',
  });
  return readFileSync(outfile).length;
}

/**
 * Median ms to import each file in a fresh process, over `runs` processes per file, alternating
 * between the files so that load changes on the shared machine hit them alike. The entries read
 * their configuration at import: every table's variable, and the WebSocket endpoint the fan-out needs.
 */
export function importTimes(files: readonly string[], runs: number): number[] {
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
  bench.log('bundling the API Lambda…');
  const dir = mkdtempSync(join(tmpdir(), 'tracker-lambda-'));
  try {
    const handler = join(dir, 'handler.mjs');
    const sdk = join(dir, 'sdk.mjs');
    const handlerBytes = await bundle({ path: 'functions/http/handler.ts' }, handler);
    const sdkBytes = await bundle({ source: SDK_ONLY }, sdk);
    const runs = bench.quick ? 5 : 11;
    const [handlerMs, sdkMs] = importTimes([handler, sdk], runs);
    return [
      figure(
        'lambda.bundle',
        handlerBytes / 1024,
        'KiB',
        'API Lambda bundle (minified ESM); baseline: the SDK DynamoDB clients alone',
        sdkBytes / 1024,
      ),
      figure(
        'lambda.bundle.gzip',
        gzipSync(readFileSync(handler)).length / 1024,
        'KiB',
        'the same, gzipped (≈ the deployment zip)',
        gzipSync(readFileSync(sdk)).length / 1024,
      ),
      figure(
        'lambda.init',
        handlerMs!,
        'ms',
        `import of the bundle in a fresh process (median of ${runs}, alternating with the baseline's); baseline: the SDK-only bundle`,
        sdkMs,
      ),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
