/**
 * A webhook receiver for tests: a node:http server on 127.0.0.1 that records every POST, checks its
 * Standard Webhooks signature with the hook's secret, and answers as told (a status, or never).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { call } from '../support/tracker.js';

export interface DeliveredEvent {
  id: string;
  op: string;
  _id: string;
  time: number;
  node: Record<string, unknown> | null;
}

export interface Arrival {
  webhookId: string;
  headers: Record<string, string>;
  body: string;
  /** The payload as `Webhook.verify` returned it; undefined when verification failed. */
  event: DeliveredEvent | undefined;
  verifyError?: string;
  /** Order of arrival across all receivers of the test file (a counter, not a clock). */
  seq: number;
  /** Set (from the same counter) when the tracker closed the connection before any answer. */
  abandonedSeq?: number;
}

/** What to answer: an HTTP status, or 'hang' to accept the request and never answer. */
export type Answer = number | 'hang';

let counter = 0;
const WAIT_MS = 20_000;

export class Receiver {
  readonly arrivals: Arrival[] = [];
  /** The secret of the webhook this receiver is subscribed with (set by `subscribe`). */
  secret: string | undefined;

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    private readonly answer: (arrival: Arrival, copies: number) => Answer,
  ) {}

  /** `answer` gets the arrival and how many times its webhook-id has arrived (1 for the first). */
  static async start(answer: (arrival: Arrival, copies: number) => Answer = () => 200): Promise<Receiver> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const receiver = new Receiver(server, `http://127.0.0.1:${port}/hook`, answer);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => receiver.receive(req, res));
    return receiver;
  }

  private receive(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([name, value]) => [name, String(value)]),
      );
      const arrival: Arrival = {
        webhookId: headers['webhook-id'] ?? '',
        headers,
        body,
        event: undefined,
        seq: ++counter,
      };
      try {
        if (this.secret === undefined) throw new Error('no secret yet');
        arrival.event = new Webhook(this.secret).verify(body, headers) as DeliveredEvent;
      } catch (error) {
        arrival.verifyError = (error as Error).message;
      }
      this.arrivals.push(arrival);
      const answer = this.answer(arrival, this.copiesOf(arrival.webhookId));
      if (answer === 'hang') {
        res.on('close', () => {
          if (!res.headersSent) arrival.abandonedSeq = ++counter;
        });
        return;
      }
      res.writeHead(answer, { 'content-type': 'text/plain' }).end('ok');
    });
  }

  copiesOf(webhookId: string): number {
    return this.arrivals.filter((a) => a.webhookId === webhookId).length;
  }

  /** The verified events, in event-id order, as `op _id`. */
  events(): string[] {
    return this.arrivals
      .flatMap((a) => (a.event ? [a.event] : []))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((e) => `${e.op} ${e._id}`);
  }

  describe(): string {
    const list = this.arrivals.map(
      (a) =>
        `#${a.seq} ${a.webhookId} ${a.event ? `${a.event.op} ${a.event._id}` : `unverified (${a.verifyError})`}`,
    );
    return list.length ? list.join('; ') : 'nothing';
  }

  /** Resolves once `predicate` holds; fails after a bounded wait, listing what arrived. */
  async waitFor(predicate: (arrivals: Arrival[]) => boolean, what: string, ms = WAIT_MS): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate(this.arrivals)) {
      if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}; arrived: ${this.describe()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Resolves once an event `op _id` has arrived (verified). */
  waitForEvent(op: string, id: string, ms?: number): Promise<void> {
    return this.waitFor(
      (arrivals) => arrivals.some((a) => a.event?.op === op && a.event._id === id),
      `${op} ${id} at ${this.url}`,
      ms,
    );
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Subscribes `receiver` through the admin API; answers the webhook's id. */
export async function subscribe(
  tracker: { apiUrl: string },
  receiver: Receiver,
  filter: { prefix?: string; query?: string; ops?: string[] } = {},
): Promise<string> {
  const r = await call(tracker, 'POST', 'webhooks', { url: receiver.url, ...filter });
  if (r.status !== 201) throw new Error(`webhook not created: ${r.status} ${r.text}`);
  const hook = r.json as { id: string; secret: string };
  receiver.secret = hook.secret;
  return hook.id;
}
