/**
 * Propagation A→B by the agents (agent-rig.ts: tracker in jwt mode, sshd, agents as child
 * processes) of many small files, then of one large file, each published at A by a one-shot agent
 * run. Timed from "all claimable at B" (B's queue holds every file; B's agent is already running,
 * `--poll-interval 0.1`, with `syncAmountReception` 0 until the clock starts, when the admin sets it
 * to 100) to `synced_B` on every file (nodes read in queue order). B's agent is stopped while the
 * baselines run (idle, it heartbeats ten times a second).
 * The floor of the design, timed in the same run: one plain `rsync -r -t` of the same folder over
 * the same sshd (pull into a fresh dir; median of a run before and one after each agents' run) plus
 * the tracker writes a transfer cannot avoid, a claim and a result per file: the two conditional
 * UpdateItems the store sends, raw, on the same nodes of the same DynamoDB Local, in batches of 100
 * with 16 in flight as the store's claims and results (for a site no volume names: no queue moves).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { BatchGetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseVolumeUrl, sshCommand } from '../../agent/rsync.js';
import { createDocumentClient } from '../../functions/store/dynamo-client.js';
import type { QueueItem } from '../../functions/store/queue-keys.js';
import { localTableNames } from '../../functions/store/schema.js';
import { AgentRig, tempDir, type AgentBench, type AgentProcess } from '../agent-rig.js';
import { DYNAMO_CONCURRENCY } from '../context.js';
import { chunk, median, now, pool, timed } from '../measure.js';
import { figure, withRatioAtLeast, type Figure } from '../report.js';
import { rawClaim } from '../sync-seed.js';

const run = promisify(execFile);
const AMOUNT = 100;
const MB = 1e6;
const TIMEOUT_MS = 30 * 60_000;
/** Pause after B's agent has started, before the clock starts. */
const SETTLE_MS = 500;

interface Case {
  name: string;
  files: number;
  bytes: number;
  /** Measurements, each of a fresh folder of files (the median is reported). */
  rounds: number;
  /** Goal on the ratio to the floor (at least). */
  goal: number;
  /** Pause between two reads of the nodes not yet synced. */
  pollMs: number;
}
const CASES: Record<'quick' | 'full', Case[]> = {
  quick: [
    { name: 'small', files: 2_000, bytes: 4_096, rounds: 1, goal: 0.8, pollMs: 100 },
    { name: 'large', files: 1, bytes: 256 * 2 ** 20, rounds: 3, goal: 0.95, pollMs: 20 },
  ],
  full: [
    { name: 'small', files: 10_000, bytes: 4_096, rounds: 1, goal: 0.8, pollMs: 100 },
    { name: 'large', files: 1, bytes: 2 ** 30, rounds: 5, goal: 0.95, pollMs: 20 },
  ],
};

const UNITS = [
  ['GiB', 2 ** 30],
  ['MiB', 2 ** 20],
  ['KiB', 1024],
] as const;

/** `10,000 × 4 KiB`, `1 × 1 GiB`. */
function describe(c: Case): string {
  const [unit, size] = UNITS.find(([, bytes]) => c.bytes >= bytes) ?? ['B', 1];
  return `${c.files.toLocaleString('en-US')} × ${c.bytes / size} ${unit}`;
}

