/**
 * The synthesized bundles are the code that runs: the stack is synthesized (local esbuild bundling),
 * each function's `index.mjs` is taken from its asset and loaded with the environment the stack
 * gives it, pointed at DynamoDB Local. A local host then serves them the way AWS would: the REST
 * bundle behind HTTP, the WebSocket bundle behind `/ws` and the management API, the fan-out bundle
 * on the real nodes stream; the delivery and re-plan bundles are invoked like scheduled Lambdas.
 */
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig, SETTINGS_ENV, tableEnvironment } from '../../functions/config.js';
import { WEBSOCKET_ROUTES } from '../../functions/events/websocket.js';
import { addUser } from '../../functions/core/ops/accounts.js';
import { createDocumentClient } from '../../functions/store/dynamo-client.js';
import { API_TABLES, localTableNames } from '../../functions/store/schema.js';
import { createTracker } from '../../functions/tracker.js';
import { BUNDLE_FILE, PROJECT_ROOT } from '../../infra/bundling/bundle.js';
import { LocalHost } from '../../local/host.js';
import { restMount, type RestHandler } from '../../local/rest-adapter.js';
import { startStreamPoller, type StreamHandler, type StreamPoller } from '../../local/stream-poller.js';
import { ensureTables } from '../../local/tables.js';
import {
  createWebSocketAdapter,
  type WebSocketAdapter,
  type WebSocketHandler,
} from '../../local/websocket-adapter.js';
import { Receiver } from '../events/webhooks-receiver.js';
import { call } from '../support/tracker.js';
import { openSocket } from '../support/ws-client.js';
import { SynthesizedStack } from './stack-fixture.js';

/** Each bundle by the stack property of its function. */
const FUNCTIONS = {
  api: 'apiFunction',
  websocket: 'webSocketFunction',
  fanout: 'fanoutFunction',
  delivery: 'deliveryFunction',
  replan: 'replanFunction',
} as const;
type Name = keyof typeof FUNCTIONS;
type Scheduled = (event: unknown, context: Context) => Promise<Record<string, number>>;

const PREFIX = `bundles${process.pid}`;
/** Inside the repository, so the bundles find the AWS SDK in node_modules as Lambda's runtime provides it. */
const LOADED = join(PROJECT_ROOT, '.cache', 'test-bundles', PREFIX);

let host: LocalHost;
let websocket: WebSocketAdapter;
let poller: StreamPoller;
let tracker: { url: string; apiUrl: string };
let admin: string;
const bundles = {} as Record<Name, Record<string, unknown>>;
const context = (ms = 60_000) => ({ getRemainingTimeInMillis: () => ms }) as unknown as Context;

/** Synthesizes the stack and copies each function's bundle out of its asset folder. */
function synthesizeBundles(): Record<Name, string> {
  const synthesized = new SynthesizedStack({ bundling: true, id: 'Bundles' });
  const files = {} as Record<Name, string>;
  const assets = new Set<string>();
  for (const [name, property] of Object.entries(FUNCTIONS) as [Name, (typeof FUNCTIONS)[Name]][]) {
    const folder = synthesized.codeFolder(property);
    expect(existsSync(join(folder, BUNDLE_FILE)), property).toBe(true);
    assets.add(folder);
    const target = join(LOADED, name);
    mkdirSync(target, { recursive: true });
    for (const file of [BUNDLE_FILE, `${BUNDLE_FILE}.map`])
      copyFileSync(join(folder, file), join(target, file));
    files[name] = join(target, BUNDLE_FILE);
  }
  rmSync(synthesized.outdir, { recursive: true, force: true });
  // CDK caches bundling by its options: each function must still get its own code.
  expect(assets.size).toBe(Object.keys(FUNCTIONS).length);
  return files;
}

