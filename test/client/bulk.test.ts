/** Batching: split by count and bytes, merge answers in order, damas statuses over the whole list. */
import { describe, expect, it } from 'vitest';
import { batches, sendInBatches } from '../../client/bulk.js';
import { ApiError } from '../../client/errors.js';

const notFound = () => new ApiError(404, 'Read error: none of the nodes exist', 'POST', 'http://t/api/read/');

describe('batches', () => {
  it('splits by element count', () => {
    expect(batches([1, 2, 3, 4, 5], { maxItems: 2 })).toEqual([[1, 2], [3, 4], [5]]);
    expect(batches([], { maxItems: 2 })).toEqual([]);
  });

  it('splits by JSON size, and an oversized element still goes alone', () => {
    const big = 'x'.repeat(50);
    expect(batches(['a', big, 'b', 'c'], { maxItems: 10, maxBytes: 20 })).toEqual([['a'], [big], ['b', 'c']]);
  });
});

describe('sendInBatches', () => {
  /** Reads ids that exist in `stored`, answering like the tracker (null when missing, 404 when all are). */
  const store = new Set(['a', 'b', 'd']);
  const sent: string[][] = [];
  const readLike = async (batch: string[]) => {
    sent.push(batch);
    const body = batch.map((id) => (store.has(id) ? { _id: id } : null));
    if (body.every((n) => n === null)) throw notFound();
    return { status: body.includes(null) ? 207 : 200, body };
  };
  const options = { success: 200, allFailed: 404, maxItems: 2 };

  it('merges the answers in input order; some nulls make it 207', async () => {
    sent.length = 0;
    const progress: number[] = [];
    const reply = await sendInBatches(['a', 'x', 'y', 'b', 'd'], readLike, {
      ...options,
      concurrency: 1,
      onProgress: (done) => progress.push(done),
    });
    expect(sent).toEqual([['a', 'x'], ['y', 'b'], ['d']]);
    expect(reply).toEqual({ status: 207, body: [{ _id: 'a' }, null, null, { _id: 'b' }, { _id: 'd' }] });
    expect(progress).toEqual([0, 2, 4, 5]);
  });

  it('a batch refused as all-failed counts as nulls; all failed throws that error', async () => {
    const partial = await sendInBatches(['x', 'y', 'a'], readLike, options);
    expect(partial).toEqual({ status: 207, body: [null, null, { _id: 'a' }] });
    await expect(sendInBatches(['x', 'y', 'z'], readLike, options)).rejects.toMatchObject({ status: 404 });
    expect(await sendInBatches(['a', 'b'], readLike, options)).toEqual({
      status: 200,
      body: [{ _id: 'a' }, { _id: 'b' }],
    });
  });

  it('a single-value answer stands for every element of its batch', async () => {
    const reply = await sendInBatches(['a', 'b', 'c'], async () => ({ status: 200, body: true }), options);
    expect(reply).toEqual({ status: 200, body: [true, true, true] });
  });

  it('any other error stops: batches not yet sent are not sent', async () => {
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new ApiError(403, 'Read error: forbidden', 'POST', 'http://t/api/read/');
    };
    await expect(
      sendInBatches([1, 2, 3, 4, 5, 6], failing, { ...options, concurrency: 1 }),
    ).rejects.toMatchObject({
      status: 403,
    });
    expect(calls).toBe(1);
  });
});
