/** `npm run admin` as a user runs it against a jwt-mode tracker: first admin, API tokens. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { LocalTracker } from '../../local/runtime.js';
import { call, startTestTracker } from '../support/tracker.js';

const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const PREFIX = `admin${process.pid}`;
let t: LocalTracker;

function admin(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(TSX, ['local/admin.ts', '--table-prefix', PREFIX, ...args], {
    env: { ...process.env, DYNAMODB_ENDPOINT: inject('dynamodbEndpoint') },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(stdin);
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

beforeAll(async () => {
  t = await startTestTracker({ auth: 'jwt', tablePrefix: PREFIX });
});
afterAll(() => t?.close());

describe('admin command', () => {
  it('creates the first admin from a piped password, who can then sign in', async () => {
    const made = await admin(['user', 'add', 'root', '--class', 'admin'], 'first-pw\n');
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/created @root \(admin\)/);
    const signed = await call(t, 'POST', 'signIn', { username: 'root', password: 'first-pw' });
    expect(signed.status).toBe(200);
    expect((await admin(['user', 'add', 'root'], 'again\n')).code).toBe(49); // conflict
  });

  it('creates, lists and revokes API tokens', async () => {
    const made = await admin(['token', 'create', 'root', '--name', 'agent']);
    expect(made.code).toBe(0);
    const token = made.stdout.trim();
    expect((await call(t, 'GET', 'verify', undefined, { token })).json).toMatchObject({ _id: '@root' });
    const id = token.split('_')[1]!;
    expect((await admin(['token', 'list'])).stdout).toContain(`${id}  @root`);
    expect((await admin(['token', 'revoke', id])).code).toBe(0);
    expect((await call(t, 'GET', 'verify', undefined, { token })).status).toBe(401);
  });

  it('refuses an unknown user or an empty password, with the exit codes of the error table', async () => {
    const unknown = await admin(['token', 'create', 'nobody']);
    expect(unknown.stderr).toMatch(/user @nobody does not exist/);
    expect(unknown.code).toBe(44);
    expect((await admin(['token', 'revoke', '0123456789ab'])).code).toBe(44);
    expect((await admin(['user', 'add', 'empty'], '')).code).toBe(1);
    expect((await admin(['user', 'add', 'bad name'], 'pw\n')).code).toBe(40);
  });
});
