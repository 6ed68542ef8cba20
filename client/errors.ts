/**
 * What a tracker call can fail with: the server answered an error status (ApiError), or it could
 * not be reached (UnreachableError). Both know their damas CLI exit code from the error table.
 */
import { exitCodeForStatus, TrackerError } from '../functions/core/errors.js';

/** The server answered with a status of 300 or more (207 is a success carrying nulls, not an error). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** The operation label of the damas error text (`Create`, `Remove`…), when the text has one. */
  readonly operation: string | undefined;
  /** The server's reason, without the `<Operation> error: ` prefix. */
  readonly reason: string;

  constructor(
    readonly status: number,
    /** The response body as the server sent it (plain text `<Operation> error: <reason>`). */
    readonly serverMessage: string,
    readonly method: string,
    readonly url: string,
  ) {
    const text = unwrapJsonString(serverMessage.trim()) || `HTTP ${status}`;
    super(text);
    const match = /^([\w ]+?) error: ([\s\S]*)$/.exec(text);
    this.operation = match?.[1];
    this.reason = match?.[2] ?? text;
  }

  get exitCode(): number {
    return exitCodeForStatus(this.status);
  }
}

/** No HTTP answer: connection refused, DNS failure, reset, or timeout. */
export class UnreachableError extends TrackerError {
  override readonly name = 'UnreachableError';
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super('unreachable', `server ${new URL(url).origin} is unreachable (${describeCause(cause)})`, { cause });
  }
}

/** damas-core's jwt extension answers JSON string literals (`"401 Unauthorized (…)"`). */
function unwrapJsonString(text: string): string {
  if (!text.startsWith('"')) return text;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'string' ? value : text;
  } catch {
    return text;
  }
}

/** fetch hides the socket error in `cause`: `connect ECONNREFUSED 127.0.0.1:1`. */
function describeCause(cause: unknown): string {
  let error = cause;
  while (error instanceof Error && error.cause instanceof Error) error = error.cause;
  if (error instanceof Error) return error.message;
  return String(error);
}
