/**
 * The dashboard's built files (dashboard/dist) at `/` of the local host: `index.html` for `/` and
 * for any other path without a file extension (the page's own addresses), the files with their
 * content types, 404 for other missing files and for paths of the API in another spelling. Nothing outside the folder is served (`..`, encoded
 * slashes and symbolic links leading out are refused). `?v=<hash>` assets are cached for a year,
 * the rest revalidated. Without a build, `/` explains how to make one.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { badRequest, methodNotAllowed, notFound } from '../functions/core/errors.js';
import { sendError, type HttpMount } from './host.js';

export const DASHBOARD_DIST = fileURLToPath(new URL('../dashboard/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** The page talks to its own origin only (the API and `/ws`). */
const SECURITY = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy':
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; " +
    "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
};

/** The API's paths in any spelling (`/API/…`, a stage prefix `/prod/api/…`, `/ws`…): never the page. */
const API_LIKE = /^\/(?:api|ws|metrics|@connections)(?:\/|$)|\/api(?:\/|$)/i;

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SyncPlanet: dashboard not built</title></head>
<body><h1>The dashboard is not built</h1>
<p>Run <code>npm run build:dashboard</code> (or <code>npm install</code>), then reload this page.
The API is at <a href="/api/health">/api/</a>.</p></body></html>
`;

async function fileAt(path: string): Promise<{ path: string; size: number; mtimeMs: number } | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? { path, size: info.size, mtimeMs: info.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

export function staticMount(root = DASHBOARD_DIST): HttpMount {
  const base = resolve(root);
  return async (req, res, url) => {
    if (API_LIKE.test(url.pathname))
      return sendError(res, notFound(`nothing is served at ${url.pathname} (the API is under /api/)`));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendError(res, methodNotAllowed(`${req.method} is not allowed here; use GET`), {
        Allow: 'GET, HEAD',
      });
    }
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      return sendError(res, badRequest('malformed path'));
    }
    if (path.includes('\0') || path.includes('\\')) return sendError(res, badRequest('malformed path'));
    const wanted = resolve(base, `.${path}`);
    if (wanted !== base && !wanted.startsWith(base + sep))
      return sendError(res, notFound(`${path} does not exist`));
    const index = join(base, 'index.html');
    let file = path.endsWith('/') ? await fileAt(join(wanted, 'index.html')) : await fileAt(wanted);
    if (!file && extname(path) === '') file = await fileAt(index); // the page's own addresses
    if (!file) {
      if (!(await fileAt(index))) {
        res.writeHead(404, { 'Content-Type': TYPES['.html']!, 'Cache-Control': 'no-store', ...SECURITY });
        return void res.end(req.method === 'HEAD' ? undefined : NOT_BUILT);
      }
      return sendError(res, notFound(`${path} does not exist`));
    }
    // A symbolic link must not lead out of the folder.
    const real = await realpath(file.path);
    const realBase = await realpath(base);
    if (!real.startsWith(realBase + sep)) return sendError(res, notFound(`${path} does not exist`));

    const etag = `W/"${file.size.toString(16)}-${Math.floor(file.mtimeMs).toString(16)}"`;
    const headers: Record<string, string> = {
      'Content-Type': TYPES[extname(file.path)] ?? 'application/octet-stream',
      'Cache-Control': url.searchParams.has('v') ? 'public, max-age=31536000, immutable' : 'no-cache',
      ETag: etag,
      ...SECURITY,
    };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      return void res.end();
    }
    res.writeHead(200, { ...headers, 'Content-Length': String(file.size) });
    if (req.method === 'HEAD') return void res.end();
    await new Promise<void>((done, fail) => {
      createReadStream(file.path).on('error', fail).pipe(res).on('finish', done).on('error', fail);
    });
  };
}
