/** The commander program, built from the table: commands, arguments, options and help texts. */
import { Command, CommanderError, Help } from 'commander';
import {
  COMMANDS,
  ENVIRONMENT,
  EXIT_CODES,
  GLOBAL_OPTIONS,
  PROGRAM,
  type CommandName,
  type CommandSpec,
} from './table.js';

/** A commander parse error (unknown command or option, missing argument…) and where it happened. */
export class ParseFailure extends Error {
  constructor(
    readonly error: CommanderError,
    readonly usage: string,
  ) {
    super(error.message.replace(/^error: /, ''));
  }
}

export type Action = (name: CommandName, command: Command) => Promise<void>;

/** `damas token create [options] [name]`. */
export function usageOf(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return `${names.join(' ')} ${command.usage()}`;
}

export function buildProgram(action: Action): Command {
  const program = configure(new Command(PROGRAM.name))
    .description(PROGRAM.summary)
    .usage('[options] <command> [args]')
    .addHelpText('after', programFooter());
  for (const option of GLOBAL_OPTIONS) program.option(option.flags, option.description);
  const parents = new Map<string, Command>();
  for (const spec of COMMANDS as readonly CommandSpec[]) {
    const [first, second] = spec.name.split(' ') as [string, string | undefined];
    let parent = program;
    if (second) {
      parent = parents.get(first) ?? configure(program.command(first)).helpGroup(`${spec.group}:`);
      parents.set(first, parent);
    }
    const command = configure(parent.command(second ?? first))
      .description(spec.summary)
      .helpGroup(`${spec.group}:`);
    if (spec.args) command.arguments(spec.args);
    for (const option of spec.options ?? []) command.option(option.flags, option.description, option.default);
    const footer = commandFooter(spec);
    if (footer) command.addHelpText('after', footer);
    command.action(() => action(spec.name as CommandName, command));
  }
  for (const [name, parent] of parents) {
    const children = parent.commands.map((c) => c.name()).join('|');
    parent.description(`${name} ${children}: see damas ${name} <command> --help`);
  }
  return program;
}

/** Errors are thrown, not printed: main prints one line and the usage. */
function configure(command: Command): Command {
  return command
    .exitOverride((error) => {
      throw new ParseFailure(error, usageOf(command));
    })
    .configureOutput({ writeErr: () => {}, outputError: () => {} });
}

/** Help texts added after the options are not wrapped by commander. */
const wrap = (text: string) => new Help().boxWrap(text, 80);

function commandFooter(spec: CommandSpec): string {
  const parts: string[] = [];
  if (spec.details) parts.push(wrap(spec.details));
  if (spec.examples?.length) parts.push(`Examples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}`);
  return parts.length ? `\n${parts.join('\n\n')}` : '';
}

function programFooter(): string {
  const width = Math.max(...ENVIRONMENT.map(([name]) => name.length));
  const env = ENVIRONMENT.map(([name, text]) => `  ${name.padEnd(width)}  ${text}`).join('\n');
  const codes = EXIT_CODES.map(([code, text]) => `  ${String(code).padStart(2)}  ${text}`).join('\n');
  return `\nEnvironment:\n${env}\n\nExit codes:\n${codes}\n\nRun damas <command> --help for a command's arguments, options and examples.`;
}
