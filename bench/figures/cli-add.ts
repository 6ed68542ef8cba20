/**
 * `damas add -r` of a generated tree through the CLI's own code: HTTP requests per file (the
 * batching) and the re-run's time against the first run's (a re-run only reads: idempotent).
 */
import { benchAdd } from '../../client/cli/bench-add.js';
import type { Bench } from '../context.js';
import { figure, type Figure } from '../report.js';

export async function cliAddFigures(bench: Bench): Promise<Figure[]> {
  const files = bench.quick ? 1_000 : 10_000;
  bench.log(`damas add -r of ${files} files, then again…`);
  const result = await benchAdd({ server: bench.local.url, files });
  const firstRequests = Object.values(result.first.requests).reduce((a, b) => a + b, 0);
  const rerunRequests = Object.values(result.rerun.requests).reduce((a, b) => a + b, 0);
  return [
    figure(
      'cli.add.files_per_request',
      files / firstRequests,
      'files/req',
      `damas add -r of ${files} files: files per HTTP request (${firstRequests} requests = ${(firstRequests / files).toFixed(4)} per file: reads of what exists, then batched publishes)`,
    ),
    figure(
      'cli.add.first',
      files / (result.first.ms / 1000),
      'files/s',
      `first damas add -r of ${files} files`,
    ),
    figure(
      'cli.add.rerun',
      result.rerun.ms / 1000,
      's',
      `re-run of the same add (${rerunRequests} read requests, nothing written) vs the first run's seconds`,
      result.first.ms / 1000,
    ),
  ];
}
