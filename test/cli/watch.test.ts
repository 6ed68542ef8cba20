/** `damas watch` (the built CLI) against a fake /ws server: JSON lines, resuming, signals, exit codes. */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  fakeEvent,
  startFakeEventsServer,
  until,
  type FakeEventsOptions,
  type FakeEventsServer,
} from '../support/fake-events-server.js';
import { buildTestCli, closedPort, cliRunner, removeTempDirs, tempDir, type Run } from './helpers.js';

let cli: string;
const servers: FakeEventsServer[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  cli = await buildTestCli();
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
afterAll(() => removeTempDirs());

async function fake(options: FakeEventsOptions = {}): Promise<FakeEventsServer> {
  const server = await startFakeEventsServer(options);
  servers.push(server);
  return server;
}

/** A running `damas watch`: its output so far, signals, and its exit. */
function watch(server: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: tempDir('damas-watch-'),
    env: { PATH: process.env.PATH, HOME: tempDir('damas-home-'), DAMAS_SERVER: server, ...env },
  });
  children.push(child);
  const run: Run = { code: null, stdout: '', stderr: '' };
  child.stdout.on('data', (d) => (run.stdout += d));
  child.stderr.on('data', (d) => (run.stderr += d));
  const exited = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ ...run, code })));
  return {
    lines: () => run.stdout.split('\n').filter((line) => line !== ''),
    stop: (signal: NodeJS.Signals) => (child.kill(signal), exited),
    exited,
  };
}

/** What damas watch prints for an event: the frame without `type`. */
const line = (n: number) => {
  const { type: _type, ...rest } = fakeEvent(n);
  return JSON.stringify(rest);
};

describe('damas watch', () => {
  it('prints events as JSON lines, sends the filter, and exits 0 on SIGTERM', async () => {
    const server = await fake({ log: [fakeEvent(1), fakeEvent(2)] });
    const since = fakeEvent(1).id;
    const run = watch(server.url, [
      'watch',
      '/shots/',
      '--query',
      'kind:plate',
      '--ops',
      'create,update',
      '--since',
      since,
    ]);
    await until(() => run.lines().length >= 1, 'the replayed event');
    server.emit(fakeEvent(3), fakeEvent(4, '/assets/a'));
    server.emit(fakeEvent(5, '/shots/d', 'delete'), fakeEvent(6));
    await until(() => run.lines().length >= 3, 'the live events');
    expect(await run.stop('SIGTERM')).toMatchObject({ code: 0, stderr: '' });
    expect(run.lines()).toEqual([line(2), line(3), line(6)]);
    expect(server.subscribes).toEqual([
      { action: 'subscribe', prefix: '/shots/', query: 'kind:plate', ops: ['create', 'update'], since },
    ]);
  });

  it('resumes after a dropped connection without printing an event twice; SIGINT exits 0', async () => {
    const server = await fake({ overlap: 3 });
    const run = watch(server.url, ['watch']);
    await until(() => server.subscribes.length === 1, 'the subscription');
    server.emit(fakeEvent(1), fakeEvent(2));
    await until(() => run.lines().length >= 2, 'the live events');
    server.drop();
    server.emit(fakeEvent(3)); // logged while it is away
    await until(() => run.lines().length >= 3, 'the missed event');
    server.emit(fakeEvent(4));
    await until(() => run.lines().length >= 4, 'live events again');
    const exit = await run.stop('SIGINT');
    expect(exit.code).toBe(0);
    expect(exit.stderr).toMatch(/^damas: connection lost .*; reconnecting in \d+ ms\n$/);
    expect(run.lines()).toEqual([1, 2, 3, 4].map(line));
    expect(server.subscribes[1]!.since).toBe(fakeEvent(2).id);
  });

  it('-q prints nothing (not even notes) but still runs', async () => {
    const server = await fake();
    const run = watch(server.url, ['-q', 'watch']);
    await until(() => server.subscribes.length === 1, 'the subscription');
    server.emit(fakeEvent(1));
    server.drop(); // the resubscription shows the event was received
    await until(() => server.subscribes.length === 2, 'the resubscription');
    expect(server.subscribes[1]!.since).toBe(fakeEvent(1).id);
    expect(await run.stop('SIGTERM')).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('exits 60 when --since is older than the event log keeps, saying to resynchronise', async () => {
    const server = await fake({ oldest: fakeEvent(10).id });
    const exit = await watch(server.url, ['watch', '--since', fakeEvent(1).id]).exited;
    expect(exit).toMatchObject({ code: 60, stdout: '' });
    expect(exit.stderr).toMatch(/^damas: event \S+ is older than the event log's retention.*resynchronise/);
  });

  it('exits 41 when the server refuses the token, 3 when it is unreachable', async () => {
    const server = await fake({ token: 'good' });
    const refused = await watch(server.url, ['watch'], { DAMAS_TOKEN: 'bad' }).exited;
    expect(refused).toMatchObject({ code: 41, stdout: '' });
    expect(refused.stderr).toMatch(/refused.*401/);
    const port = await closedPort();
    const unreachable = await watch(`http://127.0.0.1:${port}`, ['watch']).exited;
    expect(unreachable).toMatchObject({ code: 3, stdout: '' });
    expect(unreachable.stderr).toMatch(/unreachable/);
  });

  it('refuses a bad --since or --ops before connecting (exit 1)', async () => {
    const server = await fake();
    const damas = cliRunner(cli, { DAMAS_SERVER: server.url });
    expect(await damas(['watch', '--since', '12'])).toMatchObject({ code: 1, stderr: /not an event id/ });
    expect(await damas(['watch', '--ops', 'create,move'])).toMatchObject({ code: 1, stderr: /'move'/ });
    expect(server.connections).toBe(0);
  });
});
