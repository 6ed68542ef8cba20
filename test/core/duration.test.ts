import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../functions/core/duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1w', 604_800_000],
    ['1y', 31_557_600_000],
    ['1.5h', 5_400_000],
    ['.5s', 500],
    ['2 days', 172_800_000],
    ['3 Hours', 10_800_000],
    ['1D', 86_400_000],
    [' 10m ', 600_000],
  ])('%j → %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it('treats numbers as seconds and unit-less strings as milliseconds (jsonwebtoken/ms)', () => {
    expect(parseDuration(60)).toBe(60_000);
    expect(parseDuration(1.5)).toBe(1500);
    expect(parseDuration('120')).toBe(120);
  });

  it.each(['', 'abc', '1x', '-1h', '1h30m', '1e3', 'h', '1..2s', '0', '0s', 'Infinity', 'NaN', '1 month'])(
    'rejects %j',
    (input) => {
      expect(() => parseDuration(input)).toThrow(RangeError);
    },
  );

  it('rejects non-positive, non-finite and oversized input', () => {
    for (const bad of [0, -5, Number.NaN, Infinity, 1e300])
      expect(() => parseDuration(bad)).toThrow(RangeError);
    expect(() => parseDuration('1'.repeat(101))).toThrow(RangeError);
    expect(() => parseDuration(null as unknown as string)).toThrow(RangeError);
  });

  it('gives a useful message', () => {
    expect(() => parseDuration('soon')).toThrow(/invalid duration "soon".*1d/);
  });
});
