/** The page bundle: browser-safe (no Node built-ins or Node-only packages), small, cache-busted. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard, type BuildResult } from '../../dashboard/build.js';

let outdir: string;
let built: BuildResult;

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'dashboard-'));
  built = await buildDashboard({ outdir });
});
afterAll(() => rm(outdir, { recursive: true, force: true }));

describe('dashboard bundle', () => {
  it('bundles no Node built-in and no Node-only package', () => {
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    expect(built.inputs.filter((input) => builtins.has(input) || input.startsWith('node:'))).toEqual([]);
    expect(built.inputs.filter((input) => /node_modules\/(?!preact|htm)/.test(input))).toEqual([]);
    // The client and the pure core modules it uses are bundled, nothing from the server side.
    expect(built.inputs).toContain('client/api-client.ts');
    expect(built.inputs).toContain('client/events.ts');
    expect(
      built.inputs.filter((input) => /^(functions\/(store|http|events|auth)|local|agent)\//.test(input)),
    ).toEqual([]);
  });

  it('leaves no Node global in the page code', async () => {
    const code = await readFile(join(outdir, 'app.js'), 'utf8');
    expect(code).not.toMatch(/\bBuffer\b|\bprocess\.(env|argv|version)|\brequire\(|["']node:/);
  });

  it('weighs under 150 KB gzipped, and the page loads its files by content hash', async () => {
    expect(built.gzipBytes).toBeLessThan(150 * 1024);
    const html = await readFile(join(outdir, 'index.html'), 'utf8');
    expect(html).toMatch(/<script type="module" src="app\.js\?v=[0-9a-f]{12}"><\/script>/);
    expect(html).toMatch(/<link rel="stylesheet" href="app\.css\?v=[0-9a-f]{12}" \/>/);
    expect(JSON.parse(await readFile(join(outdir, 'config.json'), 'utf8'))).toEqual({});
  });
});
