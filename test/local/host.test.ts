/** The local host: path mounts, upgrade mounts, workers, and the answers for what is not mounted. */
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalHost } from '../../local/host.js';

let host: LocalHost | undefined;
afterEach(() => host?.close());

async function started(setup: (h: LocalHost) => LocalHost): Promise<string> {
  host = setup(new LocalHost());
  return host.listen('127.0.0.1', 0);
}

/** Sends raw request bytes and answers the first response line. */
async function rawStatusLine(url: string, request: string): Promise<string> {
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1');
  await once(socket, 'connect');
  socket.write(request);
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  socket.destroy();
  return chunk.toString('latin1').split('\r\n')[0]!;
}

describe('LocalHost', () => {
  it('answers 503 with Retry-After while held (port bound, tables not ready), then serves', async () => {
    host = new LocalHost({ held: true })
      .mount('/api', async (_req, res) => void res.end('served'))
      .mountUpgrade('/ws', (_req, socket) => void socket.end('HTTP/1.1 101 Switching Protocols\r\n\r\n'));
    const url = await host.listen('127.0.0.1', 0);
    const upgrade = 'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n';
    expect(await rawStatusLine(url, upgrade)).toBe('HTTP/1.1 503 Service Unavailable');
    const early = await fetch(`${url}/api/read/x`);
    expect(early.status).toBe(503);
    expect(early.headers.get('retry-after')).toBe('1');
    host.ready();
    expect(await (await fetch(`${url}/api/read/x`)).text()).toBe('served');
  });

  it('hands each request to the mount with the longest matching prefix', async () => {
    const url = await started((h) =>
      h
        .mount('/', async (_req, res) => void res.end('static'))
        .mount('/api', async (_req, res, u) => void res.end(`api ${u.pathname}`))
        .mount('/api/admin/', async (_req, res) => void res.end('admin')),
    );
    expect(await (await fetch(`${url}/api`)).text()).toBe('api /api');
    expect(await (await fetch(`${url}/api/read/x`)).text()).toBe('api /api/read/x');
    expect(await (await fetch(`${url}/api/admin/users`)).text()).toBe('admin');
    expect(await (await fetch(`${url}/apix`)).text()).toBe('static');
    expect(await (await fetch(`${url}/index.html`)).text()).toBe('static');
  });

  it('answers a damas 404 outside the mounts and a 400 for a malformed target', async () => {
    const url = await started((h) => h.mount('/api', async (_req, res) => void res.end('api')));
    const outside = await fetch(`${url}/elsewhere`);
    expect(outside.status).toBe(404);
    expect(await outside.text()).toBe(
      'Request error: nothing is served at /elsewhere (the API is under /api/)',
    );
    expect(await rawStatusLine(url, 'GET //x HTTP/1.1\r\nHost: a\r\n\r\n')).toBe('HTTP/1.1 400 Bad Request');
  });

  it('answers 500 with the generic text when a mount throws', async () => {
    const url = await started((h) =>
      h.mount('/api', async () => {
        throw new TypeError('hidden detail');
      }),
    );
    const reply = await fetch(`${url}/api/x`);
    expect(reply.status).toBe(500);
    expect(await reply.text()).toBe('Request error: internal error');
  });

  it('passes upgrades to the mounted path only, refusing others with 404', async () => {
    const seen: string[] = [];
    const url = await started((h) =>
      h.mountUpgrade('/ws', (_req, socket, _head, u) => {
        seen.push(u.search);
        socket.end('HTTP/1.1 101 Switching Protocols\r\n\r\n');
      }),
    );
    const upgrade = (path: string) =>
      rawStatusLine(
        url,
        `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
      );
    expect(await upgrade('/ws?token=t')).toBe('HTTP/1.1 101 Switching Protocols');
    expect(seen).toEqual(['?token=t']);
    expect(await upgrade('/other')).toBe('HTTP/1.1 404 Not Found');
  });

  it('stops its workers when it closes, once', async () => {
    let stops = 0;
    await started((h) => h.run({ stop: async () => void stops++ }));
    await Promise.all([host!.close(), host!.close()]);
    expect(stops).toBe(1);
    expect(host!.server.listening).toBe(false);
  });
});
