/**
 * Bundles the agent into one minified file, `agent/dist/syncplanet.js` (git-ignored; `npm run
 * build:agent`, also run by `npm install`), which the `syncplanet` bin and the container image run.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleNodeProgram, runBuildScript } from '../client/cli/build.js';

const here = dirname(fileURLToPath(import.meta.url));
export const AGENT_BUNDLE = join(here, 'dist', 'syncplanet.js');

export const buildAgent = (outfile = AGENT_BUNDLE) => bundleNodeProgram(join(here, 'bin.ts'), outfile, true);

if (process.argv[1] === fileURLToPath(import.meta.url)) await runBuildScript('agent', buildAgent);
