/** Errors of the CLI itself and the exit code of anything thrown (damas man page codes). */
import { ApiError, UnreachableError } from '../errors.js';

export const EXIT_USAGE = 1;
export const EXIT_NOT_REPOSITORY = 2;
export const EXIT_OTHER = 60;

/** Bad arguments or input: nothing was sent. Printed with the command's usage line. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** `damas create [options] <json...>`, filled in by the command that failed. */
  usage: string | undefined;
}

export class NotRepositoryError extends Error {
  override readonly name = 'NotRepositoryError';
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT_USAGE;
  if (error instanceof NotRepositoryError) return EXIT_NOT_REPOSITORY;
  if (error instanceof ApiError || error instanceof UnreachableError) return error.exitCode;
  return EXIT_OTHER;
}
