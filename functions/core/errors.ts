/**
 * The one table of errors. Every failure the tracker reports is a TrackerError with a code;
 * this table maps the code to the HTTP status, the damas CLI exit code and the WebSocket frame.
 */
export const ERROR_TABLE = {
  badRequest: { status: 400, exitCode: 40, title: 'bad request' },
  unauthorized: { status: 401, exitCode: 41, title: 'unauthorized' },
  forbidden: { status: 403, exitCode: 43, title: 'forbidden' },
  notFound: { status: 404, exitCode: 44, title: 'not found' },
  methodNotAllowed: { status: 405, exitCode: 60, title: 'method not allowed' },
  conflict: { status: 409, exitCode: 49, title: 'conflict' },
  payloadTooLarge: { status: 413, exitCode: 60, title: 'payload too large' },
  internal: { status: 500, exitCode: 50, title: 'internal error' },
} as const;

export type ErrorCode = keyof typeof ERROR_TABLE;

export class TrackerError extends Error {
  override readonly name = 'TrackerError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  get status(): number {
    return ERROR_TABLE[this.code].status;
  }
  /** Only client errors expose their message; anything else is reported generically. */
  get exposed(): boolean {
    return this.status < 500;
  }
}

/** A user query the tracker cannot run; always a client error (HTTP 400). */
export class BadQueryError extends TrackerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('badRequest', message, options);
  }
}

export const badRequest = (message: string, cause?: unknown) =>
  new TrackerError('badRequest', message, { cause });
export const unauthorized = (message: string) => new TrackerError('unauthorized', message);
export const forbidden = (message: string) => new TrackerError('forbidden', message);
export const notFound = (message: string) => new TrackerError('notFound', message);
export const conflict = (message: string) => new TrackerError('conflict', message);
export const payloadTooLarge = (message: string) => new TrackerError('payloadTooLarge', message);

/** Normalises anything thrown into a TrackerError; unknown errors become `internal`. */
export function toTrackerError(error: unknown): TrackerError {
  if (error instanceof TrackerError) return error;
  return new TrackerError('internal', 'internal error', { cause: error });
}

/** damas error text: `<Operation> error: <reason>`. */
export function errorText(operation: string, error: TrackerError): string {
  const reason = error.exposed ? error.message : ERROR_TABLE[error.code].title;
  return `${operation} error: ${reason}`;
}

const EXIT_CODE_BY_STATUS = new Map<number, number>(
  Object.values(ERROR_TABLE).map((e) => [e.status, e.exitCode]),
);

/** Exit code of the damas CLI for an HTTP status (man page: 7 for 207, 60 for anything unknown). */
export function exitCodeForStatus(status: number): number {
  if (status === 207) return 7;
  if (status < 300) return 0;
  return EXIT_CODE_BY_STATUS.get(status) ?? 60;
}
