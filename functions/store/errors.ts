/** Maps DynamoDB SDK errors to domain errors (the store's half of the error table). */
import { badRequest, payloadTooLarge, TrackerError } from '../core/errors.js';

type SdkError = {
  name?: string;
  message?: string;
  CancellationReasons?: { Code?: string; Message?: string }[];
};

const reasons = (error: unknown) => (error as SdkError).CancellationReasons ?? [];
const named = (error: unknown, name: string) => (error as SdkError | undefined)?.name === name;

/** A conditional write whose condition did not hold (alone or inside a transaction). */
export function isConditionFailed(error: unknown): boolean {
  return (
    named(error, 'ConditionalCheckFailedException') ||
    (named(error, 'TransactionCanceledException') &&
      reasons(error).some((r) => r.Code === 'ConditionalCheckFailed'))
  );
}

/** Positions (in TransactItems order) of the actions a cancelled transaction reports with `code`. */
export function cancelledPositions(error: unknown, code: string): number[] {
  return reasons(error).flatMap((reason, position) => (reason.Code === code ? [position] : []));
}

export function isRetryableTransaction(error: unknown): boolean {
  return (
    named(error, 'TransactionConflictException') ||
    (named(error, 'TransactionCanceledException') &&
      reasons(error).some((r) => r.Code === 'TransactionConflict'))
  );
}

/** Input DynamoDB refuses is the client's fault: 413 for size, 400 otherwise. Anything else stays a 500. */
export function mapStoreError(error: unknown): unknown {
  if (error instanceof TrackerError) return error;
  const validation =
    named(error, 'ValidationException') ||
    (named(error, 'TransactionCanceledException') &&
      reasons(error).some((r) => r.Code === 'ValidationError'));
  if (!validation) return error;
  const message = [(error as SdkError).message, ...reasons(error).map((r) => r.Message)]
    .filter(Boolean)
    .join('; ');
  if (/size/i.test(message)) return payloadTooLarge(`the node would exceed the 400 KB item size limit`);
  return badRequest(`rejected by the database: ${message}`, error);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
