/**
 * Bundles the CLI into one file, `client/dist/damas` (git-ignored; `npm run build:cli`, also run by
 * `npm install` through `prepare`), which the `damas` bin (damas.js) runs. The bundle has no
 * extension and no shebang, so lint and format tools skip it; Node runs it as an ES module.
 * `bundleNodeProgram` and `runBuildScript` also build the site agent (agent/build.ts).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_OUTFILE = join(here, '..', 'dist', 'damas');

/** One ES module file for Node 20+ with every dependency inside. */
export async function bundleNodeProgram(entry: string, outfile: string, minify = false): Promise<string> {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify,
    legalComments: minify ? 'none' : 'eof',
    logLevel: 'warning',
    // commander (and pino) are CommonJS: their require() calls need a real require in an ES module.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
    },
  });
  return outfile;
}

export const buildCli = (outfile = DEFAULT_OUTFILE) => bundleNodeProgram(join(here, 'bin.ts'), outfile);

/**
 * The command line of a build script: an optional outfile argument; `--if-possible` (the prepare
 * script) skips the build when esbuild is not installed (an install without dev dependencies).
 */
export async function runBuildScript(
  what: string,
  build: (outfile?: string) => Promise<string>,
): Promise<void> {
  const outfile = process.argv.slice(2).find((arg) => !arg.startsWith('--'));
  try {
    console.log(`built ${await build(outfile)}`);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND';
    if (!process.argv.includes('--if-possible') || !missing) throw error;
    console.log(`${what} not built: esbuild is not installed (dev dependencies omitted)`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runBuildScript('damas CLI', buildCli);
