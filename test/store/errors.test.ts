/** SDK errors map to domain errors: invalid input 400/413, an unreachable or throttled database 503. */
import {
  InternalServerError,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { conflict, TrackerError } from '../../functions/core/errors.js';
import { isConditionFailed, mapStoreError } from '../../functions/store/errors.js';

/** An error shaped like the SDK's: a name, and whatever other fields the case needs. */
const sdkError = (name: string, fields: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} happened`), { name, $fault: 'client', ...fields });

const cancelled = (...codes: string[]) =>
  sdkError('TransactionCanceledException', {
    CancellationReasons: codes.map((Code) => ({ Code, Message: `${Code} reason` })),
  });

const networkError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });

function expectUnavailable(error: unknown) {
  const mapped = mapStoreError(error);
  expect(mapped).toBeInstanceOf(TrackerError);
  expect((mapped as TrackerError).code).toBe('unavailable');
  expect((mapped as TrackerError).status).toBe(503);
  expect((mapped as TrackerError).cause).toBe(error);
}

describe('mapStoreError', () => {
  it.each([
    'ProvisionedThroughputExceededException',
    'RequestLimitExceeded',
    'ThrottlingException',
    'InternalServerError',
    'ServiceUnavailable',
    'TimeoutError',
  ])('maps %s to unavailable (503), keeping the SDK error as cause', (name) => {
    expectUnavailable(sdkError(name));
  });

  it('maps the SDK classes themselves', () => {
    const meta = { $metadata: {}, message: 'throttled' };
    expectUnavailable(new ProvisionedThroughputExceededException(meta));
    expectUnavailable(new InternalServerError(meta));
  });

  it('maps a transaction cancelled for throttling, not one cancelled for a condition or conflict', () => {
    expectUnavailable(cancelled('None', 'ThrottlingError'));
    expectUnavailable(cancelled('ProvisionedThroughputExceeded', 'None'));
    expectUnavailable(
      new TransactionCanceledException({
        $metadata: {},
        message: 'cancelled',
        CancellationReasons: [{ Code: 'ThrottlingError' }],
      }),
    );
    for (const error of [cancelled('ConditionalCheckFailed'), cancelled('TransactionConflict', 'None')])
      expect(mapStoreError(error)).toBe(error);
  });

  it('maps any server fault, modelled or only by status', () => {
    expectUnavailable(sdkError('InternalFailure', { $fault: 'server' }));
    expectUnavailable(sdkError('UnknownError', { $metadata: { httpStatusCode: 502 } }));
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH'])(
    'maps the network failure %s, on the error or on its cause',
    (code) => {
      expectUnavailable(networkError(code));
      expectUnavailable(new Error('request failed', { cause: networkError(code) }));
    },
  );

  it('keeps invalid input a client error: 413 for size, 400 otherwise', () => {
    const tooBig = mapStoreError(
      sdkError('ValidationException', { message: 'Item size has exceeded the maximum' }),
    );
    expect((tooBig as TrackerError).code).toBe('payloadTooLarge');
    const invalid = sdkError('ValidationException', { message: 'Key is empty' });
    const mapped = mapStoreError(invalid) as TrackerError;
    expect([mapped.code, mapped.status, mapped.cause]).toEqual(['badRequest', 400, invalid]);
    expect(mapped.message).toContain('Key is empty');
    expect((mapStoreError(cancelled('None', 'ValidationError')) as TrackerError).status).toBe(400);
  });

  it('leaves every other error as it is (a 500 upstream)', () => {
    const others = [
      sdkError('ResourceNotFoundException'),
      sdkError('AccessDeniedException'),
      sdkError('LimitExceededException'),
      sdkError('ConditionalCheckFailedException'),
      sdkError('TransactionConflictException'),
      networkError('ERR_SOMETHING_ELSE'),
      new Error('plain'),
      'a string',
      undefined,
      null,
    ];
    for (const error of others) expect(mapStoreError(error)).toBe(error);
  });

  it('passes domain errors through and still recognises condition failures', () => {
    const domain = conflict('taken');
    expect(mapStoreError(domain)).toBe(domain);
    expect(isConditionFailed(cancelled('None', 'ConditionalCheckFailed'))).toBe(true);
    expect(isConditionFailed(cancelled('ThrottlingError'))).toBe(false);
  });
});
