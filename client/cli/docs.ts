/**
 * README-cli.md, the CLI reference, generated from the table (`npm run docs:cli`) and formatted
 * with the project's prettier settings so `prettier --check` accepts it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { NOTES } from './notes.js';
import {
  COMMANDS,
  ENVIRONMENT,
  EXIT_CODES,
  GLOBAL_OPTIONS,
  PROGRAM,
  type CommandSpec,
  type OptionSpec,
} from './table.js';

const here = dirname(fileURLToPath(import.meta.url));
export const README_PATH = join(here, 'README-cli.md');

const cell = (text: string) => text.replace(/\|/g, '\\|');
const code = (text: string) => `\`${text.replace(/`/g, '')}\``;

function optionRows(options: readonly OptionSpec[]): string[] {
  return [
    '| option | meaning |',
    '| --- | --- |',
    ...options.map(
      (o) =>
        `| ${code(o.flags)} | ${cell(o.description)}${o.default ? ` (default ${code(o.default)})` : ''} |`,
    ),
  ];
}

function commandSection(spec: CommandSpec): string[] {
  const summary = `${spec.summary[0]!.toUpperCase()}${spec.summary.slice(1)}.`;
  const lines = [`### \`damas ${spec.name}${spec.args ? ` ${spec.args}` : ''}\``, '', summary, ''];
  if (spec.details) lines.push(spec.details, '');
  if (spec.options?.length) lines.push(...optionRows(spec.options), '');
  if (spec.examples?.length) lines.push('```sh', ...spec.examples, '```', '');
  return lines;
}

export function readmeMarkdown(): string {
  const commands = COMMANDS as readonly CommandSpec[];
  const groups = [...new Set(commands.map((c) => c.group))];
  return [
    '# damas CLI reference',
    '',
    '<!-- Generated from client/cli/table.ts by `npm run docs:cli`; do not edit by hand. -->',
    '',
    PROGRAM.summary,
    '',
    '```sh',
    'damas [-q|--quiet] [-v|--verbose] [-l|--lines] [-s|--server URL] <command> [args]',
    'damas <command> --help',
    '```',
    '',
    '## Global options',
    '',
    ...optionRows(GLOBAL_OPTIONS),
    '',
    ...groups.flatMap((group) => [
      `## ${group}`,
      '',
      ...commands.filter((c) => c.group === group).flatMap(commandSection),
    ]),
    ...NOTES.flatMap(([title, text]) => [`## ${title}`, '', text, '']),
    '## Environment',
    '',
    '| variable | meaning |',
    '| --- | --- |',
    ...ENVIRONMENT.map(([name, text]) => `| ${code(name)} | ${cell(text)} |`),
    '',
    '## Exit codes',
    '',
    '| code | meaning |',
    '| --- | --- |',
    ...EXIT_CODES.map(([exit, text]) => `| ${exit} | ${cell(text)} |`),
    '',
  ].join('\n');
}

/** The markdown as prettier would write it. */
export async function formattedReadme(): Promise<string> {
  const options = (await resolveConfig(README_PATH)) ?? {};
  return format(readmeMarkdown(), { ...options, parser: 'markdown' });
}

export async function readmeIsCurrent(): Promise<boolean> {
  const current = await readFile(README_PATH, 'utf8').catch(() => '');
  return current === (await formattedReadme());
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(README_PATH, await formattedReadme());
  console.log(`wrote ${README_PATH}`);
}
