/** signin, signout, the kept token and API tokens, against a jwt-mode tracker. */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser } from '../../functions/core/ops/accounts.js';
import type { LocalTracker } from '../../local/runtime.js';
import { startTestTracker } from '../support/tracker.js';
import {
  buildTestCli,
  cliRunner,
  json,
  removeTempDirs,
  tempDir,
  type Run,
  type RunOptions,
} from './helpers.js';

let tracker: LocalTracker;
let config: string;
let damas: (args: string[], options?: RunOptions) => Promise<Run>;

beforeAll(async () => {
  const [cli, started] = await Promise.all([buildTestCli(), startTestTracker({ auth: 'jwt' })]);
  tracker = started;
  const { store, auth } = tracker.tracker;
  await addUser(store, auth, { username: 'alice', userClass: 'editor', password: 'alice-secret' });
  await addUser(store, auth, { username: 'root', userClass: 'admin', password: 'root-secret' });
  config = tempDir('damas-xdg-');
  damas = cliRunner(cli, { DAMAS_SERVER: tracker.url, XDG_CONFIG_HOME: config });
});
afterAll(async () => {
  await tracker?.close();
  removeTempDirs();
});

const tokenFile = () => join(config, 'damas', 'tokens.json');
const savedTokens = () => JSON.parse(readFileSync(tokenFile(), 'utf8')) as Record<string, { token: string }>;

describe('signin and signout', () => {
  it('without a token, calls are refused with 41', async () => {
    const run = await damas(['create', '{"_id":"/auth/a"}']);
    expect(run.code).toBe(41);
    expect(run.stderr).toMatch(/^damas: Create error: .*\(401\)\n$/);
  });

  it('a wrong password exits 41 and keeps nothing', async () => {
    expect((await damas(['signin', 'alice', 'wrong'])).code).toBe(41);
    expect(() => statSync(tokenFile())).toThrow();
  });

  it('signin prints the token and keeps it for the server, readable by the owner only', async () => {
    const run = await damas(['signin', 'alice', 'alice-secret']);
    expect(run.code).toBe(0);
    const token = run.stdout.trim();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(savedTokens()).toEqual({
      [`${tracker.url}/api/`]: expect.objectContaining({ token, username: 'alice' }),
    });
    expect(statSync(tokenFile()).mode & 0o777).toBe(0o600);
    expect(statSync(join(config, 'damas')).mode & 0o777).toBe(0o700);
    const created = await damas(['create', '{"_id":"/auth/a"}']);
    expect(created.code).toBe(0);
    expect(json(created)).toMatchObject({ author: 'alice' });
  });

  it('prompts for what is missing, reading stdin when it is not a terminal', async () => {
    const run = await damas(['signin'], { input: 'root\nroot-secret\n' });
    expect(run.code).toBe(0);
    const create = await damas(['create', '{"_id":"/auth/by-root"}']);
    expect(json(create)).toMatchObject({ author: 'root' });
  });

  it('DAMAS_TOKEN wins over the kept token', async () => {
    const run = await damas(['create', '{"_id":"/auth/env"}'], { env: { DAMAS_TOKEN: 'not-a-token' } });
    expect(run.code).toBe(41);
  });

  it('signout forgets the token of this server only', async () => {
    const other = 'http://127.0.0.1:9/api/';
    await damas(['-s', other, 'signout']);
    expect(Object.keys(savedTokens())).toEqual([`${tracker.url}/api/`]);
    expect(await damas(['signout'])).toMatchObject({ code: 0, stdout: '' });
    expect(savedTokens()).toEqual({});
    expect((await damas(['create', '{"_id":"/auth/b"}'])).code).toBe(41);
    expect((await damas(['signout'])).stderr).toMatch(/no token was kept/);
  });
});

describe('API tokens', () => {
  it('token create, list and revoke', async () => {
    await damas(['signin', 'root', 'root-secret']);
    const created = await damas(['token', 'create', 'agent paris', '--user', 'alice']);
    expect(created.code).toBe(0);
    const record = json(created) as { id: string; token: string };
    expect(record).toMatchObject({ username: 'alice', name: 'agent paris' });
    const used = await damas(['create', '{"_id":"/auth/by-token"}'], { env: { DAMAS_TOKEN: record.token } });
    expect(json(used)).toMatchObject({ author: 'alice' });
    const list = await damas(['-l', 'token', 'list']);
    expect(list.stdout).toContain(`"id":"${record.id}"`);
    expect(list.stdout).not.toContain(record.token);
    expect(json(await damas(['token', 'revoke', record.id]))).toBe(record.id);
    expect((await damas(['token', 'revoke', record.id])).code).toBe(44);
    expect((await damas(['read', '"/auth/a"'], { env: { DAMAS_TOKEN: record.token } })).code).toBe(41);
  });

  it('token without a subcommand is a usage error', async () => {
    const run = await damas(['token']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('damas: missing command\nusage: damas token [options] [command]\n');
  });
});
