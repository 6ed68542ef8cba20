/** Text for numbers, sizes, times and durations, in one place. Pure. */

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** 1536 → "1.5 KB" (powers of 1024). */
export function formatBytes(bytes: number | undefined | null): string {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes)) return '—';
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

export const formatCount = (n: number) => n.toLocaleString('en-US');

/** 95_000 → "1 min 35 s"; rounded to the two largest units. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** "12 s ago", "3 min ago"; "never" for null. */
export function formatAgo(time: number | null | undefined, now: number): string {
  if (typeof time !== 'number') return 'never';
  const ms = now - time;
  return ms < 1000 ? 'just now' : `${formatDuration(ms)} ago`;
}

/** ISO-like local date and time to the second: "2026-05-04 14:03:07". */
export function formatTime(time: unknown): string {
  if (typeof time !== 'number' || !Number.isFinite(time)) return '—';
  const d = new Date(time);
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
  );
}

/** Compact: the time of day for today's times, else the date (the full time goes in a tooltip). */
export function formatShortTime(time: unknown, now = Date.now()): string {
  const full = formatTime(time);
  if (full === '—') return full;
  return full.slice(0, 10) === formatTime(now).slice(0, 10) ? full.slice(11) : full.slice(0, 10);
}

/** A key's value for display: strings as they are, the rest as compact JSON. */
export function formatValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
