/**
 * The agent's loop: heartbeat (and read the switches), scan when due, transfer while there is work,
 * send the results, then wait for a change event or the poll timer. A tracker outage backs off and
 * keeps results in the outbox; SIGTERM stops the running rsync (which keeps its partial file) and
 * says goodbye with `agentStatus: off`.
 */
import { mkdir, mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Subscription } from '../client/events.js';
import packageJson from '../package.json' with { type: 'json' };
import type { AgentContext, AgentOptions } from './context.js';
import { LocalIndex } from './local-index.js';
import { Outbox } from './outbox.js';
import { PRIVATE_DIR } from './paths.js';
import { closeSshMasters, MAX_CONTROL_DIR } from './rsync.js';
import { scan, type ScanSummary } from './scan.js';
import { AgentTracker } from './tracker.js';
import { claimLimit, transferRound } from './transfer.js';

export const AGENT_VERSION = packageJson.version;
/** Transfer rounds in a row before the loop heartbeats and scans again. */
const MAX_ROUNDS = 20;
const MAX_BACKOFF_S = 60;
const HEALTH_EVERY_MS = 15_000;
const DEFAULT_SCAN_INTERVAL_S = 60;
const DEBOUNCE_MS = 200;
/** How often a burst of rounds stamps the volume's `last_reception` / `last_emission`. */
const STAMP_EVERY_MS = 5_000;

export interface RunSummary {
  scanned: number;
  published: number;
  modified: number;
  missing: number;
  held: number;
  received: number;
  receivedBytes: number;
  sent: number;
  sentBytes: number;
  errors: number;
}

export const healthFile = (stateDir: string) => join(stateDir, 'health.json');

export async function runAgent(options: AgentOptions, log: Logger, signal: AbortSignal): Promise<RunSummary> {
  const staging = join(options.root, PRIVATE_DIR, 'incoming');
  await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
  await mkdir(staging, { recursive: true });
  await mkdir(join(options.root, PRIVATE_DIR, 'tmp'), { recursive: true });
  const tracker = new AgentTracker(options.tracker, options.token, options.site);
  const index = new LocalIndex(join(options.stateDir, 'index'));
  const outbox = new Outbox(join(options.stateDir, 'outbox.jsonl'), (r) => tracker.results(r), log);
  await Promise.all([index.load(), outbox.load()]);
  const ctx: AgentContext = {
    options,
    tracker,
    log,
    index,
    outbox,
    volume: { _id: '' },
    globals: undefined,
    staging,
    ssh: {
      key: options.sshKey,
      knownHosts: join(options.stateDir, 'known_hosts'),
      controlDir: await sshControlDir(options.stateDir),
    },
    peers: new Map(),
    signal,
  };
  const total: RunSummary = {
    scanned: 0,
    published: 0,
    modified: 0,
    missing: 0,
    held: 0,
    received: 0,
    receivedBytes: 0,
    sent: 0,
    sentBytes: 0,
    errors: 0,
  };
  const startTime = Date.now();
  const wake = new Wake(signal);
  const events = options.once ? undefined : listen(ctx, wake);
  const health = setInterval(() => void writeHealth(options.stateDir, 'alive'), HEALTH_EVERY_MS).unref();
  let lastScan = 0;
  let scanEvery: number;
  let failures = 0;
  try {
    while (!signal.aborted) {
      try {
        await connect(ctx, startTime, events !== undefined);
        scanEvery = Number(ctx.globals?.sleepBetweenScans ?? DEFAULT_SCAN_INTERVAL_S) * 1000;
        if (ctx.globals?.enableScans !== false && (options.once || Date.now() - lastScan >= scanEvery)) {
          const summary = await scan(ctx);
          lastScan = Date.now();
          addScan(total, summary);
          await ctx.tracker.heartbeat({
            last_scan: lastScan,
            scan_duration: summary.durationMs / 1000,
            exit_scan: 0,
            scan_held: summary.held,
            stderr_scan: summary.held
              ? `held: ${summary.held} files look gone (over ${options.missingThreshold * 100}% of the volume); is it mounted?`
              : '',
          });
          await index.save();
          log.info(summary, 'scan finished');
        }
        await transfers(ctx, total);
        await index.save();
        await outbox.flush();
        failures = 0;
        await writeHealth(options.stateDir, 'round');
      } catch (error) {
        if (signal.aborted) break;
        failures++;
        total.errors++;
        log.error({ err: (error as Error).message, failures }, 'round failed');
        if (options.once) break;
        // Only a stop cuts a backoff short, never an event.
        await delay(Math.min(2 ** failures, MAX_BACKOFF_S) * 1000, undefined, { signal }).catch(() => {});
        continue;
      }
      if (options.once) break;
      const untilScan = Math.max(0, lastScan + scanEvery - Date.now());
      await wake.wait(Math.min(options.pollInterval * 1000, untilScan));
    }
  } finally {
    clearInterval(health);
    events?.close();
    await endBurst(ctx);
    await rm(ctx.ssh.controlDir!, { recursive: true, force: true });
    await index.save().catch(() => {});
    await ctx.tracker.heartbeat({ agentStatus: 'off' }).catch(() => {});
  }
  if (outbox.size > 0) total.errors++;
  return total;
}