beforeAll(async () => {
  const files = synthesizeBundles();
  const endpoint = inject('dynamodbEndpoint');
  const db = createDocumentClient(endpoint);
  const tables = localTableNames(PREFIX);
  await ensureTables(db, tables);
  host = new LocalHost({ held: true });
  const url = await host.listen('127.0.0.1', 0);
  tracker = { url, apiUrl: `${url}/api/` };
  // What the stack sets on the functions, pointed at DynamoDB Local and this host.
  Object.assign(process.env, tableEnvironment(tables), {
    [SETTINGS_ENV.dynamodbEndpoint]: endpoint,
    [SETTINGS_ENV.authMode]: 'jwt',
    [SETTINGS_ENV.websocketEndpoint]: url,
    [SETTINGS_ENV.webhookAllow]: 'loopback',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
  for (const [name, file] of Object.entries(files) as [Name, string][]) {
    bundles[name] = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  }
  websocket = createWebSocketAdapter({
    handler: bundles.websocket.handler as WebSocketHandler,
    routes: WEBSOCKET_ROUTES,
  });
  poller = startStreamPoller({
    endpoint,
    table: tables.nodes,
    handler: bundles.fanout.handler as StreamHandler,
  });
  host
    .mount('/api', restMount(bundles.api.handler as RestHandler))
    .mountUpgrade('/ws', websocket.upgrade)
    .mount('/@connections', websocket.management)
    .run(poller)
    .ready();
  const source = createTracker(loadConfig(API_TABLES), db); // the source tree, to seed the admin
  await addUser(source.store, source.auth, { username: 'ada', userClass: 'admin', password: 'ada-pw' });
  const signIn = await call(tracker, 'POST', 'signIn', { username: 'ada', password: 'ada-pw' });
  expect(signIn.status, signIn.text).toBe(200);
  admin = (signIn.json as { token: string }).token;
}, 180_000);

afterAll(async () => {
  await websocket?.close();
  await host?.close();
  rmSync(LOADED, { recursive: true, force: true });
});

const api = (method: string, path: string, body?: unknown) =>
  call(tracker, method, path, body, { token: admin });

describe('the synthesized bundles', () => {
  it('REST: serves damas requests in jwt mode (sign-in above, publish, read, search, 401 without a token)', async () => {
    expect(
      (await api('POST', 'publish', { _id: '/b/one.txt', origin: 'A', comment: 'from the bundle' })).status,
    ).toBe(201);
    expect((await api('GET', `read/${encodeURIComponent('/b/one.txt')}`)).json).toMatchObject({
      origin: 'A',
    });
    expect((await api('GET', `search/${encodeURIComponent('_id:/^\\/b\\//')}`)).json).toEqual(['/b/one.txt']);
    const mongo = await api('POST', 'search_mongo', { query: { origin: 'A' } });
    expect(mongo.status, mongo.text).toBe(200); // mingo, from its ES module build
    expect((await call(tracker, 'POST', 'create', { _id: 'x' })).status).toBe(401);
    const bad = await api('POST', 'heartbeat', { site: 'bad site' });
    expect(bad.status).toBe(400); // zod, with its English-only locale
    expect(bad.text).toContain('must be a site name');
  });

  it('WebSocket + fan-out: a subscriber gets the change the fan-out bundle read from the stream', async () => {
    const socket = await openSocket(tracker.url, admin);
    socket.send({ action: 'subscribe', prefix: '/ws/' });
    await socket.until((frames) => frames.some((f) => f.type === 'subscribed'), 'subscribed');
    await api('POST', 'publish', { _id: '/ws/two.txt', origin: 'A', comment: 'pushed' });
    await socket.until(
      (frames) => frames.some((f) => f.type === 'event' && f._id === '/ws/two.txt'),
      'the event',
    );
    socket.send({ action: 'ping' });
    await socket.until((frames) => frames.some((f) => f.type === 'pong'), 'pong');
    await socket.close();
  });

  it('webhook delivery: the scheduled bundle sends the signed POST the fan-out bundle queued', async () => {
    const receiver = await Receiver.start();
    try {
      const made = await api('POST', 'webhooks', { url: receiver.url, prefix: '/hook/' });
      expect(made.status, made.text).toBe(201);
      receiver.secret = (made.json as { secret: string }).secret;
      await api('POST', 'publish', { _id: '/hook/three.txt', origin: 'A', comment: 'delivered' });
      const deliver = bundles.delivery.handler as Scheduled;
      const deadline = Date.now() + 20_000;
      while (!receiver.arrivals.some((a) => a.event?._id === '/hook/three.txt')) {
        if (Date.now() > deadline) throw new Error('no delivery');
        await deliver({ source: 'aws.events' }, context());
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const arrival = receiver.arrivals.find((a) => a.event?._id === '/hook/three.txt')!;
      expect(arrival.verifyError).toBeUndefined();
    } finally {
      await receiver.close();
    }
  });

  it('re-planning: the scheduled bundle finishes a task started through the REST bundle', async () => {
    const started = await api('POST', 'tasks');
    expect(started.status, started.text).toBe(202);
    const { id } = started.json as { id: string };
    const { pages } = await (bundles.replan.handler as Scheduled)({ source: 'aws.events' }, context(120_000));
    expect(pages).toBeGreaterThan(0);
    const tasks = (await api('GET', 'tasks')).json as { id: string; done: boolean }[];
    expect(tasks.find((task) => task.id === id)?.done).toBe(true);
  });
});
