/** The outbox on a real journal file, with a fake `send` standing in for the tracker. */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Outbox } from '../../../agent/outbox.js';
import type { TransferResult } from '../../../agent/tracker.js';
import { ApiError, UnreachableError } from '../../../client/errors.js';

const log = pino({ level: 'silent' });
let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-outbox-'));
  file = join(dir, 'outbox.jsonl');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const results = (n: number, from = 0): TransferResult[] =>
  Array.from({ length: n }, (_, i): TransferResult => {
    const id = `/shots/f${from + i}.exr`;
    return (from + i) % 3 === 2
      ? { _id: id, destination: 'C', error: 23, message: `missing "quoted"\nline ${from + i}` }
      : { _id: id, ok: true };
  });

/** A fake tracker: records each batch, answers from `answer` (default: every result applied). */
const tracker = (answer?: (batch: TransferResult[], call: number) => (string | null)[]) => {
  const batches: TransferResult[][] = [];
  const send = async (batch: TransferResult[]) => {
    batches.push(batch);
    return answer ? answer(batch, batches.length) : batch.map((r) => r._id);
  };
  return { batches, send };
};

/** An outbox whose tracker holds every answer until `release` is called. */
const gatedOutbox = () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const batches: TransferResult[][] = [];
  const send = async (batch: TransferResult[]) => {
    batches.push(batch);
    await gate;
    return batch.map((r) => r._id);
  };
  return { batches, outbox: new Outbox(file, send, log), release };
};

const journal = async () => {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as TransferResult);
};
const unreachable = () =>
  new UnreachableError('http://127.0.0.1:1/api/results', new Error('connect ECONNREFUSED 127.0.0.1:1'));

describe('Outbox', () => {
  it('journals results before anything is sent, and a new outbox loads them', async () => {
    const first = tracker();
    const outbox = new Outbox(file, first.send, log);
    await outbox.add(results(3));
    await outbox.add(results(2, 3));
    expect(first.batches).toHaveLength(0);
    expect(outbox.size).toBe(5);
    expect(await journal()).toEqual(results(5));

    const second = tracker();
    const restarted = new Outbox(file, second.send, log);
    await restarted.load();
    expect(restarted.size).toBe(5);
    await expect(restarted.flush()).resolves.toBe(5);
    expect(second.batches).toEqual([results(5)]);
    expect(restarted.size).toBe(0);
    expect(await journal()).toEqual([]);
    expect(await readdir(dir)).toEqual(['outbox.jsonl']);
  });

  it('loads nothing when there is no journal, and flushes nothing', async () => {
    const fake = tracker();
    const outbox = new Outbox(file, fake.send, log);
    await outbox.load();
    expect(outbox.size).toBe(0);
    await expect(outbox.flush()).resolves.toBe(0);
    expect(fake.batches).toHaveLength(0);
  });

  it('does not touch the journal for an empty add', async () => {
    const outbox = new Outbox(file, tracker().send, log);
    await outbox.add([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('keeps everything when the tracker is unreachable, in memory and on disk', async () => {
    const outbox = new Outbox(file, async () => Promise.reject(unreachable()), log);
    await outbox.add(results(4));
    await expect(outbox.flush()).rejects.toBeInstanceOf(UnreachableError);
    expect(outbox.size).toBe(4);
    expect(await journal()).toEqual(results(4));

    const later = tracker();
    const restarted = new Outbox(file, later.send, log);
    await restarted.load();
    await expect(restarted.flush()).resolves.toBe(4);
    expect(later.batches).toEqual([results(4)]);
  });

  it.each([500, 502, 503, 429])('keeps everything on a %i answer', async (status) => {
    const error = new ApiError(status, 'Results error: try later', 'POST', 'http://t/api/results');
    const outbox = new Outbox(file, async () => Promise.reject(error), log);
    await outbox.add(results(2));
    await expect(outbox.flush()).rejects.toBe(error);
    expect(outbox.size).toBe(2);
    expect(await journal()).toEqual(results(2));
  });

  it('drops a batch the tracker refuses with 409, and goes on with the next', async () => {
    const fake = tracker((batch, call) => {
      if (call === 1) throw new ApiError(409, 'Results error: claim lost', 'POST', 'http://t/api/results');
      return batch.map((r) => r._id);
    });
    const outbox = new Outbox(file, fake.send, log);
    await outbox.add(results(1500));
    await expect(outbox.flush()).resolves.toBe(1500);
    expect(fake.batches.map((b) => b.length)).toEqual([1000, 500]);
    expect(outbox.size).toBe(0);
    expect(await journal()).toEqual([]);
    await expect(outbox.flush()).resolves.toBe(0);
    expect(fake.batches).toHaveLength(2);
  });

  it('drops the results a 207-like answer refuses (null) with the applied ones', async () => {
    const fake = tracker((batch) => batch.map((r, i) => (i % 2 ? null : r._id)));
    const outbox = new Outbox(file, fake.send, log);
    await outbox.add(results(6));
    await expect(outbox.flush()).resolves.toBe(6);
    expect(outbox.size).toBe(0);
    expect(await journal()).toEqual([]);
    await outbox.flush();
    expect(fake.batches).toHaveLength(1);
  });

  it('sends more than 1,000 results in order, in batches of 1,000', async () => {
    const fake = tracker();
    const outbox = new Outbox(file, fake.send, log);
    await outbox.add(results(2500));
    await expect(outbox.flush()).resolves.toBe(2500);
    expect(fake.batches.map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(fake.batches.flat()).toEqual(results(2500));
  });

  it('journals the batches already sent when the tracker goes away mid-flush', async () => {
    const fake = tracker((batch, call) => {
      if (call === 2) throw unreachable();
      return batch.map((r) => r._id);
    });
    const outbox = new Outbox(file, fake.send, log);
    await outbox.add(results(2500));
    await expect(outbox.flush()).rejects.toBeInstanceOf(UnreachableError);
    expect(outbox.size).toBe(1500);
    expect(await journal()).toEqual(results(1500, 1000));

    const restarted = new Outbox(file, tracker().send, log);
    await restarted.load();
    expect(restarted.size).toBe(1500);
  });

  it('keeps results added while a flush is waiting on the tracker', async () => {
    const { batches, outbox, release } = gatedOutbox();
    await outbox.add(results(2));
    const flushing = outbox.flush();
    await new Promise((resolve) => setImmediate(resolve));
    await outbox.add(results(1, 2));
    release();
    await expect(flushing).resolves.toBe(3);
    expect(batches).toEqual([results(2), results(1, 2)]);
    expect(outbox.size).toBe(0);
  });

  it('queues a flush behind one in flight, so no result is sent twice', async () => {
    const { batches, outbox, release } = gatedOutbox();
    await outbox.add(results(2));
    const first = outbox.flush();
    await outbox.add(results(1, 2));
    const second = outbox.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toHaveLength(1); // the second waits for the first
    release();
    expect([await first, await second]).toEqual([3, 0]);
    expect(batches).toEqual([results(2), results(1, 2)]);
    expect(await journal()).toEqual([]);
  });

  it('ignores a torn last line (a crash mid-append)', async () => {
    const [a, b] = results(2);
    await writeFile(file, `${JSON.stringify(a)}\n${JSON.stringify(b)}\n{"_id":"/shots/torn.exr","ok":tr`);
    const fake = tracker();
    const outbox = new Outbox(file, fake.send, log);
    await outbox.load();
    expect(outbox.size).toBe(2);
    await expect(outbox.flush()).resolves.toBe(2);
    expect(fake.batches).toEqual([[a, b]]);
    expect(await journal()).toEqual([]);
  });
});
