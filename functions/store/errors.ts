/** Maps DynamoDB SDK errors to domain errors (the store's half of the error table). */
import { badRequest, payloadTooLarge, TrackerError, unavailable } from '../core/errors.js';

type SdkError = {
  name?: string;
  message?: string;
  code?: string;
  cause?: unknown;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
  CancellationReasons?: { Code?: string; Message?: string }[];
};

const reasons = (error: unknown) => (error as SdkError | undefined)?.CancellationReasons ?? [];
const named = (error: unknown, name: string) => (error as SdkError | undefined)?.name === name;
const cancelledWith = (error: unknown, codes: readonly string[]) =>
  named(error, 'TransactionCanceledException') && reasons(error).some((r) => codes.includes(r.Code ?? ''));

/** A conditional write whose condition did not hold (alone or inside a transaction). */
export function isConditionFailed(error: unknown): boolean {
  return named(error, 'ConditionalCheckFailedException') || cancelledWith(error, ['ConditionalCheckFailed']);
}

/** Positions (in TransactItems order) of the actions a cancelled transaction reports with `code`. */
export function cancelledPositions(error: unknown, code: string): number[] {
  return reasons(error).flatMap((reason, position) => (reason.Code === code ? [position] : []));
}

export function isRetryableTransaction(error: unknown): boolean {
  return named(error, 'TransactionConflictException') || cancelledWith(error, ['TransactionConflict']);
}

/** Data-plane throttling and server-side failures DynamoDB reports (already retried by the SDK). */
const UNAVAILABLE_NAMES = [
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ThrottlingException',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
];
const THROTTLED_REASONS = ['ThrottlingError', 'ProvisionedThroughputExceeded'];
/** Node.js network error codes: the endpoint could not be reached or dropped the connection. */
const NETWORK_CODES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
];

/** Whether the database could not serve the request (throttled, failing or unreachable): a 503. */
function isUnavailable(error: unknown): boolean {
  const e = error as SdkError | undefined;
  if (!e || typeof e !== 'object') return false;
  const code = e.code ?? (e.cause as SdkError | undefined)?.code;
  return (
    UNAVAILABLE_NAMES.includes(e.name ?? '') ||
    cancelledWith(error, THROTTLED_REASONS) ||
    e.$fault === 'server' ||
    (e.$metadata?.httpStatusCode ?? 0) >= 500 ||
    NETWORK_CODES.includes(code ?? '')
  );
}

/**
 * Input DynamoDB refuses is the client's fault: 413 for size, 400 otherwise. A database that is
 * throttled, failing or unreachable is `unavailable` (503). Anything else stays a 500.
 */
export function mapStoreError(error: unknown): unknown {
  if (error instanceof TrackerError) return error;
  const validation = named(error, 'ValidationException') || cancelledWith(error, ['ValidationError']);
  if (!validation) {
    if (!isUnavailable(error)) return error;
    const { name, message } = error as SdkError;
    return unavailable(`DynamoDB unavailable: ${name ?? 'Error'}: ${message ?? ''}`, error);
  }
  const message = [(error as SdkError).message, ...reasons(error).map((r) => r.Message)]
    .filter(Boolean)
    .join('; ');
  if (/size/i.test(message)) return payloadTooLarge(`the node would exceed the 400 KB item size limit`);
  return badRequest(`rejected by the database: ${message}`, error);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
