/**
 * The one table of errors. Every failure the tracker or its command-line tools report is a
 * TrackerError with a code; this table maps the code to the HTTP status (server errors), the damas
 * error text, the WebSocket error frame and the exit code of the damas CLI (its man page's list).
 */
export const ERROR_TABLE = {
  // Failures of a command line before or instead of an HTTP answer.
  usage: { exitCode: 1, frame: 'usage', title: 'syntax or usage error (nothing was sent)' },
  notRepository: { exitCode: 2, frame: 'not_repository', title: 'not a damas repository (or any parent)' },
  unreachable: { exitCode: 3, frame: 'unreachable', title: 'server unreachable' },
  // A replay asked from before what the event log keeps (WebSocket `since`): resynchronise.
  gone: { exitCode: 60, frame: 'gone', title: 'the events asked for are older than the event log keeps' },
  // Answers of the tracker.
  badRequest: { status: 400, exitCode: 40, frame: 'bad_request', title: 'bad request' },
  unauthorized: { status: 401, exitCode: 41, frame: 'unauthorized', title: 'unauthorized' },
  forbidden: { status: 403, exitCode: 43, frame: 'forbidden', title: 'forbidden' },
  notFound: { status: 404, exitCode: 44, frame: 'not_found', title: 'not found' },
  methodNotAllowed: { status: 405, exitCode: 60, frame: 'method_not_allowed', title: 'method not allowed' },
  conflict: { status: 409, exitCode: 49, frame: 'conflict', title: 'conflict' },
  payloadTooLarge: { status: 413, exitCode: 60, frame: 'too_large', title: 'payload too large' },
  headersTooLarge: {
    status: 431,
    exitCode: 60,
    frame: 'headers_too_large',
    title: 'request headers too large',
  },
  internal: { status: 500, exitCode: 50, frame: 'internal', title: 'internal error' },
  unavailable: {
    status: 503,
    exitCode: 60,
    frame: 'unavailable',
    title: 'the database is unavailable or throttled; retry later',
  },
  // The request ran past API Gateway's 29 s: work already done stays done (a batch may be partly written).
  timedOut: {
    status: 504,
    exitCode: 60,
    frame: 'timed_out',
    title: 'the request took longer than the API allows (29 s); read back what was written before retrying',
  },
} as const satisfies Record<string, ErrorRow>;

export interface ErrorRow {
  /** HTTP status; absent for failures that never reach HTTP. */
  status?: number;
  /** Exit code of the damas CLI. */
  exitCode: number;
  /** `code` of the WebSocket error frame. */
  frame: string;
  /** The reason shown for errors whose message is not exposed (5xx). */
  title: string;
}

export type ErrorCode = keyof typeof ERROR_TABLE;
const ROWS: Record<ErrorCode, ErrorRow> = ERROR_TABLE;

/** Exit codes of outcomes that are not errors: success, and 207 (some elements failed). */
const EXIT_SUCCESS = 0;
const EXIT_MULTI_STATUS = 7;
/** Any server status the table does not list ("unknown server error"). */
const EXIT_UNKNOWN = 60;

export class TrackerError extends Error {
  override readonly name: string = 'TrackerError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  /** HTTP status; 500 for the command-line rows, which never reach HTTP. */
  get status(): number {
    return ROWS[this.code].status ?? 500;
  }
  get exitCode(): number {
    return ERROR_TABLE[this.code].exitCode;
  }
  /** Client errors (and rows that never reach HTTP) expose their message; server errors show their title. */
  get exposed(): boolean {
    const status = ROWS[this.code].status;
    return status === undefined || status < 500;
  }
}

/** A user query the tracker cannot run; always a client error (HTTP 400). */
export class BadQueryError extends TrackerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('badRequest', message, options);
  }
}

const factory = (code: ErrorCode) => (message: string, cause?: unknown) =>
  new TrackerError(code, message, cause === undefined ? undefined : { cause });

export const badRequest = factory('badRequest');
export const unauthorized = factory('unauthorized');
export const forbidden = factory('forbidden');
export const notFound = factory('notFound');
export const methodNotAllowed = factory('methodNotAllowed');
export const conflict = factory('conflict');
export const payloadTooLarge = factory('payloadTooLarge');
export const unavailable = factory('unavailable');
export const gone = factory('gone');
export const timedOut = factory('timedOut');

/** Normalises anything thrown into a TrackerError; unknown errors become `internal`, keeping their cause. */
export function toTrackerError(error: unknown): TrackerError {
  if (error instanceof TrackerError) return error;
  return new TrackerError('internal', 'internal error', { cause: error });
}

/** The reason shown to a client: the message of client errors, the row's title otherwise. */
function publicReason(error: TrackerError): string {
  return error.exposed ? error.message : ERROR_TABLE[error.code].title;
}

/** damas error text: `<Operation> error: <reason>`. */
export function errorText(operation: string, error: TrackerError): string {
  return `${operation} error: ${publicReason(error)}`;
}

/** WebSocket error frame: `{"type":"error","code":"not_found","message":"…"}`. */
export function errorFrame(error: TrackerError): { type: 'error'; code: string; message: string } {
  return { type: 'error', code: ERROR_TABLE[error.code].frame, message: publicReason(error) };
}

const EXIT_CODE_BY_STATUS = new Map<number, number>(
  Object.values(ROWS).flatMap((row) => (row.status === undefined ? [] : [[row.status, row.exitCode]])),
);

/** Exit code of the damas CLI for an HTTP status (man page: 7 for 207, 60 for anything unknown). */
export function exitCodeForStatus(status: number): number {
  if (status === 207) return EXIT_MULTI_STATUS;
  if (status < 300) return EXIT_SUCCESS;
  return EXIT_CODE_BY_STATUS.get(status) ?? EXIT_UNKNOWN;
}

/** The damas CLI's exit codes and what each means, from the table (help text and docs). */
export function exitCodeMeanings(): [number, string][] {
  const meanings = new Map<number, string>([
    [EXIT_SUCCESS, 'success'],
    [EXIT_MULTI_STATUS, '207 multi-status: some elements failed (null in the answer)'],
  ]);
  const others: string[] = [];
  for (const [code, row] of Object.entries(ROWS)) {
    if (row.exitCode === EXIT_UNKNOWN) others.push(row.status ? String(row.status) : code);
    else meanings.set(row.exitCode, row.status ? `${row.status} ${row.title}` : row.title);
  }
  meanings.set(EXIT_UNKNOWN, `any other error (${others.join(', ')}, or any other status)`);
  return [...meanings].sort(([a], [b]) => a - b);
}

/** Exit code of anything thrown: table rows by code, everything else "unknown" (60). */
export function exitCodeOf(error: unknown): number {
  if (error instanceof TrackerError) return error.exitCode;
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? exitCodeForStatus(status) : EXIT_UNKNOWN;
}
