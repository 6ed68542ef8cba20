/**
 * What the agent transfer figures run on, as the end-to-end tests do (test/agent/harness.ts): the
 * local tracker in jwt mode on a DynamoDB Local of its own (a fresh JVM for these figures), the
 * tests' sshd on 127.0.0.1, the agent bundle, one site-scoped token per site, a volume and a root
 * folder per site, and agents run as child processes. BENCH_AGENT_LOGS=<dir> keeps their logs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { buildAgent } from '../agent/build.js';
import { TrackerClient } from '../client/api-client.js';
import { addUser } from '../functions/core/ops/accounts.js';
import { startLocalTracker, type LocalTracker } from '../local/runtime.js';
import { startSshd, type Sshd } from '../test/support/sshd.js';

/** What the agent figure groups get (they start what they need themselves). */
export interface AgentBench {
  quick: boolean;
  log(message: string): void;
  /** Registers a cleanup an interrupt (Ctrl-C) runs: temp dirs, processes. */
  atInterrupt(cleanup: () => Promise<unknown>): void;
}

const PASSWORD = 'bench-pw';

/** A running agent; its JSON log lines go to a file. */
export class AgentProcess {
  readonly exited: Promise<number | null>;

  constructor(
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}

export class AgentRig {
  readonly agents: AgentProcess[] = [];
  private readonly tokens: Record<string, string> = {};
  private logDir = '';

  private constructor(
    readonly dir: string,
    readonly sshd: Sshd,
    readonly local: LocalTracker,
    readonly admin: TrackerClient,
    private readonly bundle: string,
  ) {}

  /** Starts everything; `volumes` holds extra keys of each site's volume node. */
  static async start(dir: string, volumes: Record<string, Record<string, unknown>>, globals: object) {
    await mkdir(join(dir, 'sshd'), { recursive: true });
    const sshd = await startSshd(join(dir, 'sshd'));
    let local: LocalTracker | undefined;
    try {
      const bundle = await buildAgent(join(dir, 'syncplanet.js'));
      local = await startLocalTracker({ port: 0, auth: 'jwt' });
      const { store, auth } = local.tracker;
      await addUser(store, auth, { username: 'admin', userClass: 'admin', password: PASSWORD });
      await addUser(store, auth, { username: 'agents', userClass: 'user', password: PASSWORD });
      const admin = new TrackerClient({ server: local.url });
      admin.token = (await admin.signIn('admin', PASSWORD)).body.token;
      const rig = new AgentRig(dir, sshd, local, admin, bundle);
      rig.logDir = process.env.BENCH_AGENT_LOGS ?? join(dir, 'logs');
      mkdirSync(rig.logDir, { recursive: true });
      for (const site of Object.keys(volumes)) {
        await mkdir(rig.root(site), { recursive: true });
        rig.tokens[site] = (await admin.createToken(`agent ${site}`, 'agents', site)).body.token;
      }
      await admin.create([
        ...Object.entries(volumes).map(([name, keys]) => ({
          _id: `vol-${name}`,
          name,
          url: rig.url(name),
          ...keys,
        })),
        { _id: 'rsyncGlobalParameters', ...globals },
      ]);
      // An agent whose volume the registry (fed by the stream) does not know yet is refused.
      const deadline = Date.now() + 60_000;
      while ((await admin.sites()).body.length < Object.keys(volumes).length) {
        if (Date.now() > deadline) throw new Error('the volumes never reached the registry');
        await delay(100);
      }
      return rig;
    } catch (error) {
      await local?.close();
      await sshd.stop();
      throw error;
    }
  }

  root(site: string): string {
    return join(this.dir, 'sites', site);
  }

  /** The volume url of a site through the sshd. */
  url(site: string): string {
    return `ssh://${this.sshd.user}@127.0.0.1:${this.sshd.port}${this.root(site)}/`;
  }

  /** Runs the site's agent (the bundle, as the `syncplanet` bin does). */
  agent(site: string, extra: string[] = []): AgentProcess {
    const logFile = join(this.logDir, `${site}-${this.agents.length}.log`);
    const out = openSync(logFile, 'a');
    try {
      const args = ['agent', '--tracker', this.local.url, '--site', site, '--root', this.root(site)];
      const child = spawn(
        process.execPath,
        [this.bundle, ...args, '--ssh-key', this.sshd.clientKey, '--log-level', 'info', ...extra],
        { stdio: ['ignore', out, 'inherit'], env: { ...process.env, SYNCPLANET_TOKEN: this.tokens[site] } },
      );
      const agent = new AgentProcess(child, logFile);
      this.agents.push(agent);
      return agent;
    } finally {
      closeSync(out); // the child holds its own copy
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.stop()));
    await this.local.close();
    await this.sshd.stop();
  }
}

/** A temp dir, removed by `cleanup` (also on an interrupt). */
export async function tempDir(bench: AgentBench, name: string) {
  const dir = await mkdtemp(join(tmpdir(), `bench-${name}-`));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  bench.atInterrupt(cleanup);
  return { dir, cleanup };
}
