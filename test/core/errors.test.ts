/** The error table's mappings: HTTP status and text, WebSocket frame, CLI exit codes. */
import { describe, expect, it } from 'vitest';
import {
  ERROR_TABLE,
  errorFrame,
  errorText,
  exitCodeForStatus,
  exitCodeMeanings,
  exitCodeOf,
  TrackerError,
  toTrackerError,
  unavailable,
  type ErrorCode,
} from '../../functions/core/errors.js';

const CODES = Object.keys(ERROR_TABLE) as ErrorCode[];

describe('error table', () => {
  it('lists every exit code of the damas man page, each with its meaning', () => {
    expect(exitCodeMeanings().map(([code]) => code)).toEqual([0, 1, 2, 3, 7, 40, 41, 43, 44, 49, 50, 60]);
    expect(new Map(exitCodeMeanings()).get(60)).toMatch(/405, 413, 431, 503/);
  });

  it('maps statuses to exit codes: 2xx 0, 207 7, listed statuses by row, others 60', () => {
    expect([200, 201, 207, 400, 401, 403, 404, 405, 409, 413, 500, 503, 418].map(exitCodeForStatus)).toEqual([
      0, 0, 7, 40, 41, 43, 44, 60, 49, 60, 50, 60, 60,
    ]);
  });

  it('gives every row an exit code, a frame and a text through its TrackerError', () => {
    for (const code of CODES) {
      const error = new TrackerError(code, `detail of ${code}`);
      expect(error.exitCode).toBe(ERROR_TABLE[code].exitCode);
      expect(exitCodeOf(error)).toBe(ERROR_TABLE[code].exitCode);
      const frame = errorFrame(error);
      expect(frame).toMatchObject({ type: 'error', code: ERROR_TABLE[code].frame });
      expect(errorText('Read', error)).toBe(`Read error: ${frame.message}`);
    }
    expect(new Set(CODES.map((c) => ERROR_TABLE[c].frame)).size).toBe(CODES.length);
  });

  it('shows client errors as they are and server errors by their title, keeping the cause', () => {
    expect(errorText('Read', new TrackerError('notFound', '/x does not exist'))).toBe(
      'Read error: /x does not exist',
    );
    const internal = toTrackerError(new Error('secret detail'));
    expect(internal.status).toBe(500);
    expect(errorText('Create', internal)).toBe('Create error: internal error');
    expect((internal.cause as Error).message).toBe('secret detail');
    const down = unavailable('DynamoDB unreachable', new Error('ECONNREFUSED'));
    expect(down.status).toBe(503);
    expect(errorFrame(down)).toEqual({
      type: 'error',
      code: 'unavailable',
      message: 'the database is unavailable or throttled; retry later',
    });
    expect((down.cause as Error).message).toBe('ECONNREFUSED');
  });

  it('gives anything else thrown the unknown exit code', () => {
    expect(exitCodeOf(new Error('x'))).toBe(60);
    expect(exitCodeOf({ status: 404 })).toBe(44);
    expect(exitCodeOf(undefined)).toBe(60);
  });
});
