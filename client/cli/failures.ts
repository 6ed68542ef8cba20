/** Errors of the CLI itself; their exit codes come from the error table (functions/core/errors.ts). */
import { TrackerError } from '../../functions/core/errors.js';

/** Bad arguments or input: nothing was sent. Printed with the command's usage line. */
export class UsageError extends TrackerError {
  override readonly name = 'UsageError';
  /** `damas create [options] <json...>`, filled in by the command that failed. */
  usage: string | undefined;
  constructor(message: string) {
    super('usage', message);
  }
}

export class NotRepositoryError extends TrackerError {
  override readonly name = 'NotRepositoryError';
  constructor(message: string) {
    super('notRepository', message);
  }
}
