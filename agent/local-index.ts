/**
 * What the agent last saw and told the tracker, per path: size and mtime, so an unchanged rescan
 * compares and publishes nothing. Kept in the state dir as one line per path (`size mtime flag
 * "json path"`), written whole to a temporary file then renamed, so a crash leaves the old index;
 * written only when something changed (a 100k-file index is megabytes, and rounds are frequent).
 */
import { readFile, rename, writeFile } from 'node:fs/promises';

export class Entry {
  constructor(
    public size: number,
    public mtime: number,
    /** The scan round that last found it. */
    public seen: number,
    /** Marked missing on the tracker. */
    public missing = false,
  ) {}
}

export class LocalIndex {
  /** Read here; changed through set, delete and setMissing, so that save knows. */
  readonly entries = new Map<string, Entry>();
  /** Incremented by each scan. */
  round = 0;
  /** Something to write: a change since the last load or save (a new index is not written yet). */
  private changed = true;

  constructor(private readonly file: string) {}

  /** Key: the path from the root, with a trailing `/` for a package folder (as in the file id). */
  get(key: string): Entry | undefined {
    return this.entries.get(key);
  }

  set(key: string, size: number, mtime: number): void {
    this.entries.set(key, new Entry(size, mtime, this.round));
    this.changed = true;
  }

  delete(key: string): void {
    if (this.entries.delete(key)) this.changed = true;
  }

  /** Records that the tracker marks this path missing (or present again). */
  setMissing(key: string, missing: boolean): void {
    const entry = this.entries.get(key);
    if (!entry || entry.missing === missing) return;
    entry.missing = missing;
    this.changed = true;
  }

  async load(): Promise<void> {
    const text = await readFile(this.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    // Split on \n only: JSON keeps \u2028 and \r raw inside a path, which readline would split on.
    for (const line of text.split('\n')) {
      const entry = /^(\d+) (\d+) ([m-]) (".*")$/s.exec(line);
      if (!entry) continue; // a torn line (a crash mid-write): that path is simply scanned as new
      try {
        const [, size, mtime, flag, path] = entry;
        this.entries.set(
          JSON.parse(path!) as string,
          new Entry(Number(size), Number(mtime), 0, flag === 'm'),
        );
      } catch {
        continue;
      }
    }
    this.changed = false;
  }

  /** Writes the index when it changed since it was loaded or last saved. */
  async save(): Promise<void> {
    if (!this.changed) return;
    const parts: string[] = [];
    for (const [key, e] of this.entries)
      parts.push(`${e.size} ${e.mtime} ${e.missing ? 'm' : '-'} ${JSON.stringify(key)}\n`);
    this.changed = false; // a change made while this one is written is written by the next save
    const temporary = `${this.file}.${process.pid}.tmp`;
    try {
      await writeFile(temporary, parts.join(''));
      await rename(temporary, this.file);
    } catch (error) {
      this.changed = true;
      throw error;
    }
  }
}
