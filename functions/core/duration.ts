// Duration parsing for `expiresIn` and similar options, matching jsonwebtoken / `ms` semantics:
// - a number is a count of SECONDS (jsonwebtoken's expiresIn): 60 → 60 000 ms;
// - a string is a number with an optional unit; WITHOUT a unit it means MILLISECONDS
//   ("120" → 120 ms, as `ms` and jsonwebtoken do). Form-encoded bodies deliver strings, so
//   clients must write "3600s" rather than "3600" for an hour.
// Units (case-insensitive, optional space): ms, s, m, h, d, w, y (365.25 d), plus their long
// forms (msecs, seconds, mins, hours, days, weeks, years…). Decimals are allowed ("1.5h").
// Unlike `ms`, zero and negative durations are rejected. Upper bounds are the caller's job.

const D = 86_400_000;
const UNIT_NAMES: [number, string[]][] = [
  [1, ['ms', 'msec', 'msecs', 'millisecond', 'milliseconds']],
  [1000, ['s', 'sec', 'secs', 'second', 'seconds']],
  [60_000, ['m', 'min', 'mins', 'minute', 'minutes']],
  [3_600_000, ['h', 'hr', 'hrs', 'hour', 'hours']],
  [D, ['d', 'day', 'days']],
  [7 * D, ['w', 'week', 'weeks']],
  [365.25 * D, ['y', 'yr', 'yrs', 'year', 'years']],
];
const UNITS = new Map(UNIT_NAMES.flatMap(([ms, names]) => names.map((n) => [n, ms] as const)));

const PATTERN = /^(\d+(?:\.\d+)?|\.\d+) *([a-z]+)?$/i;

/** Parses a duration into whole milliseconds; throws RangeError when invalid or not positive. */
export function parseDuration(s: string | number): number {
  let ms: number;
  if (typeof s === 'number') {
    ms = s * 1000;
  } else if (typeof s === 'string' && s.length <= 100) {
    const match = PATTERN.exec(s.trim());
    const unit = match ? UNITS.get((match[2] ?? 'ms').toLowerCase()) : undefined;
    if (!match || unit === undefined) {
      throw new RangeError(`invalid duration ${JSON.stringify(s)}: expected e.g. 30s, 10m, 2h, 1d, 1w`);
    }
    ms = Number(match[1]) * unit;
  } else {
    throw new RangeError('invalid duration: expected seconds as a number or a short string such as "1d"');
  }
  ms = Math.round(ms);
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new RangeError(`invalid duration ${String(s)}: must be positive and finite`);
  }
  return ms;
}
