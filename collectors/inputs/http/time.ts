/**
 * Event-time extraction from a record as clients send it. Pure, so transforms can reuse it on
 * records that arrived through other inputs.
 */

/** Fields that commonly carry the event time, in the order they are tried. */
export const TIME_FIELDS = ["@timestamp", "timestamp", "time", "ts"] as const;

/** Largest magnitude a JavaScript Date can hold, epoch milliseconds. */
const MAX_DATE_MS = 8.64e15;

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?$/;

const DECIMAL = /^\d+(?:\.\d+)?$/;

function fromIso(text: string): number | undefined {
  const m = ISO_8601.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "", , sign, oh = "0", om = "0"] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  // A leap second (:60) is folded into :59 rather than rejected; it is still the right minute.
  const second = Math.min(Number(s), 59);
  // Before 1970 is not a log time (and Date.UTC would read years below 100 as 19xx).
  if (year < 1970 || month < 1 || month > 12 || day < 1) return undefined;
  if (hour > 23 || minute > 59 || Number(s) > 60) return undefined;
  if (Number(oh) > 23 || Number(om) > 59) return undefined;
  // Nanosecond fractions (RFC 3339 from Go, OpenTelemetry) are kept to the millisecond.
  const millis = Math.floor(Number(`0.${frac || "0"}`) * 1000);
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC rolls 2024-02-31 over into March; such a date is a typo, not a time.
  const check = new Date(utc);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return undefined;
  // No offset means UTC: a server cannot know the client's local zone.
  const offset = sign ? (sign === "-" ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000 : 0;
  const ms = utc - offset;
  return ms > 0 ? ms : undefined;
}

function fromEpoch(value: number): number | undefined {
  if (!Number.isFinite(value) || value <= 0) return undefined;
  // Magnitude tells the unit: 1e11 s is the year 5138, so anything larger is finer than seconds.
  let ms: number;
  if (value > 1e17) ms = value / 1e6;
  else if (value > 1e14) ms = value / 1e3;
  else if (value > 1e11) ms = value;
  else ms = value * 1000;
  ms = Math.floor(ms);
  return ms <= MAX_DATE_MS ? ms : undefined;
}

/**
 * Reads one time value: an ISO-8601 / RFC 3339 string (no offset means UTC) or an epoch number
 * (or a string of digits) in seconds, milliseconds, microseconds or nanoseconds, told apart by
 * magnitude (values above 1e11 are milliseconds). Answers epoch milliseconds, or `undefined`
 * when the value is not a usable time.
 */
export function parseEventTime(value: unknown): number | undefined {
  if (typeof value === "number") return fromEpoch(value);
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (text.length === 0 || text.length > 64) return undefined;
  if (DECIMAL.test(text)) return fromEpoch(Number(text));
  return fromIso(text);
}

/**
 * The event time of a record: the first of `@timestamp`, `timestamp`, `time`, `ts` that holds a
 * usable time, else `fallback` (the receipt time). The record is not modified.
 */
export function extractEventTime(record: Readonly<Record<string, unknown>>, fallback: number): number {
  for (const field of TIME_FIELDS) {
    if (!Object.hasOwn(record, field)) continue;
    const time = parseEventTime(record[field]);
    if (time !== undefined) return time;
  }
  return fallback;
}