/** The case's files in `<root>/<folder>/`: sub-folders of 100 random files, or one file. */
function writeFiles(root: string, folder: string, c: Case): void {
  if (c.files === 1) {
    mkdirSync(join(root, folder), { recursive: true });
    const fd = openSync(join(root, folder, 'big.bin'), 'w');
    for (let left = c.bytes; left > 0; left -= 2 ** 24) writeSync(fd, randomBytes(Math.min(left, 2 ** 24)));
    closeSync(fd);
    return;
  }
  for (let i = 0; i < c.files; i++) {
    const dir = join(root, folder, `d${String(Math.floor(i / 100)).padStart(3, '0')}`);
    if (i % 100 === 0) mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${String(i).padStart(5, '0')}.bin`), randomBytes(c.bytes));
  }
}

class Transfers {
  private readonly raw: DynamoDBDocumentClient;
  private readonly nodes = localTableNames().nodes;

  constructor(
    private readonly bench: AgentBench,
    private readonly rig: AgentRig,
  ) {
    this.raw = createDocumentClient(rig.local.dynamodbEndpoint);
  }

  async measure(c: Case): Promise<Figure[]> {
    const ms = { agent: [] as number[], rsync: [] as number[], writes: [] as number[] };
    for (let r = 0; r < c.rounds; r++) {
      const round = await this.round(c, `${c.name}${r}`);
      ms.agent.push(round.agent);
      ms.rsync.push(...round.rsync);
      ms.writes.push(round.writes);
    }
    const [agentMs, rsyncMs, writesMs] = [median(ms.agent), median(ms.rsync), median(ms.writes)];
    const large = c.files === 1;
    const unit = large ? 'MB/s' : 'files/s';
    const speed = (time: number) => (large ? c.bytes / MB : c.files) / (time / 1000);
    const what = describe(c);
    const rounds = c.rounds > 1 ? `; median of ${c.rounds} rounds, each on new files` : '';
    return [
      withRatioAtLeast(
        figure(
          `agent.propagate.${c.name}`,
          speed(agentMs),
          unit,
          `${what} from "all claimable at B" to synced_B on every file, by B's agent (claims of ${AMOUNT}, one rsync per claim, results) pulling from A through the sshd; baseline: the floor, one plain rsync -r -t of the same folder over the same sshd (median of runs before and after the agents') + two raw conditional UpdateItems per file (claim, result; batches of ${AMOUNT}, ${DYNAMO_CONCURRENCY} in flight) on the same DynamoDB Local${rounds}; ratio = floor time / agent time, goal ≥ ${c.goal}`,
          speed(rsyncMs + writesMs),
        ),
        c.goal,
      ),
      figure(
        `agent.propagate.${c.name}.vs_rsync`,
        speed(agentMs),
        unit,
        'the same, against the plain rsync alone',
        speed(rsyncMs),
      ),
    ];
  }

  /** One measurement on new files in `<root>/<folder>`: ms of the agents, plain rsync and raw writes. */
  private async round(c: Case, folder: string): Promise<{ agent: number; rsync: number[]; writes: number }> {
    const { bench, rig } = this;
    const sync = rig.local.tracker.sync;
    bench.log(`agent: ${describe(c)} at A, published by A's agent…`);
    writeFiles(rig.root('A'), folder, c);
    const a = rig.agent('A', ['--once']);
    if ((await a.exited) !== 0) throw new Error(`A's one-shot agent failed: see ${a.logFile}`);
    const queued = await this.until(async () => {
      const backlog = await sync.backlog('B');
      return backlog.pending === c.files && (await sync.pending('B', c.files));
    }, 'every file claimable at B');

    const rsyncBefore = await this.plainRsync(folder);
    bench.log(`  claimable at B; plain rsync ${rsyncBefore.toFixed(0)} ms; B's agent copies them…`);
    await run('sync');
    const b = await this.startB();
    const startedAt = Date.now();
    const start = now();
    await rig.admin.update({ _id: 'vol-B', syncAmountReception: AMOUNT });
    const claims = await this.untilSynced(queued, c.pollMs);
    const agentMs = now() - start;
    const endedAt = Date.now();
    await b.stop(); // the baselines run without agents
    await rig.admin.update({ _id: 'vol-B', syncAmountReception: 0 });
    await this.checkCopies(folder);
    // Where the time went: claim times (synced_B) and B's log lines "rsync finished".
    const times = [...new Set(claims)].sort((x, y) => x - y);
    const rsyncs = await rsyncTimes(b);
    bench.log(
      `  ${agentMs.toFixed(0)} ms: first claim after ${times[0]! - startedAt} ms, ${times.length} claims, ${rsyncs.length} rsync runs, the last done ${endedAt - rsyncs.at(-1)!} ms before the end`,
    );
    await this.until(async () => {
      const backlog = await sync.backlog('B');
      return backlog.pending === 0 && backlog.syncing === 0;
    }, "B's queue emptied by the stream");
    const rsyncAfter = await this.plainRsync(folder);
    const writesMs = await this.rawWrites(queued);
    bench.log(
      `  plain rsync ${rsyncAfter.toFixed(0)} ms; raw claim + result writes ${writesMs.toFixed(0)} ms`,
    );
    return { agent: agentMs, rsync: [rsyncBefore, rsyncAfter], writes: writesMs };
  }

  async close(): Promise<void> {
    this.raw.destroy();
  }

  private async until<T>(check: () => Promise<T | false>, what: string): Promise<T> {
    const deadline = now() + TIMEOUT_MS;
    for (;;) {
      const value = await check();
      if (value !== false) return value;
      if (now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await delay(200);
    }
  }

  /**
   * Waits for synced_B on every file, read in queue order (the order B claims them): the first file
   * not yet synced every `pollMs` (a light load on the DynamoDB Local the agents use), up to the next
   * 100 in one BatchGetItem once it is. Answers the claim times (synced_B is the claim's time).
   */
  private async untilSynced(queued: QueueItem[], pollMs: number): Promise<number[]> {
    let remaining = queued.map((q) => q.fileId);
    let batch = 1;
    const claims: number[] = [];
    const deadline = now() + TIMEOUT_MS;
    while (remaining.length > 0) {
      const ids = remaining.slice(0, batch);
      const out = await this.raw.send(
        new BatchGetCommand({
          RequestItems: {
            [this.nodes]: {
              Keys: ids.map((pk) => ({ pk })),
              ProjectionExpression: 'pk, #d.#s',
              ExpressionAttributeNames: { '#d': 'doc', '#s': 'synced_B' },
            },
          },
        }),
      );
      const synced = new Map<string, number>();
      for (const item of out.Responses?.[this.nodes] ?? []) {
        const at = (item.doc as { synced_B?: number } | undefined)?.synced_B;
        if (at !== undefined) synced.set(item.pk as string, at);
      }
      claims.push(...synced.values());
      remaining = [...ids.filter((id) => !synced.has(id)), ...remaining.slice(ids.length)];
      batch = synced.size === ids.length ? 100 : 1;
      if (batch === 100) continue;
      if (now() > deadline) throw new Error(`${remaining.length} files not synced at B in time`);
      await delay(pollMs);
    }
    return claims;
  }

  /** Every file at B, with A's size. */
  private async checkCopies(folder: string): Promise<void> {
    const list = await run('find', [join(this.rig.root('A'), folder), '-type', 'f', '-printf', '%P %s\n']);
    for (const line of list.stdout.trim().split('\n')) {
      const [rel, size] = line.split(' ');
      const copy = await stat(join(this.rig.root('B'), folder, rel!));
      if (copy.size !== Number(size)) throw new Error(`${folder}/${rel} at B: ${copy.size} of ${size} bytes`);
    }
  }

  /** Starts B's agent (nothing to claim yet: `syncAmountReception` 0) and waits for its first scan. */
  private async startB(): Promise<AgentProcess> {
    const spawned = Date.now();
    const b = this.rig.agent('B', ['--poll-interval', '0.1']);
    await this.until(async () => {
      const volume = (await this.rig.admin.read('vol-B')).body;
      return Number(volume.last_scan ?? 0) >= spawned;
    }, "B's agent to start");
    await delay(SETTLE_MS);
    return b;
  }

  /** ms of one plain `rsync -r -t` pulling a folder from A into a fresh dir. */
  private async plainRsync(folder: string): Promise<number> {
    const remote = parseVolumeUrl(this.rig.url('A'));
    const ssh = sshCommand(remote, {
      key: this.rig.sshd.clientKey,
      knownHosts: join(this.rig.dir, 'known_hosts'),
    });
    const to = join(this.rig.dir, 'plain');
    await rm(to, { recursive: true, force: true });
    await run('sync');
    const ms = await timed(() =>
      run('rsync', ['-r', '-t', '-e', ssh, `${remote.host}:${remote.path}${folder}/`, `${to}/`]),
    );
    await rm(to, { recursive: true, force: true });
    return ms;
  }

  /** ms of a claim and a result per file sent raw, batch by batch, for site R. */
  private async rawWrites(queued: QueueItem[]): Promise<number> {
    const at = Date.now();
    const claim = (q: QueueItem) => new UpdateCommand(rawClaim(this.nodes, 'R', q, at, at + 900_000));
    const result = (q: QueueItem) =>
      new UpdateCommand({
        TableName: this.nodes,
        Key: { pk: q.fileId },
        UpdateExpression: 'SET #d.#ok = #d.#sy REMOVE #d.#sy, #d.#ls, #d.#err, #d.#last, #d.#att, #d.#msg',
        ConditionExpression: 'attribute_exists(#d.#sy)',
        ExpressionAttributeNames: {
          '#d': 'doc',
          '#sy': 'syncing_R',
          '#ls': 'syncLease_R',
          '#ok': 'synced_R',
          '#err': 'syncError_R',
          '#last': 'syncLastAttempt_R',
          '#att': 'syncAttempts_R',
          '#msg': 'syncErrorMessage_R',
        },
      });
    return timed(async () => {
      for (const batch of chunk(queued, AMOUNT)) {
        await pool(DYNAMO_CONCURRENCY, batch.length, (i) => this.raw.send(claim(batch[i]!)));
        await pool(DYNAMO_CONCURRENCY, batch.length, (i) => this.raw.send(result(batch[i]!)));
      }
    });
  }
}

/** When the rsync runs an agent logged finished (ms since the epoch). */
const rsyncTimes = async (agent: AgentProcess) =>
  (await readFile(agent.logFile, 'utf8'))
    .split('\n')
    .filter((line) => line.includes('"rsync finished"'))
    .map((line) => Date.parse((JSON.parse(line) as { time: string }).time));

export async function agentTransferFigures(bench: AgentBench): Promise<Figure[]> {
  const { dir, cleanup } = await tempDir(bench, 'agent-transfer');
  try {
    bench.log('agent: starting a tracker (jwt, DynamoDB Local of its own), an sshd, the agent bundle…');
    const rig = await AgentRig.start(
      dir,
      { A: {}, B: { syncAmountReception: 0 } },
      { sleepBetweenScans: 3600 }, // no rescan by B while it copies
    );
    bench.atInterrupt(() => rig.close());
    const transfers = new Transfers(bench, rig);
    try {
      const figures: Figure[] = [];
      for (const c of CASES[bench.quick ? 'quick' : 'full']) figures.push(...(await transfers.measure(c)));
      return figures;
    } finally {
      await transfers.close();
      await rig.close();
    }
  } finally {
    await cleanup();
  }
}
