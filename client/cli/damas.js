#!/usr/bin/env node
// The `damas` executable (package.json "bin"): runs the bundle that `npm run build:cli` writes,
// which `npm install` builds through the `prepare` script.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/damas', import.meta.url);
if (!existsSync(bundle)) {
  console.error('damas: the CLI is not built yet; run npm run build:cli');
  process.exit(60);
}
await import(bundle.href);
