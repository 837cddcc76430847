/**
 * Typing of query values (numbers, dates), shared by both compilers so that the local store
 * and OpenSearch compare against exactly the same number or instant.
 */

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A decimal number (`42`, `-1.5`, `2e3`), or undefined. */
export function parseNumber(text: string): number | undefined {
  if (!NUMBER.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * A date as the span of time it names: `2026-01-05` is that whole day (UTC), `2026-01-05T10:30`
 * that minute, a full timestamp one millisecond. `end` is exclusive. With the span, every
 * comparison has one meaning on both back ends (and the one OpenSearch gives partial dates):
 * `t:D` is start ≤ t < end, `t >= D` is t ≥ start, `t > D` is t ≥ end, `t < D` is t < start,
 * `t <= D` is t < end.
 */
export interface DateSpan {
  start: number;
  end: number;
}

const DATE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?$/;

function utc(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  const date = new Date(0);
  // setUTCFullYear keeps years below 100 literal (Date.UTC would read 99 as 1999).
  date.setUTCFullYear(y, mo, d);
  date.setUTCHours(h, mi, s, ms);
  return date.getTime();
}

/** Earliest and latest instants a timestamp may name: years 0001 to 9999. */
const MIN_MS = utc(1, 0, 1, 0, 0, 0, 0);
const MAX_MS = utc(9999, 11, 31, 23, 59, 59, 999);

function daysIn(year: number, month: number): number {
  return new Date(utc(year, month + 1, 0, 0, 0, 0, 0)).getUTCDate();
}

/**
 * Parses `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, then optionally `THH`, `:mm`, `:ss`, `.fraction`
 * and a zone (`Z`, `+02:00`; none means UTC), or epoch milliseconds (more than 4 digits).
 * Returns undefined for anything else, including impossible dates like `2026-02-30`.
 */
export function parseDateSpan(text: string): DateSpan | undefined {
  if (/^-?\d{5,}$/.test(text)) {
    const ms = Number(text);
    if (!Number.isSafeInteger(ms) || ms < MIN_MS || ms >= MAX_MS) return undefined;
    return { start: ms, end: ms + 1 };
  }
  const m = DATE.exec(text);
  if (!m) return undefined;
  const [, ys, mos, ds, hs, mis, ss, fs, zone] = m;
  const y = Number(ys);
  const mo = mos === undefined ? 1 : Number(mos);
  const d = ds === undefined ? 1 : Number(ds);
  const h = hs === undefined ? 0 : Number(hs);
  const mi = mis === undefined ? 0 : Number(mis);
  const s = ss === undefined ? 0 : Number(ss);
  const ms = fs === undefined ? 0 : Number(fs.slice(0, 3).padEnd(3, "0"));
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo - 1) || h > 23 || mi > 59 || s > 59) {
    return undefined;
  }
  let offsetMs = 0;
  if (zone !== undefined && zone !== "Z") {
    const digits = zone.slice(1).replace(":", "");
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (oh > 23 || om > 59) return undefined;
    offsetMs = (zone.startsWith("-") ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  const start = utc(y, mo - 1, d, h, mi, s, ms) - offsetMs;
  // The span ends where the least significant component the text gave rolls over.
  const end =
    fs !== undefined
      ? start + 1
      : utc(
          y + (mos === undefined ? 1 : 0),
          mo - 1 + (mos !== undefined && ds === undefined ? 1 : 0),
          d + (ds !== undefined && hs === undefined ? 1 : 0),
          h + (hs !== undefined && mis === undefined ? 1 : 0),
          mi + (mis !== undefined && ss === undefined ? 1 : 0),
          s + (ss !== undefined ? 1 : 0),
          ms,
        ) - offsetMs;
  // `end` is printed too, so it must stay a four-digit year as well.
  if (start < MIN_MS || end > MAX_MS) return undefined;
  return { start, end };
}

/** ISO-8601 UTC with milliseconds, as OpenSearch takes it: `2026-01-05T10:30:00.000Z`. */
export function isoMillis(ms: number): string {
  return new Date(ms).toISOString();
}

/** DuckDB `TIMESTAMP` text in UTC (the store keeps UTC without a zone): `2026-01-05 10:30:00.000`. */
export function sqlTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace("Z", "");
}
