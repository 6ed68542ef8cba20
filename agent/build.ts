/**
 * Bundles the agent into one file, `agent/dist/syncplanet.js` (git-ignored; `npm run build:agent`),
 * which the `syncplanet` bin and the container image run.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const AGENT_BUNDLE = join(here, 'dist', 'syncplanet.js');

export async function buildAgent(outfile = AGENT_BUNDLE): Promise<string> {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(here, 'bin.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    // commander and pino are CommonJS: their require() calls need a real require in an ES module.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
    },
  });
  return outfile;
}

/** `--if-possible` (the prepare script): an install without dev dependencies skips the build. */
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outfile = process.argv.slice(2).find((arg) => !arg.startsWith('--'));
  try {
    console.log(`built ${await buildAgent(outfile)}`);
  } catch (error) {
    if (
      !process.argv.includes('--if-possible') ||
      (error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND'
    )
      throw error;
    console.log('agent not built: esbuild is not installed (dev dependencies omitted)');
  }
}
