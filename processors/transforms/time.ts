/**
 * Event time parsing. Accepted forms:
 * - numbers (or numeric strings) since the epoch, unit chosen by magnitude: below 1e11 seconds
 *   (zap's float `ts`), below 1e14 milliseconds (pino `time`), below 1e17 microseconds, else
 *   nanoseconds;
 * - ISO 8601 / RFC 3339 date-times (`T` or space separator, optional fraction of any length,
 *   `Z`, `±HH:MM` or `±HHMM`); without a zone they are read as UTC, so the result never depends
 *   on the machine's time zone;
 * - `Date` objects (what a msgpack timestamp decodes to).
 * Anything else, or a time outside years 0000–9999, is not a time.
 */

/** Largest epoch millisecond whose ISO form still has a four-digit year. */
export const MAX_TIME_MS = 253_402_300_799_999;

const ISO = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const NUMERIC = /^\d{1,20}(?:\.\d{1,9})?$/;

/** True for epoch milliseconds that format as a schema timestamp. */
export function isValidTimeMs(ms: number): boolean {
  return Number.isFinite(ms) && ms >= 0 && ms <= MAX_TIME_MS;
}

function fromEpoch(n: number): number | undefined {
  if (!Number.isFinite(n) || n < 0) return undefined;
  let ms: number;
  if (n < 1e11) ms = n * 1000;
  else if (n < 1e14) ms = n;
  else if (n < 1e17) ms = n / 1e3;
  else ms = n / 1e6;
  ms = Math.floor(ms);
  return isValidTimeMs(ms) ? ms : undefined;
}

function fromIso(s: string): number | undefined {
  const m = ISO.exec(s);
  if (m === null) return undefined;
  let zone = m[3] ?? "Z";
  if (zone.length === 5) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${m[1]}T${m[2]!.replace(",", ".")}${zone.toUpperCase()}`);
  return isValidTimeMs(ms) ? ms : undefined;
}

// Most string times are already schema timestamps (`YYYY-MM-DDTHH:mm:ss.sssZ`), and events of
// one batch share a day: the day's epoch is parsed once and the time of day added up.
let parsedDayText = "";
let parsedDayMs = Number.NaN;

function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * Epoch milliseconds of a schema timestamp, undefined when `s` is not one (the general parser
 * then decides). The day part goes through `Date.parse` like the general parser, so both agree
 * on every date, rolled over or not.
 */
function fromSchemaTimestamp(s: string): number | undefined {
  if (
    s.length !== 24 ||
    s.charCodeAt(10) !== 84 || // T
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58 ||
    s.charCodeAt(19) !== 46 ||
    s.charCodeAt(23) !== 90 // Z
  )
    return undefined;
  const h = twoDigits(s, 11);
  const m = twoDigits(s, 14);
  const sec = twoDigits(s, 17);
  const centis = twoDigits(s, 20);
  const milli = s.charCodeAt(22) - 48;
  if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59 || centis < 0 || milli < 0 || milli > 9)
    return undefined;
  if (!s.startsWith(parsedDayText) || parsedDayText.length !== 10) {
    const day = s.slice(0, 10);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
    const dayMs = Date.parse(`${day}T00:00:00.000Z`);
    if (!Number.isFinite(dayMs)) return undefined;
    parsedDayText = day;
    parsedDayMs = dayMs;
  }
  const ms = parsedDayMs + h * 3_600_000 + m * 60_000 + sec * 1000 + centis * 10 + milli;
  return isValidTimeMs(ms) ? ms : undefined;
}

/** Epoch milliseconds of a raw time value, or undefined when it is not a usable time. */
export function parseEventTime(raw: unknown): number | undefined {
  if (typeof raw === "number") return fromEpoch(raw);
  if (typeof raw === "string") {
    if (raw.length > 64) return undefined;
    const schema = fromSchemaTimestamp(raw);
    if (schema !== undefined) return schema;
    const s = raw.trim();
    if (NUMERIC.test(s)) return fromEpoch(Number(s));
    return fromIso(s);
  }
  if (raw instanceof Date) {
    const ms = raw.getTime();
    return isValidTimeMs(ms) ? ms : undefined;
  }
  if (typeof raw === "bigint") return fromEpoch(Number(raw));
  return undefined;
}

const DAY_MS = 86_400_000;
const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));
// `Date#toISOString` was the largest single cost of a transform; events of one batch share a
// day, so the date part is formatted once per day and the time of day by table lookups.
let cachedDay = Number.NaN;
let cachedDate = "";

function datePart(day: number): string {
  if (day !== cachedDay) {
    cachedDate = new Date(day * DAY_MS).toISOString().slice(0, 11);
    cachedDay = day;
  }
  return cachedDate;
}

/** Schema timestamp (`YYYY-MM-DDTHH:mm:ss.sssZ`) of valid, integral epoch milliseconds. */
export function isoMillis(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  const date = datePart(day);
  let rest = ms - day * DAY_MS;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Math.floor(rest / 1000);
  return `${date}${PAD2[h]}:${PAD2[m]}:${PAD2[s]}.${PAD3[rest - s * 1000]}Z`;
}

/**
 * True when `text` is exactly `isoMillis(ms)` (valid, integral `ms`), decided without building
 * that string: most records already carry their time as a schema timestamp, and reusing their
 * text spares an allocation per event.
 */
export function isIsoMillisOf(text: string, ms: number): boolean {
  if (text.length !== 24) return false;
  const day = Math.floor(ms / DAY_MS);
  if (!text.startsWith(datePart(day))) return false;
  let rest = ms - day * DAY_MS;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Math.floor(rest / 1000);
  const milli = rest - s * 1000;
  const hundreds = text.charCodeAt(20) - 48;
  const tens = twoDigits(text, 21);
  return (
    twoDigits(text, 11) === h &&
    text.charCodeAt(13) === 58 &&
    twoDigits(text, 14) === m &&
    text.charCodeAt(16) === 58 &&
    twoDigits(text, 17) === s &&
    text.charCodeAt(19) === 46 &&
    hundreds >= 0 &&
    hundreds <= 9 &&
    tens >= 0 &&
    hundreds * 100 + tens === milli &&
    text.charCodeAt(23) === 90
  );
}
