/**
 * Builds the dashboard into `dashboard/dist/` (git-ignored): `index.html`, `app.js`, `app.css` and a
 * default `config.json`. The page loads `app.js?v=<content hash>` so browsers may cache it for good.
 * `npm run build:dashboard`; `npm install` runs it through `prepare` with `--if-possible`.
 * Files are written under a temporary name and renamed, so a build never leaves a half-written file.
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { runBuildScript } from '../client/cli/build.js';

const here = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_OUTDIR = join(here, 'dist');

export interface BuiltFile {
  name: string;
  bytes: number;
  gzipBytes: number;
}

export interface BuildResult {
  outdir: string;
  files: BuiltFile[];
  /** Gzipped size of what the page loads (index.html, app.js, app.css). */
  gzipBytes: number;
  /** Every source file bundled, relative to the repository. */
  inputs: string[];
}

const html = (js: string, css: string) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>SyncPlanet tracker</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="app.css?v=${css}" />
  </head>
  <body>
    <div id="app"><p class="boot">Loading the SyncPlanet dashboard…</p></div>
    <noscript>The SyncPlanet dashboard needs JavaScript.</noscript>
    <script type="module" src="app.js?v=${js}"></script>
  </body>
</html>
`;

const hash = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex').slice(0, 12);

async function writeAtomically(file: string, data: Uint8Array | string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, file);
}

export async function buildDashboard(
  options: { outdir?: string; minify?: boolean } = {},
): Promise<BuildResult> {
  const { build } = await import('esbuild');
  const outdir = options.outdir ?? DEFAULT_OUTDIR;
  const result = await build({
    entryPoints: { app: join(here, 'src', 'main.ts'), style: join(here, 'src', 'app.css') },
    bundle: true,
    write: false,
    outdir,
    format: 'esm',
    platform: 'browser',
    target: ['chrome111', 'firefox115', 'safari16.4'],
    minify: options.minify ?? true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    // The client loads the `ws` package only where there is no WebSocket: never in a browser.
    external: ['ws'],
  });
  const byName = new Map(result.outputFiles.map((f) => [f.path.slice(outdir.length + 1), f.contents]));
  const js = byName.get('app.js');
  const css = byName.get('style.css');
  if (!js || !css)
    throw new Error(`esbuild did not produce app.js and style.css: ${[...byName.keys()].join(', ')}`);
  const files: [string, Uint8Array | string][] = [
    ['app.js', js],
    ['app.css', css],
    ['index.html', html(hash(js), hash(css))],
    ['config.json', '{}\n'],
  ];
  await mkdir(outdir, { recursive: true });
  for (const [name, data] of files) await writeAtomically(join(outdir, name), data);
  const built = files.map(([name, data]) => ({
    name,
    bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength,
    gzipBytes: gzipSync(data, { level: 9 }).byteLength,
  }));
  return {
    outdir,
    files: built,
    gzipBytes: built.filter((f) => f.name !== 'config.json').reduce((sum, f) => sum + f.gzipBytes, 0),
    inputs: Object.keys(result.metafile.inputs),
  };
}

/** As the other build scripts: an optional outdir argument, and `--if-possible` (the prepare script). */
if (process.argv[1] === fileURLToPath(import.meta.url))
  await runBuildScript('dashboard', async (outdir) => {
    const built = await buildDashboard({ outdir: outdir && resolve(outdir) });
    const sizes = built.files.map((f) => `${f.name} ${(f.bytes / 1024).toFixed(1)} KB`).join(', ');
    return `${built.outdir}: ${sizes}; ${(built.gzipBytes / 1024).toFixed(1)} KB gzipped`;
  });
