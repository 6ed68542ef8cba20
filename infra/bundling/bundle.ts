/**
 * Bundles one Lambda handler with esbuild: ESM, minified, source map, Node 22, the AWS SDK left to
 * the runtime. Three resolutions keep bundles small: zod's 40 locales are cut to English (the only
 * one the tracker sets, ~250 KB), mingo's ES module build is used instead of its CommonJS one
 * (which esbuild cannot tree-shake), and OpenTelemetry, which only prom-client's default process
 * metrics use (never collected here), is left out. `npx tsx infra/bundling/bundle.ts <entry> <outdir>`
 * is what the stack's asset bundling runs (infra/bundling/local.ts); the benchmark calls
 * `bundleHandler`, the same build, for the bundle sizes.
 */
import { build, type Plugin } from 'esbuild';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Every function's code file: `index.mjs`, handler `index.handler`. */
export const BUNDLE_FILE = 'index.mjs';

/** Lets the ES module bundle load the CommonJS dependencies esbuild leaves as `require` calls. */
const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

const slim: Plugin = {
  name: 'syncplanet-slim',
  setup(build) {
    const node = (path: string) => join(PROJECT_ROOT, 'node_modules', path);
    build.onResolve({ filter: /\/locales\/index\.js$/ }, ({ importer }) =>
      importer.includes(`${join('node_modules', 'zod')}`)
        ? { path: join(PROJECT_ROOT, 'infra/bundling/zod-locales.ts') }
        : undefined,
    );
    build.onResolve({ filter: /^mingo$/ }, () => ({ path: node('mingo/esm/index.js') }));
    // prom-client's default process metrics (never collected here) are its only OpenTelemetry user.
    build.onResolve({ filter: /^@opentelemetry\/api$/ }, () => ({ path: 'otel', namespace: 'empty' }));
    build.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({
      contents: 'module.exports = {};',
      loader: 'js',
    }));
  },
};

export interface BundleResult {
  file: string;
  /** Bytes of the minified code (without the source map). */
  bytes: number;
}

export async function bundleHandler(entry: string, outdir: string): Promise<BundleResult> {
  const file = join(outdir, BUNDLE_FILE);
  const result = await build({
    entryPoints: [join(PROJECT_ROOT, entry)],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    legalComments: 'none',
    external: ['@aws-sdk/*', '@smithy/*'],
    banner: { js: ESM_REQUIRE_BANNER },
    plugins: [slim],
    metafile: true,
    logLevel: 'warning',
  });
  return {
    file,
    bytes:
      result.metafile.outputs[Object.keys(result.metafile.outputs).find((o) => o.endsWith('.mjs'))!]!.bytes,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [entry, outdir] = process.argv.slice(2);
  if (!entry || !outdir) throw new Error('usage: bundle.ts <entry relative to the project> <outdir>');
  await bundleHandler(entry, outdir);
}
