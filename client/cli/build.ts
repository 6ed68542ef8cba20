/**
 * Bundles the CLI into one file, `client/dist/damas` (git-ignored; `npm run build:cli`, also run by
 * `npm install` through `prepare`), which the `damas` bin (damas.js) runs. The bundle has no
 * extension and no shebang, so lint and format tools skip it; Node runs it as an ES module.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_OUTFILE = join(here, '..', 'dist', 'damas');

export async function buildCli(outfile = DEFAULT_OUTFILE): Promise<string> {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(here, 'bin.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    // commander is CommonJS: its require() calls need a real require in an ES module.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
    },
  });
  return outfile;
}

/** `--if-possible` (the prepare script): an install without dev dependencies skips the build. */
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const ifPossible = process.argv.includes('--if-possible');
  const outfile = process.argv.slice(2).find((arg) => !arg.startsWith('--'));
  try {
    console.log(`built ${await buildCli(outfile)}`);
  } catch (error) {
    if (!ifPossible || (error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    console.log('damas CLI not built: esbuild is not installed (dev dependencies omitted)');
  }
}
