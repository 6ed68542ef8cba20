/** How many pairs a transfer round claims, and so when the agent's loop knows more are waiting. */
import { describe, expect, it } from 'vitest';
import { claimLimit } from '../../../agent/transfer.js';

describe('claimLimit', () => {
  it('is the volume amount of the direction, 10 without one', () => {
    const volume = { _id: 'vol-a', syncAmountReception: 3, syncAmountEmission: 7 };
    expect(claimLimit(volume, 'reception')).toBe(3);
    expect(claimLimit(volume, 'emission')).toBe(7);
    expect(claimLimit({ _id: 'vol-a' }, 'reception')).toBe(10);
    expect(claimLimit({ _id: 'vol-a' }, 'emission')).toBe(10);
  });

  it('is at most 100, what the tracker grants a claim', () => {
    expect(claimLimit({ _id: 'vol-a', syncAmountReception: 250 }, 'reception')).toBe(100);
  });

  it.each([['5'], [2.5], [null], [Number.NaN]])('ignores an amount of %j', (amount) => {
    expect(claimLimit({ _id: 'vol-a', syncAmountReception: amount }, 'reception')).toBe(10);
  });

  it('keeps 0 and negative amounts: the direction is off', () => {
    expect(claimLimit({ _id: 'vol-a', syncAmountEmission: 0 }, 'emission')).toBe(0);
    expect(claimLimit({ _id: 'vol-a', syncAmountEmission: -1 }, 'emission')).toBe(-1);
  });
});
