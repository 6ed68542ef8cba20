/** Running the built damas CLI against a test tracker, and counting the requests it sends. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { buildCli } from '../../client/cli/build.js';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to stdin, which is then closed (stdin is closed and empty otherwise). */
  input?: string;
}

const temporaries: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporaries.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of temporaries.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Bundles the CLI as `npm run build:cli` does, into a fresh folder (test files run in parallel). */
export function buildTestCli(): Promise<string> {
  return buildCli(join(tempDir('damas-cli-'), 'damas'));
}

/**
 * A damas runner with its own HOME and config folder, and none of the caller's DAMAS_* variables.
 * `env` values of undefined remove a variable.
 */
export function cliRunner(cli: string, baseEnv: NodeJS.ProcessEnv) {
  const home = tempDir('damas-home-');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, ...baseEnv };
  return (args: string[], options: RunOptions = {}): Promise<Run> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cli, ...args], {
        cwd: options.cwd ?? home,
        env: Object.fromEntries(
          Object.entries({ ...env, ...options.env }).filter(([, v]) => v !== undefined),
        ),
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(options.input ?? '');
    });
}

/** An HTTP proxy in front of the tracker that records every request (`METHOD /path`). */
export async function countingProxy(target: string) {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const upstream = request(
      new URL(req.url ?? '/', target),
      { method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** A local port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createNetServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const json = (run: Run): unknown => JSON.parse(run.stdout);
