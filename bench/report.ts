/** Figures, the printed results table and the JSON results file. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Machine } from './machine.js';

/** One measured figure; `baseline` is the raw DynamoDB (or small-N) reference, `ratio` = value / baseline. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  /** A target the value should stay under (reported, never failed on). */
  goal?: Goal;
  /** What was measured and against what (printed under the table, not written to JSON). */
  about?: string;
}

/** The value should be below `below` (same unit), or the ratio at most `ratioAtMost` / at least `ratioAtLeast`. */
export type Goal =
  | { below: number; met: boolean }
  | { ratioAtMost: number; met: boolean }
  | { ratioAtLeast: number; met: boolean };

export function figure(name: string, value: number, unit: string, about: string, baseline?: number): Figure {
  if (baseline === undefined) return { name, value, unit, about };
  return { name, value, unit, baseline, ratio: value / baseline, about };
}

/** The figure with a goal: its value should stay below `below`. */
export const withGoal = (f: Figure, below: number): Figure => ({
  ...f,
  goal: { below, met: f.value < below },
});

/** The figure with a goal on its ratio: it should stay at most `atMost`. */
export const withRatioGoal = (f: Figure, atMost: number): Figure => ({
  ...f,
  goal: { ratioAtMost: atMost, met: f.ratio !== undefined && f.ratio <= atMost },
});

/** The figure with a goal on its ratio: it should be at least `atLeast`. */
export const withRatioAtLeast = (f: Figure, atLeast: number): Figure => ({
  ...f,
  goal: { ratioAtLeast: atLeast, met: f.ratio !== undefined && f.ratio >= atLeast },
});

function formatGoal({ goal, unit }: Figure): string {
  if (!goal) return '';
  const limit =
    'below' in goal
      ? `< ${goal.below.toLocaleString('en-US')} ${unit}`
      : 'ratioAtMost' in goal
        ? `ratio ≤ ${goal.ratioAtMost}`
        : `ratio ≥ ${goal.ratioAtLeast}`;
  return `${limit}: ${goal.met ? 'met' : 'MISSED'}`;
}

function formatNumber(value: number, unit: string): string {
  const digits = unit === 'ms' ? 2 : unit === 'RCU' ? 1 : value >= 100 ? 0 : 1;
  return `${value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })} ${unit}`;
}

export function formatTable(figures: readonly Figure[]): string {
  // The goal column only when some figure has a goal.
  const goals = figures.some((f) => f.goal);
  const rows = [
    ['figure', 'value', 'baseline', 'ratio', ...(goals ? ['goal'] : [])],
    ...figures.map((f) => [
      f.name,
      formatNumber(f.value, f.unit),
      f.baseline === undefined ? '' : formatNumber(f.baseline, f.unit),
      f.ratio === undefined ? '' : f.ratio.toFixed(2),
      ...(goals ? [formatGoal(f)] : []),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]) =>
    `| ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}

export function formatLegend(figures: readonly Figure[]): string {
  return figures
    .filter((f) => f.about)
    .map((f) => `- ${f.name}: ${f.about}`)
    .join('\n');
}

export interface Results {
  machine: Machine;
  date: string;
  quick: boolean;
  figures: Figure[];
}

export async function writeJson(file: string, results: Results): Promise<void> {
  const figures = results.figures.map(({ name, value, unit, baseline, ratio, goal }) => ({
    name,
    value,
    unit,
    ...(baseline === undefined ? {} : { baseline }),
    ...(ratio === undefined ? {} : { ratio }),
    ...(goal === undefined ? {} : { goal }),
  }));
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFile(file, `${JSON.stringify({ ...results, figures }, null, 2)}\n`);
}