/** Heartbeat with the agent's status and capacity; refreshes the volume's switches and the global parameters. */
async function connect(ctx: AgentContext, startTime: number, listening: boolean): Promise<void> {
  const now = Date.now();
  const disk = await statfs(ctx.options.root);
  ctx.volume = await ctx.tracker.heartbeat({
    agentStatus: 'on',
    agentVersion: AGENT_VERSION,
    agentStartTime: startTime,
    heartbeatInterval: Math.max(ctx.options.pollInterval, listening ? 60 : 0),
    ...(ctx.options.url ? { url: ctx.options.url } : {}),
    lastConnectionSuccess: now,
    bytesTotal: disk.blocks * disk.bsize,
    bytesUsed: (disk.blocks - disk.bfree) * disk.bsize,
    bytesRemaining: disk.bavail * disk.bsize,
  });
  ctx.globals = await ctx.tracker.globals();
  await ctx.outbox.flush();
}

/**
 * Reception then emission rounds while claims come back full (more work is waiting). A round's
 * results are sent while the next round claims and copies; the volume's `last_<direction>` is
 * stamped at most every few seconds and when the direction is done.
 */
async function transfers(ctx: AgentContext, total: RunSummary): Promise<void> {
  let sending: Promise<unknown> = Promise.resolve();
  try {
    for (const direction of ['reception', 'emission'] as const) {
      let failed = 0;
      let stamped = Date.now();
      let unstamped = false;
      const stamp = async () => {
        await ctx.tracker.heartbeat({
          [`last_${direction}`]: Date.now(),
          [`exit_${direction}`]: failed ? 23 : 0,
        });
        stamped = Date.now();
        unstamped = false;
        failed = 0;
      };
      for (let round = 0; round < (ctx.options.once ? 1 : MAX_ROUNDS) && !ctx.signal.aborted; round++) {
        const summary = await transferRound(ctx, direction);
        if (direction === 'reception') {
          total.received += summary.done;
          total.receivedBytes += summary.bytes;
        } else {
          total.sent += summary.done;
          total.sentBytes += summary.bytes;
        }
        total.errors += summary.failed;
        failed += summary.failed;
        if (summary.claimed > 0) {
          await sending; // a failed send stops the burst: the loop backs off, the outbox keeps the results
          sending = ctx.outbox.flush();
          sending.catch(() => {}); // awaited above or below
          unstamped = true;
          if (Date.now() - stamped >= STAMP_EVERY_MS) await stamp();
        }
        // Fewer pairs than a round asks for: none are left waiting.
        if (summary.claimed === 0 || summary.claimed < claimLimit(ctx.volume, direction)) break;
      }
      await sending;
      if (unstamped) await stamp();
    }
  } finally {
    await sending.catch(() => {});
    await endBurst(ctx);
  }
}

/** Closes the ssh connections the rounds shared: the next burst checks the peers' host keys afresh. */
async function endBurst(ctx: AgentContext): Promise<void> {
  if (ctx.peers.size === 0) return;
  await closeSshMasters(ctx.peers.values(), ctx.ssh);
  ctx.peers.clear();
}

function addScan(total: RunSummary, s: ScanSummary): void {
  total.scanned += s.scanned;
  total.published += s.published;
  total.modified += s.modified;
  total.missing += s.missing;
  total.held = s.held;
}

/** Change events wake the loop (debounced), so new work starts within about a second. */
function listen(ctx: AgentContext, wake: Wake): Subscription {
  // Files only: the agents' own heartbeats change volume nodes, and must not wake every agent.
  const subscription = ctx.tracker.client.subscribe(
    { prefix: '/' },
    {
      eventsUrl: ctx.options.eventsUrl,
      onStatus: (status, detail) => ctx.log.debug({ status, ...detail }, 'events connection'),
    },
  );
  void (async () => {
    try {
      for await (const event of subscription) {
        ctx.log.trace({ id: event.id }, 'event');
        wake.soon();
      }
    } catch (error) {
      ctx.log.warn({ err: (error as Error).message }, 'events stopped; polling only');
    }
  })();
  return subscription;
}

/**
 * A private folder for ssh's control sockets (each opens a session on a peer): `<state>/ssh`, emptied
 * of a crashed run's stale sockets, or a fresh temporary folder when that path is too long for a socket.
 */
async function sshControlDir(stateDir: string): Promise<string> {
  const dir = join(stateDir, 'ssh');
  if (dir.length > MAX_CONTROL_DIR) return mkdtemp(join(tmpdir(), 'syncplanet-ssh-'));
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { mode: 0o700 });
  return dir;
}

async function writeHealth(stateDir: string, what: string): Promise<void> {
  await writeFile(healthFile(stateDir), JSON.stringify({ time: Date.now(), what })).catch(() => {});
}

/** A sleep that a change event (or a stop) cuts short; an event during a round makes the next wait instant. */
class Wake {
  private wakeUp: (() => void) | undefined;
  private woken = false;

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => this.wakeUp?.());
  }

  soon(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  async wait(ms: number): Promise<void> {
    if (!this.woken && !this.signal.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.wakeUp = undefined;
    if (this.woken) await delay(DEBOUNCE_MS); // events come in bursts
    this.woken = false;
  }
}
