/**
 * The fan-out Lambda as deployed (functions/events/fanout-handler.ts): bundle size and init
 * (import) time, measured as the API Lambda's in lambda.ts, against the same SDK-clients-alone
 * bundle, bundled and timed again in this group.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Bench } from '../context.js';
import { figure, type Figure } from '../report.js';
import { bundle, importTimes, SDK_ONLY } from './lambda.js';

export async function fanoutLambdaFigures(bench: Bench): Promise<Figure[]> {
  bench.log('bundling the fan-out Lambda…');
  const dir = mkdtempSync(join(tmpdir(), 'tracker-fanout-lambda-'));
  try {
    const handler = join(dir, 'fanout.mjs');
    const sdk = join(dir, 'sdk.mjs');
    const handlerBytes = await bundle({ path: 'functions/events/fanout-handler.ts' }, handler);
    const sdkBytes = await bundle({ source: SDK_ONLY }, sdk);
    const runs = bench.quick ? 5 : 11;
    const [handlerMs, sdkMs] = importTimes([handler, sdk], runs);
    return [
      figure(
        'lambda.fanout.bundle',
        handlerBytes / 1024,
        'KiB',
        'fan-out Lambda bundle (minified ESM); baseline: the SDK DynamoDB clients alone',
        sdkBytes / 1024,
      ),
      figure(
        'lambda.fanout.bundle.gzip',
        gzipSync(readFileSync(handler)).length / 1024,
        'KiB',
        'the same, gzipped',
        gzipSync(readFileSync(sdk)).length / 1024,
      ),
      figure(
        'lambda.fanout.init',
        handlerMs!,
        'ms',
        `import of the fan-out bundle in a fresh process (median of ${runs}, alternating with the baseline's; dummy table and WEBSOCKET_ENDPOINT variables); baseline: the SDK-only bundle`,
        sdkMs,
      ),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
