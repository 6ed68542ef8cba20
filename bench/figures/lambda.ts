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
import type { Bench } from '../context.js';
import { figure, type Figure } from '../report.js';

const REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";
const SDK_ONLY = `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
export const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));`;

/** Bundles a file path, or source text resolved from the repository root, and answers its size. */
async function bundle(entry: { path: string } | { source: string }, outfile: string): Promise<number> {
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

/** Median ms to import `file` in a fresh process, over `runs` processes. */
function importTime(file: string, runs: number): number {
  const env = {
    ...process.env,
    NODES_TABLE: 'nodes',
    AUTH_TABLE: 'auth',
    AUTH_MODE: 'jwt',
    AWS_REGION: 'eu-west-1',
  };
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now() - t);`;
  const times = Array.from({ length: runs }, () =>
    Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' })),
  );
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
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
        importTime(handler, runs),
        'ms',
        `import of the bundle in a fresh process (median of ${runs}); baseline: the SDK-only bundle`,
        importTime(sdk, runs),
      ),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
