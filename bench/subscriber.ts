/** A benchmark WebSocket subscriber (the `ws` package) on a local host's /ws: connect, subscribe, count events. */
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { now } from './measure.js';

/** Longest wait for a connection, a `subscribed` answer or a clean close. */
const TIMEOUT_MS = 10_000;

export interface Subscriber {
  /** Event frames received since `subscribed`. */
  readonly events: number;
  /** Resolves once `done()` holds (checked now and after each event frame); rejects after `timeoutMs`. */
  until(done: () => boolean, timeoutMs: number, what: string): Promise<void>;
  /** Resolves once `count` event frames have arrived in all; rejects after `timeoutMs`. */
  received(count: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Connects to `<baseUrl>/ws` (open mode: no token), sends `{"action":"subscribe","prefix":…}` and
 * resolves on `{"type":"subscribed"}`. Every later frame counts as an event and goes to `onFrame`
 * with the time it arrived (`now()`).
 */
export async function subscribe(
  baseUrl: string,
  prefix: string,
  onFrame?: (text: string, at: number) => void,
): Promise<Subscriber> {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`);
  let answered: ((text: string) => void) | undefined;
  let events = 0;
  let waiter: { done: () => boolean; resolve: () => void } | undefined;
  // One handler from the start: the first frame answers the subscribe, every later one is an event.
  socket.on('message', (data: Buffer) => {
    const at = now();
    const answer = answered;
    answered = undefined;
    if (answer) return answer(data.toString('utf8'));
    events++;
    onFrame?.(data.toString('utf8'), at);
    if (waiter?.done()) waiter.resolve();
  });
  socket.on('error', () => undefined); // a failure shows as a timeout below or as missing events
  try {
    await once(socket, 'open', { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const text = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer to subscribe in ${TIMEOUT_MS} ms`)),
        TIMEOUT_MS,
      );
      answered = (frame) => {
        clearTimeout(timer);
        resolve(frame);
      };
      socket.send(JSON.stringify({ action: 'subscribe', prefix }));
    });
    if ((JSON.parse(text) as { type?: string }).type !== 'subscribed')
      throw new Error(`subscribe to ${prefix} answered ${text.slice(0, 200)}`);
  } catch (error) {
    socket.terminate();
    throw error;
  }

  const until = (done: () => boolean, timeoutMs: number, what: string) => {
    if (done()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiter = undefined;
        reject(new Error(`no ${what} on ${prefix} after ${timeoutMs} ms (${events} event frames)`));
      }, timeoutMs);
      waiter = {
        done,
        resolve: () => {
          clearTimeout(timer);
          waiter = undefined;
          resolve();
        },
      };
    });
  };

  return {
    get events() {
      return events;
    },
    until,
    received: (count, timeoutMs) => until(() => events >= count, timeoutMs, `${count} event frames`),
    async close() {
      if (socket.readyState === WebSocket.CLOSED) return;
      const closed = once(socket, 'close');
      const timer = setTimeout(() => socket.terminate(), TIMEOUT_MS);
      socket.close(1000);
      await closed;
      clearTimeout(timer);
    },
  };
}
