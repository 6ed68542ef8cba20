/** The dashboard's static files at `/` of the local host: types, the page's own addresses, caching, no escape. */
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalHost } from '../../local/host.js';
import { staticMount } from '../../local/static-mount.js';

let base: string;
let url: string;
let empty: string;
const hosts: LocalHost[] = [];

async function serve(root: string): Promise<string> {
  const host = new LocalHost()
    .mount('/api', async (_req, res) => void res.end('api'))
    .mount('/', staticMount(root));
  hosts.push(host);
  return host.listen('127.0.0.1', 0);
}

/** Sends the request target as written (fetch would normalise `..` and `%2e%2e`). */
async function rawGet(target: string): Promise<{ status: number; body: string }> {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  await once(socket, 'connect');
  socket.write(`GET ${target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  await once(socket, 'close');
  return { status: Number(text.split(' ')[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4) };
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'static-'));
  const dist = join(base, 'dist');
  await mkdir(join(dist, 'sub'), { recursive: true });
  await writeFile(join(dist, 'index.html'), '<!doctype html><title>page</title>');
  await writeFile(join(dist, 'app.js'), 'console.log(1)');
  await writeFile(join(dist, 'app.css'), 'body{}');
  await writeFile(join(dist, 'config.json'), '{}');
  await writeFile(join(base, 'secret.txt'), 'SECRET');
  await symlink(join(base, 'secret.txt'), join(dist, 'leak.txt'));
  url = await serve(dist);
  empty = await serve(join(base, 'missing'));
});
afterAll(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  await rm(base, { recursive: true, force: true });
});

describe('static mount', () => {
  it('serves index.html at / and for the page addresses (paths without an extension)', async () => {
    for (const path of ['/', '/files/proj/shot01/', '/sites', '/sub/']) {
      const reply = await fetch(url + path);
      expect(reply.status, path).toBe(200);
      expect(reply.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(reply.headers.get('cache-control')).toBe('no-cache');
      expect(await reply.text()).toContain('<title>page</title>');
    }
  });

  it('serves files with their content type, security headers, and year-long caching for ?v= assets', async () => {
    const js = await fetch(`${url}/app.js?v=abc123`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    expect(js.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await js.text()).toBe('console.log(1)');
    expect((await fetch(`${url}/app.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    const config = await fetch(`${url}/config.json`);
    expect(config.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(config.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers 304 to a matching If-None-Match, and headers only to HEAD', async () => {
    const first = await fetch(`${url}/app.css`);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"/);
    expect((await fetch(`${url}/app.css`, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    const head = await fetch(`${url}/app.css`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('6');
    expect(await head.text()).toBe('');
  });

  it('answers 404 for a missing file with an extension, and 405 to other methods', async () => {
    const missing = await fetch(`${url}/nothing.js`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('Request error: /nothing.js does not exist');
    const post = await fetch(`${url}/`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('serves nothing outside its folder: dot segments, encoded slashes, backslashes, NUL, symbolic links', async () => {
    for (const target of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e%2fsecret.txt',
      '/sub/..%2f..%2fsecret.txt',
      '/..%5csecret.txt',
      '/app.js%00.txt',
      '/leak.txt',
    ]) {
      const reply = await rawGet(target);
      expect(reply.body, target).not.toContain('SECRET');
      expect([400, 404], target).toContain(reply.status);
    }
  });

  it('leaves the other mounts alone, and never answers the page for the API in another spelling', async () => {
    expect(await (await fetch(`${url}/api/health`)).text()).toBe('api');
    for (const path of ['/API/create', '/stage/api/queue/', '/Metrics', '/ws', '/@connections/x']) {
      const reply = await fetch(url + path, { method: path === '/API/create' ? 'POST' : 'GET' });
      expect(reply.status, path).toBe(404);
      expect(await reply.text()).toBe(`Request error: nothing is served at ${path} (the API is under /api/)`);
    }
  });

  it('without a build, / explains how to make one', async () => {
    const reply = await fetch(`${empty}/`);
    expect(reply.status).toBe(404);
    expect(reply.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await reply.text()).toContain('npm run build:dashboard');
    expect((await fetch(`${empty}/app.js`)).status).toBe(404);
  });
});
