/** A raw WebSocket client for protocol tests: records every frame and waits (bounded) for some. */
import WebSocket from 'ws';

export interface Frame {
  type: string;
  id?: string;
  op?: string;
  _id?: string;
  code?: string;
  message?: string;
  node?: Record<string, unknown> | null;
  truncated?: boolean;
}

export interface TestSocket {
  frames: Frame[];
  events(): Frame[];
  send(frame: unknown): void;
  sendRaw(data: string | Buffer): void;
  /** Resolves when `predicate` holds for the frames received so far (checked on every frame). */
  until(predicate: (frames: Frame[]) => boolean, what: string): Promise<void>;
  close(): Promise<void>;
  readonly closed: boolean;
}

const WAIT_MS = 20_000;

/** Opens `ws://…/ws` (with `?token=` when given); rejects with the HTTP status when refused. */
export async function openSocket(baseUrl: string, token?: string): Promise<TestSocket> {
  const url = `${baseUrl.replace(/^http/, 'ws')}/ws${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}`;
  const socket = new WebSocket(url);
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  let closed = false;
  socket.on('message', (data) => {
    frames.push(JSON.parse(String(data)) as Frame);
    for (const check of waiters) check();
  });
  socket.on('close', () => {
    closed = true;
    for (const check of waiters) check();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
    socket.once('error', reject);
  });
  return {
    frames,
    events: () => frames.filter((f) => f.type === 'event'),
    send: (frame) => socket.send(JSON.stringify(frame)),
    sendRaw: (data) => socket.send(data),
    until: (predicate, what) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(frames)}`));
        }, WAIT_MS);
        const check = () => {
          if (!predicate(frames)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
    close: async () => {
      if (closed) return;
      socket.close();
      await new Promise((resolve) => socket.once('close', resolve));
    },
    get closed() {
      return closed;
    },
  };
}
