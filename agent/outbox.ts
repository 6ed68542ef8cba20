/**
 * Transfer results waiting to reach the tracker. Each batch is appended to a journal in the state dir
 * (and synced) before it is sent, so a tracker outage or the agent's own crash loses none: the next
 * flush sends them again (the tracker applies a result only while the site holds the claim, so a
 * repeat is harmless). Results the tracker refuses (the claim was lost) are dropped and logged.
 */
import { appendFile, readFile, rename, writeFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { ApiError } from '../client/errors.js';
import type { TransferResult } from './tracker.js';

/** The tracker takes at most 1,000 results per request. */
const BATCH = 1000;
/** Answers that refuse the results themselves (bad, unknown or unclaimed): sending them again cannot help. */
const REFUSALS = new Set([400, 404, 409, 413]);

export class Outbox {
  private pending: TransferResult[] = [];
  /** Journal writes, and flushes: each waits for the one before, so none interleave. */
  private readonly writes = serial();
  private readonly flushes = serial();

  constructor(
    private readonly file: string,
    private readonly send: (results: TransferResult[]) => Promise<(string | null)[]>,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.pending.length;
  }

  /** Loads results a previous run could not send. */
  async load(): Promise<void> {
    const text = await readFile(this.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    this.pending = text
      .split('\n')
      .filter(Boolean)
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as TransferResult];
        } catch {
          return []; // a torn last line from a crash mid-append
        }
      });
  }

  /** Journals the results; they are sent by the next flush. */
  async add(results: TransferResult[]): Promise<void> {
    if (results.length === 0) return;
    await this.writes(async () => {
      await appendFile(this.file, results.map((r) => JSON.stringify(r) + '\n').join(''), { flush: true });
      this.pending.push(...results);
    });
  }

  /**
   * Sends everything pending; throws (keeping what is unsent) when the tracker cannot be reached.
   * May run while the next round adds results: flushes queue behind one another.
   */
  flush(): Promise<number> {
    return this.flushes(() => this.flushNow());
  }

  private async flushNow(): Promise<number> {
    let sent = 0;
    while (this.pending.length > 0) {
      const batch = this.pending.slice(0, BATCH);
      try {
        const applied = await this.send(batch);
        const refused = batch.filter((_, i) => applied[i] === null);
        if (refused.length)
          this.log.warn({ refused: refused.map((r) => r._id) }, 'results refused: the claims were lost');
      } catch (error) {
        // Kept for later: the tracker is down or busy, or the token is refused (fixable by an admin).
        if (!(error instanceof ApiError) || !REFUSALS.has(error.status)) throw error;
        this.log.warn(
          { status: error.status, ids: batch.map((r) => r._id), err: error.message },
          'results refused',
        );
      }
      sent += batch.length;
      await this.writes(async () => {
        this.pending = this.pending.slice(batch.length); // results added meanwhile stay, at the end
        const temporary = `${this.file}.tmp`;
        await writeFile(temporary, this.pending.map((r) => JSON.stringify(r) + '\n').join(''), {
          flush: true,
        });
        await rename(temporary, this.file);
      });
    }
    return sent;
  }
}

/** A queue of async tasks run one after another; a failed task does not stop the ones after it. */
function serial() {
  let last: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = last.then(task);
    last = run.catch(() => {});
    return run;
  };
}
