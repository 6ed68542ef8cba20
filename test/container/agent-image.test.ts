/**
 * The site agent's container image (agent/Dockerfile), built with podman on a local Debian base by
 * agent/container/build-image (which runs `npm run build:agent` first; SYNCPLANET_BUNDLE=<file> builds
 * from that file instead). Not part of `npm test`: `npm run test:container` (vitest.container.config.ts).
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

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
  timeoutMs?: number;
}

/**
 * `podman run --rm` of the image in the foreground. `--no-healthcheck`: podman schedules health checks
 * through systemd, absent here, and would log an error on every run (`health` is run directly instead).
 */
function runInImage(o: RunInImage = {}): Promise<Exit> {
  const args = ['run', '--rm', '--no-healthcheck'];
  if (o.hostNetwork) args.push('--network=host');
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
  // Next test, one more `it` here: "one agent inside the container syncs a file from a site outside it".
  // - tracker: startTestTracker() from test/support/tracker.ts (DynamoDB Local comes from the global
  //   setup, which vitest.container.config.ts also runs); the outside site: startSshd() from
  //   test/support/sshd.ts, both on 127.0.0.1, so runInImage({ hostNetwork: true, ... }).
  // - the agent's site dir: a host temp dir chowned to 10001:10001, volumes: [`${dir}:/data`].
  // - the ssh key: volumes: [`${key}:/run/secrets/ssh_key:ro`] with SYNCPLANET_SSH_KEY pointing there;
  //   uid 10001 must be able to read it (chown 10001, mode 600).
  // - env: SYNCPLANET_TRACKER, SYNCPLANET_TOKEN, SYNCPLANET_SITE, SYNCPLANET_URL, SYNCPLANET_ONCE=1, so
  //   the run ends by itself; then assert the file on the host dir and, on the same volume,
  //   runInImage({ args: ['health'], volumes }) exits 0.
});
