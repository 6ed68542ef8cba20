/** Runs one damas command line: parse, run the handler, print, and answer the exit code. */
import { ERROR_TABLE, exitCodeForStatus, exitCodeOf } from '../../functions/core/errors.js';
import { ApiError } from '../errors.js';
import { HANDLERS } from './commands/index.js';
import { CliContext, type GlobalFlags, type Io, type Outcome } from './context.js';
import { UsageError } from './failures.js';
import { formatResult } from './output.js';
import { buildProgram, ParseFailure, usageOf } from './program.js';

export async function main(argv: readonly string[], io: Io): Promise<number> {
  let outcome: Outcome | undefined;
  let flags: GlobalFlags = {};
  const program = buildProgram(async (name, command) => {
    flags = program.opts<GlobalFlags>();
    try {
      outcome = await HANDLERS[name](new CliContext(flags, io), command.args, command.opts());
    } catch (error) {
      if (error instanceof UsageError) error.usage ??= usageOf(command);
      throw error;
    }
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    return report(error, io, flags);
  }
  return outcome ? print(outcome, io, flags) : 0;
}

function print(outcome: Outcome, io: Io, flags: GlobalFlags): number {
  if (!flags.quiet) {
    if (outcome.text !== undefined) io.stdout.write(outcome.text);
    else if (outcome.body !== undefined) io.stdout.write(formatResult(outcome.body, flags.lines === true));
    if (outcome.status === 207)
      io.stderr.write('damas: some elements failed: null in the answer (207 Multi-Status)\n');
  }
  return exitCodeForStatus(outcome.status);
}

/** One line on stderr (plus the usage for usage errors) and the damas exit code. */
function report(error: unknown, io: Io, flags: GlobalFlags): number {
  if (error instanceof ParseFailure) {
    const { code, exitCode } = error.error;
    if (exitCode === 0) return 0; // --help
    const reason = code === 'commander.help' ? 'missing command' : error.message;
    io.stderr.write(`damas: ${reason}\nusage: ${error.usage}\n`);
    return ERROR_TABLE.usage.exitCode;
  }
  if (error instanceof UsageError) {
    io.stderr.write(`damas: ${error.message}\n${error.usage ? `usage: ${error.usage}\n` : ''}`);
  } else if (error instanceof ApiError) {
    io.stderr.write(`damas: ${error.message} (${error.status})\n`);
  } else {
    const detail = flags.verbose && error instanceof Error ? error.stack : undefined;
    io.stderr.write(`damas: ${detail ?? (error instanceof Error ? error.message : String(error))}\n`);
  }
  return exitCodeOf(error);
}
