/** --help for every command from the table, the generated README, and the package bin. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../client/cli/build.js';
import { readmeIsCurrent } from '../../client/cli/docs.js';
import { COMMANDS, EXIT_CODES } from '../../client/cli/table.js';
import { buildTestCli, cliRunner, removeTempDirs, type Run } from './helpers.js';

let damas: (args: string[]) => Promise<Run>;

beforeAll(async () => {
  damas = cliRunner(await buildTestCli(), {});
});
afterAll(() => removeTempDirs());

describe('help', () => {
  it('damas --help lists every command, the environment and the exit codes', async () => {
    const run = await damas(['--help']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    for (const { name } of COMMANDS) expect(run.stdout).toContain(name.split(' ')[0]);
    for (const [code, meaning] of EXIT_CODES)
      expect(run.stdout).toContain(`${String(code).padStart(2)}  ${meaning}`);
    expect(run.stdout).toContain('DAMAS_SERVER');
  });

  it.each(COMMANDS.map((c) => [c.name, c] as const))('damas %s --help', async (name, spec) => {
    const run = await damas([...name.split(' '), '--help']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`Usage: damas ${name}`);
    expect(run.stdout.replace(/\s+/g, ' ')).toContain(spec.summary);
    for (const option of 'options' in spec ? spec.options : []) expect(run.stdout).toContain(option.flags);
  });

  it('README-cli.md is what `npm run docs:cli` generates from the table', async () => {
    expect(await readmeIsCurrent()).toBe(true);
  });
});

describe('package bin', () => {
  it('package.json "bin" runs the bundle that build:cli writes', async () => {
    const root = join(import.meta.dirname, '..', '..');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    await buildCli();
    const run = spawnSync(process.execPath, [join(root, pkg.bin.damas!), 'read', '--help'], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Usage: damas read');
  });
});
