/** Statistics and timing helpers shared by the figure groups: percentiles, rates, worker pools. */
import { performance } from 'node:perf_hooks';

export const now = (): number => performance.now();

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

export interface Latency {
  p50: number;
  p99: number;
}

export const latency = (samplesMs: readonly number[]): Latency => ({
  p50: percentile(samplesMs, 50),
  p99: percentile(samplesMs, 99),
});

/** Operations per second. */
export const rate = (count: number, elapsedMs: number): number => count / (elapsedMs / 1000);

/** Milliseconds `run` takes. */
export async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = now();
  await run();
  return now() - start;
}

/** Runs task(0..count-1) with at most `concurrency` in flight; rejects on the first failure. */
export async function pool(
  concurrency: number,
  count: number,
  task: (index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/**
 * Latency samples of several operations taken one request at a time and interleaved (a, b, a, b…),
 * so that noise from the shared machine hits every operation alike.
 */
export async function interleavedLatencies<K extends string>(
  samples: number,
  operations: Record<K, (index: number) => Promise<unknown>>,
): Promise<Record<K, number[]>> {
  const names = Object.keys(operations) as K[];
  const out = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < samples; i++) {
    for (const name of i % 2 ? [...names].reverse() : names) {
      out[name].push(await timed(() => operations[name](i)));
    }
  }
  return out;
}

export const chunk = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
