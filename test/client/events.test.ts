/** The events client against a fake /ws server: replay, filters, pings, reconnection, de-duplication, errors. */
import { afterEach, describe, expect, it } from 'vitest';
import { TrackerClient } from '../../client/api-client.js';
import { UnreachableError } from '../../client/errors.js';
import {
  eventsUrl,
  GoneError,
  subscribe,
  type EventFrame,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionStatus,
} from '../../client/events.js';
import { TrackerError } from '../../functions/core/errors.js';
import { closedPort } from '../cli/helpers.js';
import {
  fakeEvent,
  startFakeEventsServer,
  until,
  type FakeEventsOptions,
  type FakeEventsServer,
} from '../support/fake-events-server.js';

const servers: FakeEventsServer[] = [];
const subscriptions: Subscription[] = [];

afterEach(async () => {
  for (const subscription of subscriptions.splice(0)) subscription.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function fake(options: FakeEventsOptions = {}): Promise<FakeEventsServer> {
  const server = await startFakeEventsServer(options);
  servers.push(server);
  return server;
}

/** Iterates in the background: the events so far, and how the loop ended. */
function consume(options: SubscribeOptions) {
  const subscription = subscribe({ reconnect: { initialMs: 10, maxMs: 50 }, ...options });
  subscriptions.push(subscription);
  const events: EventFrame[] = [];
  const ended = (async () => {
    for await (const event of subscription) events.push(event);
  })();
  ended.catch(() => {}); // inspected by the tests that expect a failure
  return { subscription, events, ended, ids: () => events.map((e) => e.id) };
}

const ids = (...ns: number[]) => ns.map((n) => fakeEvent(n).id);

describe('eventsUrl', () => {
  it('is /ws on the API host: ws:// for http, wss:// for https, the token URL-encoded', () => {
    expect(eventsUrl('localhost:8090')).toBe('ws://localhost:8090/ws');
    expect(eventsUrl('http://tracker:8090/api/')).toBe('ws://tracker:8090/ws');
    expect(eventsUrl('https://tracker.example.com', 'a b/+=&')).toBe(
      'wss://tracker.example.com/ws?token=a%20b%2F%2B%3D%26',
    );
  });

  it('is the explicit URL as given (the cloud WebSocket API on a host of its own), with the token', () => {
    const explicit = 'wss://abc123.execute-api.eu-west-1.amazonaws.com/prod';
    expect(eventsUrl('https://tracker.example.com', undefined, explicit)).toBe(explicit);
    expect(eventsUrl('https://tracker.example.com', 'a b', explicit)).toBe(`${explicit}?token=a%20b`);
  });
});

describe('subscribe', () => {
  it('yields live events in the order received, then lastId is the last one', async () => {
    const server = await fake();
    const run = consume({ server: server.url });
    await until(() => server.subscribes.length === 1, 'the subscribe frame');
    expect(server.subscribes[0]).toEqual({ action: 'subscribe' });
    server.emit(fakeEvent(3), fakeEvent(1), fakeEvent(2));
    await until(() => run.events.length >= 3, 'three events');
    expect(run.events).toEqual([fakeEvent(3), fakeEvent(1), fakeEvent(2)]);
    expect(run.subscription.lastId).toBe(fakeEvent(2).id);
  });

  it('sends the filter and since (with the token) and yields the replay after since', async () => {
    const token = 'tök en/+=';
    const log = [1, 2, 3, 4].map((n) => fakeEvent(n, n === 3 ? '/assets/a' : `/shots/s${n}`, 'create'));
    const server = await fake({ log, token });
    const filter = { prefix: '/shots/', query: 'kind:plate', ops: ['create' as const], since: log[0]!.id };
    const run = consume({ server: server.url, token, ...filter });
    await until(() => run.events.length >= 2, 'the replay');
    expect(server.subscribes).toEqual([{ action: 'subscribe', ...filter }]);
    expect(run.ids()).toEqual([log[1]!.id, log[3]!.id]);
  });

  it('TrackerClient.subscribe uses the client server and token', async () => {
    const server = await fake({ token: 't1', log: [fakeEvent(1), fakeEvent(2)] });
    const client = new TrackerClient({ server: server.url, token: 't1' });
    const subscription = client.subscribe({ prefix: '/shots/', since: fakeEvent(1).id });
    subscriptions.push(subscription);
    for await (const event of subscription) {
      expect(event).toEqual(fakeEvent(2));
      break;
    }
    expect(server.subscribes).toEqual([{ action: 'subscribe', prefix: '/shots/', since: fakeEvent(1).id }]);
    await until(() => server.open === 0, 'break to close the connection');
  });

  it('pings every pingMs', async () => {
    const server = await fake();
    consume({ server: server.url, pingMs: 20 });
    await until(() => server.pings >= 3, 'three pings');
    expect(server.connections).toBe(1);
  });

  it('replaces a connection that stops answering pings', async () => {
    const server = await fake();
    const reasons: string[] = [];
    consume({
      server: server.url,
      pingMs: 20,
      onStatus: (status, detail) => {
        if (status === 'reconnecting') reasons.push(detail.reason!);
      },
    });
    await until(() => server.pings >= 1, 'a ping');
    server.mute = true;
    await until(() => server.connections >= 2, 'a new connection');
    expect(reasons[0]).toMatch(/no answer to ping/);
  });

  it.each([
    ['cut abruptly', undefined],
    ['closed by the server (the 2-hour cut)', 1001],
  ])(
    'reconnects after the connection is %s, resuming after the last id without duplicates',
    async (_how, code) => {
      const server = await fake({ overlap: 2 }); // every replay repeats the 2 events before since
      const statuses: SubscriptionStatus[] = [];
      const run = consume({ server: server.url, onStatus: (status) => statuses.push(status) });
      await until(() => server.subscribes.length === 1, 'the first subscription');
      server.emit(fakeEvent(1), fakeEvent(2));
      await until(() => run.events.length >= 2, 'the live events');
      server.drop(code);
      server.emit(fakeEvent(3), fakeEvent(4)); // logged while the client is away
      await until(() => run.events.length >= 4, 'the missed events');
      server.emit(fakeEvent(5));
      await until(() => run.events.length >= 5, 'live events again');
      expect(run.ids()).toEqual(ids(1, 2, 3, 4, 5));
      expect(server.subscribes.map((s) => s.since)).toEqual([undefined, fakeEvent(2).id]);
      expect(server.connections).toBe(2);
      expect(statuses).toEqual(['connecting', 'subscribed', 'reconnecting', 'connecting', 'subscribed']);
    },
  );

  it.each([
    ['a transient error frame', { type: 'error', code: 'unavailable', message: 'throttled' }],
    ["API Gateway's answer to a failed handler", { message: 'Internal server error', connectionId: 'c' }],
  ])('%s makes it reconnect, keeping its place', async (_what, frame) => {
    const server = await fake({ log: [fakeEvent(1), fakeEvent(2)], overlap: 5 });
    const run = consume({ server: server.url, since: fakeEvent(1).id });
    await until(() => run.events.length >= 1, 'the replay');
    server.sendRaw(frame);
    await until(() => server.subscribes.length === 2, 'a new subscription');
    server.emit(fakeEvent(3));
    await until(() => run.events.length >= 2, 'the next event');
    expect(run.ids()).toEqual(ids(2, 3)); // 1 (the initial since) and 2 are not yielded again
    expect(server.subscribes[1]!.since).toBe(fakeEvent(2).id);
  });

  it('gone: the iteration throws a GoneError naming since', async () => {
    const server = await fake({ oldest: fakeEvent(10).id });
    const run = consume({ server: server.url, since: fakeEvent(1).id });
    const error = await run.ended.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(GoneError);
    expect(error).toMatchObject({ code: 'gone', since: fakeEvent(1).id, message: /resynchronise/ });
    expect(server.connections).toBe(1);
  });

  it('a refused token (HTTP 401 on connect) throws unauthorized, without retrying', async () => {
    const server = await fake({ token: 'good' });
    const run = consume({ server: server.url, token: 'bad' });
    await expect(run.ended).rejects.toSatisfy(
      (error) => error instanceof TrackerError && error.code === 'unauthorized' && error.exitCode === 41,
    );
    expect(server.refusals).toBe(1);
  });

  it.each([
    ['unauthorized', 'unauthorized'],
    ['bad_request', 'badRequest'],
  ])('an error frame %s ends the iteration with TrackerError %s', async (frame, code) => {
    const server = await fake();
    const run = consume({ server: server.url });
    await until(() => server.subscribes.length === 1, 'the subscription');
    server.error(frame, 'no');
    await expect(run.ended).rejects.toSatisfy(
      (error) => error instanceof TrackerError && error.code === code && error.message === 'no',
    );
    await until(() => server.open === 0, 'the connection to be closed');
  });

  it('a server unreachable at the first connect throws UnreachableError', async () => {
    const run = consume({ server: `http://127.0.0.1:${await closedPort()}` });
    await expect(run.ended).rejects.toBeInstanceOf(UnreachableError);
  });

  it('connects to eventsUrl when given (token included), not to the API host; unreachable names it', async () => {
    const server = await fake({ token: 'tok' });
    const api = `http://127.0.0.1:${await closedPort()}`;
    const run = consume({ server: api, token: 'tok', eventsUrl: `${server.url.replace('http:', 'ws:')}/ws` });
    await until(() => server.subscribes.length === 1, 'the subscribe frame');
    server.emit(fakeEvent(1));
    await until(() => run.events.length === 1, 'the event');

    const elsewhere = `ws://127.0.0.1:${await closedPort()}/ws`;
    const lost = consume({ server: server.url, eventsUrl: elsewhere });
    await expect(lost.ended).rejects.toSatisfy(
      (error) => error instanceof UnreachableError && error.url === elsewhere,
    );
  });

  it('close() ends the loop cleanly, also while it waits, and closes the connection', async () => {
    const server = await fake();
    const run = consume({ server: server.url });
    await until(() => server.subscribes.length === 1, 'the subscription');
    server.emit(fakeEvent(1));
    await until(() => run.events.length >= 1, 'an event');
    run.subscription.close();
    await run.ended; // resolves: no error
    await until(() => server.open === 0, 'the connection to be closed');
    server.emit(fakeEvent(2));
    expect(run.ids()).toEqual(ids(1));
  });
});
