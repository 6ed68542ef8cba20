/**
 * Benchmark of `damas add -r` over a generated tree (10,000 files by default): wall time and HTTP
 * requests of a first run and of a re-run, through the CLI's own code in this process.
 *   npx tsx client/cli/bench-add.ts [--server URL] [--files N]   (no --server: an in-memory tracker)
 * The benchmark command can call benchAdd({ server: local.url }) instead.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { main } from './main.js';

export interface AddRun {
  exitCode: number;
  ms: number;
  requests: Record<string, number>;
  /** File nodes the run created. */
  created: number;
}

export interface BenchAddResult {
  files: number;
  first: AddRun;
  rerun: AddRun;
  /** HTTP requests per file of the first run (batched: about 2 per 500 files). */
  requestsPerFile: number;
}

/** A fetch that counts requests by `METHOD route`. */
function countingFetch(counts: Record<string, number>): typeof fetch {
  return (input, init) => {
    const route = new URL(String(input)).pathname.replace(/^.*\/api\//, '');
    const key = `${init?.method ?? 'GET'} ${route}`;
    counts[key] = (counts[key] ?? 0) + 1;
    return fetch(input, init);
  };
}

async function runCli(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<AddRun> {
  const requests: Record<string, number> = {};
  let stdout = '';
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const stdoutStream = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      stdout += chunk.toString();
      done();
    },
  });
  const stdin = new PassThrough();
  stdin.end();
  const start = performance.now();
  const exitCode = await main(args, {
    stdin,
    stdout: stdoutStream,
    stderr: sink,
    env,
    cwd,
    fetch: countingFetch(requests),
  });
  const ms = performance.now() - start;
  const created = stdout.trim().startsWith('[') ? (JSON.parse(stdout) as unknown[]).length : 0;
  return { exitCode, ms, requests, created };
}

export async function benchAdd({
  server,
  files = 10_000,
}: {
  server: string;
  files?: number;
}): Promise<BenchAddResult> {
  const repo = mkdtempSync(join(tmpdir(), 'damas-bench-add-'));
  try {
    for (let i = 0; i < files; i++) {
      const dir = join(repo, 'tree', `d${Math.floor(i / 100)}`);
      if (i % 100 === 0) mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `f${i}.dat`), String(i));
    }
    const env = { HOME: repo, DAMAS_SERVER: server, DAMAS_SITE: 'bench' };
    await runCli(['init'], env, repo);
    const first = await runCli(['add', '-r', 'tree'], env, repo);
    const rerun = await runCli(['add', '-r', 'tree'], env, repo);
    const total = Object.values(first.requests).reduce((a, b) => a + b, 0);
    return { files, first, rerun, requestsPerFile: total / files };
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { server: { type: 'string' }, files: { type: 'string' } } });
  const files = Number(values.files ?? 10_000);
  let server = values.server;
  let close = async () => {};
  if (!server) {
    const { startLocalTracker } = await import('../../local/runtime.js');
    const local = await startLocalTracker({ port: 0 });
    server = local.url;
    close = local.close;
  }
  try {
    console.log(JSON.stringify(await benchAdd({ server, files }), null, 2));
  } finally {
    await close();
  }
}
