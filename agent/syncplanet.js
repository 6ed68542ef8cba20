#!/usr/bin/env node
// The `syncplanet` executable (package.json "bin"): runs the bundle that `npm run build:agent`
// writes, which `npm install` builds through the `prepare` script.
import { existsSync } from 'node:fs';

const bundle = new URL('./dist/syncplanet.js', import.meta.url);
if (!existsSync(bundle)) {
  console.error('syncplanet: the agent is not built yet; run npm run build:agent');
  process.exit(1);
}
await import(bundle.href);
