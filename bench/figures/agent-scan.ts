/**
 * The agent's scan on a generated tree (folders × 100 small files in a temp dir), in child
 * processes (bench/agent-scan-child.ts) running the agent's real `scan(ctx)` with a stub tracker:
 * - agent.rescan: an unchanged rescan (index filled by a first scan; every rescan must make no
 *   tracker call, checked) vs `find <root> -type f -printf '%s %T@ %P\n' > /dev/null` (size and
 *   mtime of every file, spawn included); interleaved rounds, median; ratio = find time / scan time.
 * - agent.scan.heap / .rss: growth per tracked file of a process running a first scan (publish
 *   counted by the stub), highest reading during or after the scan over the reading taken once
 *   the agent code is loaded (gc() before each reading).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir, type AgentBench } from '../agent-rig.js';
import type { MemoryReport, RescanReport } from '../agent-scan-child.js';
import { median, rate, timed } from '../measure.js';
import { figure, withGoal, withRatioAtLeast, type Figure } from '../report.js';

const CHILD = fileURLToPath(new URL('../agent-scan-child.ts', import.meta.url));
const PER_FOLDER = 100;
const SIZES = { quick: { folders: 200, rounds: 5 }, full: { folders: 1_000, rounds: 7 } };
const RESCAN_GOAL = 0.5;
const MEMORY_GOAL = 300;

function makeTree(root: string, folders: number): void {
  for (let d = 0; d < folders; d++) {
    const dir = join(root, `d${String(d).padStart(4, '0')}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < PER_FOLDER; f++)
      writeFileSync(join(dir, `f${String(f).padStart(3, '0')}.dat`), 'x'.repeat((d + f) % 200));
  }
}

/** A scan child with tsx's loader and gc() exposed. */
const child = (args: string[]): ChildProcess =>
  fork(CHILD, args, { execArgv: [...process.execArgv, '--expose-gc'], stdio: 'inherit' });

/** The child's next message; rejects if it exits first. */
const reply = <T>(proc: ChildProcess): Promise<T> =>
  new Promise((resolve, reject) => {
    const exit = (code: number | null) => reject(new Error(`scan child exited with ${code}`));
    proc.once('exit', exit);
    proc.once('message', (message) => {
      proc.off('exit', exit);
      resolve(message as T);
    });
  });

const find = (root: string) =>
  timed(
    () =>
      new Promise<void>((resolve, reject) =>
        spawn('find', [root, '-type', 'f', '-printf', '%s %T@ %P\n'], {
          stdio: ['ignore', 'ignore', 'inherit'],
        })
          .on('error', reject)
          .on('close', (code) => (code === 0 ? resolve() : reject(new Error(`find exited with ${code}`)))),
      ),
  );

async function rescanFigure(bench: AgentBench, root: string, files: number, rounds: number) {
  const proc = child(['rescan', root]);
  try {
    const { published } = await reply<{ published: number }>(proc);
    if (published !== files) throw new Error(`first scan published ${published} of ${files} files`);
    const rescan = async () => {
      proc.send('scan');
      const r = await reply<RescanReport>(proc);
      if (r.calls !== 0 || r.scanned !== files)
        throw new Error(`unchanged rescan: ${r.scanned} files, ${r.calls} tracker calls (expected none)`);
      return r.ms;
    };
    await find(root); // warm-up
    await rescan();
    const ms = { scan: [] as number[], find: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      if (r % 2) ms.find.push(await find(root));
      ms.scan.push(await rescan());
      if (!(r % 2)) ms.find.push(await find(root));
      bench.log(`  r${r}: scan ${ms.scan[r]!.toFixed(0)} ms, find ${ms.find[r]!.toFixed(0)} ms`);
    }
    const measured = figure(
      'agent.rescan',
      rate(files, median(ms.scan)),
      'files/s',
      `unchanged rescan of ${files.toLocaleString('en-US')} files (${files / PER_FOLDER} folders × ${PER_FOLDER}) by the agent's scan(ctx) in a child process, index filled by a first scan, stub tracker (no call made, checked on every rescan); baseline: find -type f -printf '%s %T@ %P\\n' > /dev/null over the same tree (spawn included); median of ${rounds} interleaved rounds; ratio = find time / scan time, goal ≥ ${RESCAN_GOAL}`,
      rate(files, median(ms.find)),
    );
    return withRatioAtLeast(measured, RESCAN_GOAL);
  } finally {
    proc.kill();
  }
}

async function memoryFigures(bench: AgentBench, root: string, files: number): Promise<Figure[]> {
  const proc = child(['memory', root, String(files)]);
  const m = await reply<MemoryReport>(proc);
  if (m.tracked !== files) throw new Error(`memory scan tracked ${m.tracked} of ${files} files`);
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
  bench.log(
    `  heap ${mb(m.before.heap)} bare → ${mb(m.loaded.heap)} loaded → ${mb(m.peak.heap)} peak, ${mb(m.after.heap)} after; rss ${mb(m.loaded.rss)} loaded → ${mb(m.peak.rss)} peak`,
  );
  const about = `growth per tracked file of a child process (--expose-gc, gc() before each reading) during a first scan of ${files.toLocaleString('en-US')} files by the agent's scan(ctx) (stub tracker answering publish): highest reading at the scan's first and last publish call and after it, over the reading once the agent code is loaded (loading it: ${mb(m.loaded.heap - m.before.heap)} heap, ${mb(m.loaded.rss - m.before.rss)} RSS)`;
  return [
    withGoal(figure('agent.scan.heap', (m.peak.heap - m.loaded.heap) / files, 'B/file', about), MEMORY_GOAL),
    figure('agent.scan.rss', (m.peak.rss - m.loaded.rss) / files, 'B/file', 'the same, resident set size'),
  ];
}

export async function agentScanFigures(bench: AgentBench): Promise<Figure[]> {
  const { folders, rounds } = SIZES[bench.quick ? 'quick' : 'full'];
  const files = folders * PER_FOLDER;
  const { dir, cleanup } = await tempDir(bench, 'agent-scan');
  try {
    const root = join(dir, 'volume');
    bench.log(`agent: generating ${files.toLocaleString('en-US')} files in ${dir}…`);
    makeTree(root, folders);
    bench.log('agent: memory of a first scan…');
    const memory = await memoryFigures(bench, root, files);
    bench.log(`agent: unchanged rescan vs find, ${rounds} rounds…`);
    return [await rescanFigure(bench, root, files, rounds), ...memory];
  } finally {
    await cleanup();
  }
}
