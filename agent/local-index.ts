/**
 * What the agent last saw and told the tracker, per path: size and mtime, so an unchanged rescan
 * compares and publishes nothing. Kept in the state dir as one line per path (`size mtime flag
 * "json path"`), written whole to a temporary file then renamed, so a crash leaves the old index.
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
  readonly entries = new Map<string, Entry>();
  /** Incremented by each scan. */
  round = 0;

  constructor(private readonly file: string) {}

  /** Key: the path from the root, with a trailing `/` for a package folder (as in the file id). */
  get(key: string): Entry | undefined {
    return this.entries.get(key);
  }

  set(key: string, size: number, mtime: number): void {
    this.entries.set(key, new Entry(size, mtime, this.round));
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
  }

  async save(): Promise<void> {
    const parts: string[] = [];
    for (const [key, e] of this.entries)
      parts.push(`${e.size} ${e.mtime} ${e.missing ? 'm' : '-'} ${JSON.stringify(key)}\n`);
    const temporary = `${this.file}.${process.pid}.tmp`;
    await writeFile(temporary, parts.join(''));
    await rename(temporary, this.file);
  }
}
