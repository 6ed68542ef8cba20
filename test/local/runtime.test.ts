/** `npm start` as a user runs it: ready line, persistence with --data, clean stop, clear failures. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';

const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const data = mkdtempSync(join(tmpdir(), 'tracker-data-'));
afterAll(() => rmSync(data, { recursive: true, force: true }));

interface Run {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

function start(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const child = spawn(TSX, ['local/main.ts', ...args], { env: { ...process.env, ...env } });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

/** Waits for the ready line (bounded by the test timeout) and returns the API URL. */
async function ready(run: Run): Promise<string> {
  for (;;) {
    const match = /ready: (http:\/\/\S+)/.exec(run.output());
    if (match) return match[1]!;
    const exited = await Promise.race([
      run.exit.then(() => true),
      new Promise((r) => setTimeout(r, 100, false)),
    ]);
    if (exited) throw new Error(`exited before ready:\n${run.output()}`);
  }
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('npm start', () => {
  it('serves the API, stops cleanly on SIGTERM, and keeps nodes in --data across restarts', async () => {
    const port = await freePort();
    const first = start(['--port', String(port), '--data', data]);
    const api = await ready(first);
    expect(api).toBe(`http://127.0.0.1:${port}/api/`);
    const created = await fetch(`${api}create`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ _id: '/persist/me', kept: true }),
    });
    expect(created.status).toBe(201);
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);

    const second = start(['--port', String(port), '--data', data]);
    const again = await ready(second);
    const read = await fetch(`${again}read/${encodeURIComponent('/persist/me')}`);
    expect(await read.json()).toMatchObject({ _id: '/persist/me', kept: true });
    second.child.kill('SIGINT');
    expect(await second.exit).toBe(0);
  });

  it('fails with a clear message when the port is busy', async () => {
    const busy: Server = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => busy.once('listening', r));
    const { port } = busy.address() as { port: number };
    const run = start(['--port', String(port), '--in-memory']);
    expect(await run.exit).toBe(1);
    expect(run.output()).toMatch(`port ${port} on 127.0.0.1 is already in use`);
    busy.close();
  });

  it('says in one line what to install when Java is missing', async () => {
    const run = start(['--port', String(await freePort()), '--in-memory'], {
      JAVA_HOME: '/nonexistent-java',
    });
    expect(await run.exit).toBe(1);
    const lines = run.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/needs Java 17 or newer: install/);
  });

  it('refuses open mode off loopback and bad flags, with the usage', async () => {
    const open = start(['--host', '0.0.0.0', '--auth', 'open', '--in-memory']);
    expect(await open.exit).toBe(1);
    expect(open.output()).toMatch(/only allowed on loopback/);
    const bad = start(['--port', 'eighty']);
    expect(await bad.exit).toBe(1);
    expect(bad.output()).toMatch(/usage: npm start/);
  });
});
