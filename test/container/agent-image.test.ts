/**
 * The site agent's container image (agent/Dockerfile), built with podman on a local Debian base by
 * agent/container/build-image (which runs `npm run build:agent` first; SYNCPLANET_BUNDLE=<file> builds
 * from that file instead). Not part of `npm test`: `npm run test:container` (vitest.container.config.ts).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmod,
  chown,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_BUNDLE } from '../../agent/build.js';
import packageJson from '../../package.json' with { type: 'json' };
import { AgentHarness, makeRoots, seedAccounts, sha256, type LogLine } from '../agent/harness.js';
import { startSshd } from '../support/sshd.js';
import { call, startTestTracker } from '../support/tracker.js';
import { until } from '../sync/helpers.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const IMAGE = 'localhost/syncplanet-agent:test';
const BUNDLE = '/opt/syncplanet/syncplanet.js';
const UID = 10001;

interface Exit {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (or `timeoutMs`, then SIGKILL) without throwing; stdin is closed. */
function exec(file: string, args: string[], timeoutMs: number, env?: NodeJS.ProcessEnv): Promise<Exit> {
  return new Promise((done) => {
    const child = execFile(
      file,
      args,
      { cwd: root, env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        const code = (error as { code?: unknown } | null)?.code;
        done({ status: typeof code === 'number' ? code : error ? -1 : 0, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}

let containersConf = '';

/** podman with the project's containers.conf (runc, no default rlimits: see agent/container/ensure-podman). */
function podman(args: string[], timeoutMs = 120_000): Promise<Exit> {
  return exec('podman', args, timeoutMs, { ...process.env, CONTAINERS_CONF: containersConf });
}

interface RunInImage {
  /** Arguments after the image: to the agent bundle, or to `entrypoint` when given. */
  args?: string[];
  entrypoint?: string;
  env?: Record<string, string>;
  /** `-v` values, `host:container[:options]`. A bind-mounted dir must be writable by uid 10001. */
  volumes?: string[];
  /** The host's network, to reach services on 127.0.0.1 (a tracker, an sshd). */
  hostNetwork?: boolean;
  /** `--name`: lets afterAll remove a container whose podman client was killed on timeout. */
  name?: string;
  timeoutMs?: number;
}

/**
 * `podman run --rm` of the image in the foreground. `--no-healthcheck`: podman schedules health checks
 * through systemd, absent here, and would log an error on every run (`health` is run directly instead).
 */
function runInImage(o: RunInImage = {}): Promise<Exit> {
  const args = ['run', '--rm', '--no-healthcheck'];
  if (o.hostNetwork) args.push('--network=host');
  if (o.name) args.push('--name', o.name);
  if (o.entrypoint) args.push('--entrypoint', o.entrypoint);
  for (const [name, value] of Object.entries(o.env ?? {})) args.push('-e', `${name}=${value}`);
  for (const volume of o.volumes ?? []) args.push('-v', volume);
  return podman([...args, IMAGE, ...(o.args ?? [])], o.timeoutMs);
}

beforeAll(async () => {
  const ensured = await exec('agent/container/ensure-podman', [], 15 * 60_000);
  expect(ensured.status, ensured.stderr).toBe(0);
  containersConf = ensured.stdout.trim();
  // First run on a machine: base image ~20 s, build ~10 s (apt inside); cached layers after that.
  const built = await exec('agent/container/build-image', [IMAGE], 20 * 60_000);
  expect(built.status, built.stderr.slice(-4000)).toBe(0);
}, 30 * 60_000);

/** Undone in reverse order after the tests, whatever happened: containers, tracker, sshd, temp dirs. */
const cleanups: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

describe('agent image', () => {
  it(`runs as the unprivileged user syncplanet, uid/gid ${UID}`, async () => {
    const id = await runInImage({ entrypoint: 'id' });
    expect(id.status, id.stderr).toBe(0);
    expect(id.stdout.trim()).toBe(`uid=${UID}(syncplanet) gid=${UID}(syncplanet) groups=${UID}(syncplanet)`);
  });

  it('has node 20 or later, rsync and an ssh client', async () => {
    const node = await runInImage({ entrypoint: 'node', args: ['--version'] });
    expect(node.status, node.stderr).toBe(0);
    expect(Number(/^v(\d+)\./.exec(node.stdout)?.[1])).toBeGreaterThanOrEqual(20);

    const tools = await runInImage({ entrypoint: 'sh', args: ['-c', 'rsync --version && ssh -V'] });
    expect(tools.status, tools.stderr).toBe(0);
    expect(tools.stdout).toMatch(/^rsync\s+version \d/);
    expect(tools.stderr).toMatch(/^OpenSSH_\d/); // ssh -V writes to stderr
  });

  it('gives the agent a writable /data volume and a bundle it cannot change', async () => {
    const check = await runInImage({
      entrypoint: 'sh',
      args: [
        '-c',
        `mkdir /data/.syncplanet && touch /data/.syncplanet/x && test -r ${BUNDLE} && ! test -w ${BUNDLE}`,
      ],
    });
    expect(check.status, check.stderr).toBe(0);
  });

  it('declares user, entrypoint, command, health check, volume, environment and labels', async () => {
    const inspect = await podman(['image', 'inspect', IMAGE]);
    expect(inspect.status, inspect.stderr).toBe(0);
    const [image] = JSON.parse(inspect.stdout) as {
      Config: {
        User: string;
        Entrypoint: string[];
        Cmd: string[];
        Env: string[];
        Volumes: Record<string, unknown>;
        Labels: Record<string, string>;
      };
      Healthcheck?: { Test: string[]; Interval: number; Timeout: number }; // podman: beside Config
    }[];
    expect(image!.Config.User).toBe('syncplanet');
    expect(image!.Config.Entrypoint).toEqual(['node', BUNDLE]);
    expect(image!.Config.Cmd).toEqual(['agent']);
    expect(image!.Config.Volumes).toHaveProperty(['/data']);
    expect(image!.Config.Env).toContain('SYNCPLANET_ROOT=/data');
    expect(image!.Config.Labels['org.opencontainers.image.title']).toBe('syncplanet-agent');
    // Kept only in the docker image format (build-image passes --format docker).
    expect(image!.Healthcheck?.Test).toEqual(['CMD', 'node', BUNDLE, 'health']);
    expect(image!.Healthcheck!.Timeout).toBeLessThan(image!.Healthcheck!.Interval);
  });

  it('runs the bundle: `health` on a fresh volume, where no round was recorded, fails', async () => {
    const health = await runInImage({ args: ['health'] });
    // 125-127: podman or the runtime could not start the command at all.
    expect(health.status, health.stderr).toBeGreaterThan(0);
    expect(health.status).toBeLessThan(125);
    expect(health.stderr).not.toMatch(/Cannot find module|SyntaxError/);
  });

  // ── Sync through the container ─────────────────────────────────────────────────────────────────
  it('one agent inside the container syncs a file from a site outside it', async () => {
    // Tracker (jwt, site-scoped tokens) and sshd on the host's 127.0.0.1; sites A and B as host folders.
    const dir = await mkdtemp(join(tmpdir(), 'agent-image-sync-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await mkdir(join(dir, 'sshd'));
    const sshd = await startSshd(join(dir, 'sshd'));
    cleanups.push(() => sshd.stop());
    const t = await startTestTracker({ auth: 'jwt' });
    cleanups.push(() => t.close());
    const h = new AgentHarness(dir, sshd, t);
    h.bundle = AGENT_BUNDLE; // built by build-image in beforeAll: the same bundle the image runs
    cleanups.push(() => h.stopAll());
    const roots = await makeRoots(dir, ['A', 'B']);
    const { admin, tokens } = await seedAccounts(t, ['A', 'B']);
    const api = (method: string, path: string, body?: unknown) =>
      call(t, method, path, body, { token: admin });
    const node = async (id: string) =>
      ((await api('GET', `read/${encodeURIComponent(id)}`)).json ?? {}) as Record<string, unknown>;
    // B's url is a placeholder: the agent in the container registers the real one (SYNCPLANET_URL).
    const created = await api('POST', 'create', [
      { _id: 'vol-A', name: 'A', url: h.url(roots.A!) },
      { _id: 'vol-B', name: 'B', url: 'ssh://syncplanet@b.invalid/data/' },
    ]);
    expect(created.status, created.text).toBe(201);
    await until(async () => ((await api('GET', 'sites')).json as unknown[]).length === 2, 'the volumes');

    // A's file, published by A's agent on the host (one scan).
    const rel = 'shots/sh020/plate.exr';
    const id = `/${rel}`;
    const content = randomBytes(256 * 1024);
    const staged = join(dir, 'plate.tmp');
    await writeFile(staged, content);
    await mkdir(dirname(join(roots.A!, rel)), { recursive: true });
    await rename(staged, join(roots.A!, rel));
    const publisher = h.start({ name: 'A', root: roots.A!, token: tokens.A! }, ['--once']);
    expect(await publisher.exited, publisher.errors).toBe(0);
    expect(publisher.find('summary')[0]).toMatchObject({ published: 1, errors: 0 });
    await until(
      async () =>
        ((await api('GET', 'queue/B')).json as { _id: string; state: string }[]).some(
          (p) => p._id === id && p.state === 'pending',
        ),
      "the file pending in B's queue",
    );

    // B's agent in the container, as uid 10001: B's folder on /data, the ssh key readable by it.
    await chown(roots.B!, UID, UID);
    const keyDir = join(dir, 'key');
    await mkdir(keyDir);
    const key = join(keyDir, 'ssh_key');
    await copyFile(sshd.clientKey, key);
    await chown(key, UID, UID);
    await chmod(key, 0o600);
    const volumes = [`${roots.B!}:/data`, `${key}:/run/secrets/ssh_key:ro`];
    const urlB = h.url(roots.B!);
    const name = `syncplanet-sync-${process.pid}`;
    cleanups.push(() => podman(['rm', '--force', '--ignore', '--time', '0', name]));
    const agent = await runInImage({
      hostNetwork: true,
      name,
      volumes,
      env: {
        SYNCPLANET_TRACKER: t.url,
        SYNCPLANET_TOKEN: tokens.B!,
        SYNCPLANET_SITE: 'B',
        SYNCPLANET_URL: urlB,
        SYNCPLANET_SSH_KEY: '/run/secrets/ssh_key',
        SYNCPLANET_ONCE: '1',
      },
      timeoutMs: 120_000,
    });
    const report = `exit ${agent.status}\nstdout:\n${agent.stdout}\nstderr:\n${agent.stderr}`;
    expect(agent.status, report).toBe(0);
    // Logs: JSON lines only, ending with the --once summary.
    const lines = agent.stdout
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as LogLine);
    expect(lines.length, report).toBeGreaterThan(0);
    const summary = lines.filter((line) => line.msg === 'summary');
    expect(summary, report).toHaveLength(1);
    expect(lines.at(-1)!.msg, report).toBe('summary');
    expect(summary[0]!.received, report).toBeGreaterThanOrEqual(1);
    expect(summary[0]!.errors, report).toBe(0);
    const pulls = lines.filter((line) => line.msg === 'rsync finished');
    expect(pulls, report).toEqual([expect.objectContaining({ direction: 'reception', exitCode: 0 })]);

    // The file at B on the host: same bytes, owned by the container's user.
    const arrived = join(roots.B!, rel);
    expect(await sha256(arrived)).toBe(await sha256(join(roots.A!, rel)));
    expect((await readFile(arrived)).equals(content)).toBe(true);
    for (const path of [arrived, dirname(arrived)]) {
      const owner = await stat(path);
      expect({ path, uid: owner.uid, gid: owner.gid }).toEqual({ path, uid: UID, gid: UID });
    }
    const synced = await until(async () => {
      const n = await node(id);
      return typeof n.synced_B === 'number' && n;
    }, 'synced_B');
    expect(synced.syncError_B).toBeUndefined();
    // B's heartbeats: its version and the url it registered, then its goodbye at the end of --once.
    const siteB = await until(async () => {
      const sites = (await api('GET', 'sites')).json as Record<string, unknown>[];
      return sites.find((s) => s.name === 'B' && s.agentVersion !== undefined && s.url === urlB);
    }, "B's heartbeat in sites");
    expect(siteB).toMatchObject({ agentVersion: packageJson.version, url: urlB, agentStatus: 'off' });
    expect(siteB.lastHeartbeat).toEqual(expect.any(Number));

    // The health check on the same volume: the agent recorded its round in the state dir.
    const health = await runInImage({ args: ['health'], volumes: [`${roots.B!}:/data`] });
    expect(health.status, `${health.stdout}\n${health.stderr}`).toBe(0);
    expect(health.stdout).toMatch(/^healthy/);
    const recorded = JSON.parse(await readFile(join(roots.B!, '.syncplanet/state/health.json'), 'utf8')) as {
      what: string;
    };
    expect(recorded.what).toBe('round');
  });
});
