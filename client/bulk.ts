/**
 * Many elements in few requests: splits a list into batches bounded by count and JSON size, sends
 * a few batches at a time, and merges the answers into one damas-style reply (input order, null
 * where an element failed; 207 when some failed).
 */
import pLimit from 'p-limit';
import { resultStatus } from '../functions/core/nodes.js';
import { ApiError } from './errors.js';
import type { ApiReply } from './transport.js';

/** Elements per request unless told otherwise. */
export const BATCH_ITEMS = 500;

export interface BatchLimits {
  /** Elements per request. Default BATCH_ITEMS. */
  maxItems?: number;
  /** JSON bytes per request (the API accepts 6 MB). Default 1 MB. */
  maxBytes?: number;
}

export interface BulkOptions<I, R> extends BatchLimits {
  /** Status of a full success (200, or 201 for creations). */
  success: number;
  /** What the server answers when every element of a request failed (404, or 409 for creations). */
  allFailed: number;
  /** Requests in flight. Default 4. */
  concurrency?: number;
  /** Per-element results of one batch from its reply body (default: the body array, or the body for each). */
  results?: (batch: I[], body: unknown) => (R | null)[];
  onProgress?: (done: number, total: number) => void;
}

/** Splits `items` into batches of at most `maxItems` elements and about `maxBytes` of JSON. */
export function batches<I>(items: readonly I[], limits: BatchLimits = {}): I[][] {
  const maxItems = limits.maxItems ?? BATCH_ITEMS;
  const maxBytes = limits.maxBytes ?? 1024 * 1024;
  const out: I[][] = [];
  let current: I[] = [];
  let bytes = 2;
  for (const item of items) {
    const size = Buffer.byteLength(JSON.stringify(item)) + 1;
    if (current.length > 0 && (current.length >= maxItems || bytes + size > maxBytes)) {
      out.push(current);
      current = [];
      bytes = 2;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

const defaultResults = <R>(batch: unknown[], body: unknown): (R | null)[] =>
  Array.isArray(body) ? (body as (R | null)[]) : batch.map(() => body as R);

/**
 * Sends `items` in batches through `send`. A batch the server refuses as all-failed (404/409)
 * counts as nulls; any other error stops everything and is thrown. When every element failed,
 * the last all-failed error is thrown, as a single request would.
 */
export async function sendInBatches<I, R>(
  items: readonly I[],
  send: (batch: I[]) => Promise<ApiReply<unknown>>,
  options: BulkOptions<I, R>,
): Promise<ApiReply<(R | null)[]>> {
  const groups = batches(items, options);
  const toResults = options.results ?? defaultResults<R>;
  const limit = pLimit(options.concurrency ?? 4);
  let done = 0;
  let allFailedError: ApiError | undefined;
  let stopped = false;
  options.onProgress?.(0, items.length);
  const answers = await Promise.all(
    groups.map((batch) =>
      limit(async () => {
        if (stopped) return [];
        let results: (R | null)[];
        try {
          results = toResults(batch, (await send(batch)).body);
        } catch (error) {
          if (!(error instanceof ApiError) || error.status !== options.allFailed) {
            stopped = true; // the batches still queued are not sent
            throw error;
          }
          allFailedError = error;
          results = batch.map(() => null);
        }
        done += batch.length;
        options.onProgress?.(done, items.length);
        return results;
      }),
    ),
  );
  const merged = answers.flat();
  const status = resultStatus(merged, options.success, options.allFailed);
  if (status === options.allFailed && allFailedError) throw allFailedError;
  return { status, body: merged };
}
