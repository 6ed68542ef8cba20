/**
 * End-to-end harness of the agent tests: the local tracker in jwt mode, an sshd on 127.0.0.1, site
 * folders under one temporary directory, and agents run from the real bundle as child processes
 * (each in its own process group, so a test can kill an agent together with its rsync and ssh).
 * AGENT_TEST_LOGS=<dir> keeps each agent's log lines there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { buildAgent } from '../../agent/build.js';
import { addUser } from '../../functions/core/ops/accounts.js';
import type { LocalTracker } from '../../local/runtime.js';
import type { Sshd } from '../support/sshd.js';
import { call } from '../support/tracker.js';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A running (or finished) agent process and its JSON log lines. */
export class AgentRun {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<number | null>;
  private stderr = '';

  constructor(
    readonly child: ChildProcess,
    logFile?: string,
  ) {
    let buffer = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      if (logFile) appendFileSync(logFile, chunk);
      buffer += chunk;
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      for (const part of parts) if (part.trim()) this.lines.push(JSON.parse(part) as LogLine);
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  }

  get errors(): string {
    return this.stderr;
  }

  find(msg: string): LogLine[] {
    return this.lines.filter((line) => line.msg === msg);
  }

  /** SIGTERM, then wait for the exit. */
  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return this.exited;
  }

  /** SIGKILL to the whole process group (agent, rsync, ssh): a crash. */
  async crash(): Promise<void> {
    process.kill(-this.child.pid!, 'SIGKILL');
    await this.exited;
  }
}

export interface SiteSetup {
  name: string;
  root: string;
  token: string;
  /** Outside the root when set (a test that empties the root keeps the index). */
  stateDir?: string;
}

export class AgentHarness {
  bundle = '';
  readonly runs: AgentRun[] = [];

  constructor(
    readonly dir: string,
    readonly sshd: Sshd,
    public tracker: LocalTracker,
  ) {}

  async build(): Promise<void> {
    this.bundle = await buildAgent(join(this.dir, 'syncplanet.js'));
  }

  /** Volume url of a site folder through the test sshd. */
  url(root: string): string {
    return `ssh://${this.sshd.user}@127.0.0.1:${this.sshd.port}${root}/`;
  }

  start(site: SiteSetup, extra: string[] = []): AgentRun {
    const args = [
      this.bundle,
      'agent',
      '--tracker',
      this.tracker.url,
      '--site',
      site.name,
      '--root',
      site.root,
      '--ssh-key',
      this.sshd.clientKey,
      '--poll-interval',
      '5',
      '--lease',
      '10',
      '--log-level',
      'debug',
      ...(site.stateDir ? ['--state-dir', site.stateDir] : []),
      ...extra,
    ];
    const child = spawn(process.execPath, args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SYNCPLANET_TOKEN: site.token },
    });
    const run = new AgentRun(
      child,
      process.env.AGENT_TEST_LOGS
        ? join(process.env.AGENT_TEST_LOGS, `${site.name}-${this.runs.length}.log`)
        : undefined,
    );
    this.runs.push(run);
    return run;
  }

  async stopAll(): Promise<void> {
    await Promise.all(
      this.runs
        .filter((r) => r.child.exitCode === null && r.child.signalCode === null)
        .map((r) => r.crash().catch(() => {})),
    );
  }
}

/** An admin session and one site-scoped token per site (jwt mode). */
export async function seedAccounts(
  t: LocalTracker,
  sites: string[],
): Promise<{ admin: string; tokens: Record<string, string> }> {
  await addUser(t.tracker.store, t.tracker.auth, { username: 'ada', userClass: 'admin', password: 'ada-pw' });
  await addUser(t.tracker.store, t.tracker.auth, {
    username: 'agents',
    userClass: 'user',
    password: 'agents-pw',
  });
  const admin = (
    (await call(t, 'POST', 'signIn', { username: 'ada', password: 'ada-pw' })).json as { token: string }
  ).token;
  const tokens: Record<string, string> = {};
  for (const site of sites) {
    const made = await call(
      t,
      'POST',
      'tokens',
      { name: `agent ${site}`, username: 'agents', site },
      { token: admin },
    );
    expect(made.status, made.text).toBe(201);
    tokens[site] = (made.json as { token: string }).token;
  }
  return { admin, tokens };
}

export const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

export async function makeRoots(dir: string, names: string[]): Promise<Record<string, string>> {
  const roots: Record<string, string> = {};
  for (const name of names) {
    roots[name] = join(dir, name);
    await mkdir(roots[name], { recursive: true });
  }
  return roots;
}
