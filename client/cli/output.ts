/** What the CLI prints: compact JSON results, `-l` JSON lines, colours and the progress bar. */
import { styleText } from 'node:util';

export type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** Compact JSON, as damas-core answers; with `lines`, one array item per line. */
export function formatResult(body: unknown, lines: boolean): string {
  if (!lines) return `${JSON.stringify(body)}\n`;
  return itemsOf(body)
    .map((item) => `${JSON.stringify(item)}\n`)
    .join('');
}

/** Arrays give their items; a search_mongo answer `{count, ids}` gives its ids. */
function itemsOf(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  if (typeof body === 'object' && body !== null && Array.isArray((body as { ids?: unknown }).ids)) {
    return (body as { ids: unknown[] }).ids;
  }
  return [body];
}

type Style = Parameters<typeof styleText>[0];
export type Paint = (style: Style, text: string) => string;

/** Colours only on a terminal, and never when NO_COLOR is set. */
export function painter(stream: Stream, env: NodeJS.ProcessEnv): Paint {
  const colour = Boolean(stream.isTTY) && !env.NO_COLOR;
  return (style, text) => (colour ? styleText(style, text) : text);
}

/**
 * A table's lines: cells padded to their column's widest (the last column is not padded), two
 * spaces apart; the header row (`rows[0]`) in bold, the other cells in the style `colour` names.
 */
export function columns(
  rows: readonly (readonly string[])[],
  paint: Paint,
  colour: (column: number, cell: string) => Style | undefined = () => undefined,
): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: readonly string[], header: boolean) =>
    row
      .map((cell, i) => {
        const padded = i === row.length - 1 ? cell : cell.padEnd(widths[i]!);
        const style = header ? undefined : colour(i, cell);
        return style ? paint(style, padded) : padded;
      })
      .join('  ');
  return [paint('bold', line(rows[0]!, true)), ...rows.slice(1).map((row) => line(row, false))];
}

export interface Progress {
  update(done: number, total: number): void;
  /** Erases the bar. */
  finish(): void;
}

const NO_PROGRESS: Progress = { update: () => {}, finish: () => {} };
const WIDTH = 30;

/** A one-line bar redrawn in place on a terminal; nothing at all when disabled or not a TTY. */
export function progressBar(stream: Stream, label: string, enabled: boolean): Progress {
  if (!enabled || !stream.isTTY) return NO_PROGRESS;
  let shown = -1;
  let drawn = false;
  return {
    update(done, total) {
      const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
      if (percent === shown) return;
      shown = percent;
      const filled = Math.round((percent / 100) * WIDTH);
      stream.write(
        `\r${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${percent}% ${done}/${total}`,
      );
      drawn = true;
    },
    finish() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
