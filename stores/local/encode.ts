import type { LogEvent } from "../../core/event/schema.js";
import { eventJson } from "../../core/event/sealed.js";
import { serviceDirName } from "./layout.js";

/**
 * Turning events into the one NDJSON string an insert takes, after the few checks without
 * which DuckDB would fail the whole batch. Transforms hand the store schema-valid events; these
 * checks are what keeps one malformed event from costing its neighbours.
 */

/** The one timestamp form the store takes, `d` standing for a digit. */
const ISO_MILLIS_SHAPE = "dddd-dd-ddTdd:dd:dd.dddZ";
const MAX_ID = 128;
const MAX_SERVICE = 128;

/** Where the shape has a separator, and its character code. */
const SEPARATOR_AT = [...ISO_MILLIS_SHAPE].flatMap((c, i) => (c === "d" ? [] : [i]));
const SEPARATOR_CODE = SEPARATOR_AT.map((i) => ISO_MILLIS_SHAPE.charCodeAt(i));

/** The number the characters of `text` from `start` to `end` write, or -1 unless all are ASCII digits. */
function digits(text: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * `YYYY-MM-DDTHH:MM:SS.mmmZ` naming a real instant. Checked by hand: a regular expression and
 * `Date.parse` cost about a microsecond per event, and `Date.parse` takes February 30 and 24:00,
 * which DuckDB refuses.
 */
function isTimestamp(value: unknown): value is string {
  if (typeof value !== "string" || value.length !== ISO_MILLIS_SHAPE.length) return false;
  for (let i = 0; i < SEPARATOR_AT.length; i++) {
    if (value.charCodeAt(SEPARATOR_AT[i]!) !== SEPARATOR_CODE[i]) return false;
  }
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 7);
  const day = digits(value, 8, 10);
  const hour = digits(value, 11, 13);
  const minute = digits(value, 14, 16);
  const second = digits(value, 17, 19);
  return (
    year >= 0 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour >= 0 &&
    hour < 24 &&
    minute >= 0 &&
    minute < 60 &&
    second >= 0 &&
    second < 60 &&
    digits(value, 20, 23) >= 0
  );
}

/** Why the store cannot take `event`, or undefined when it can. */
export function invalidReason(event: unknown): string | undefined {
  if (typeof event !== "object" || event === null || Array.isArray(event)) return "event is not an object";
  const e = event as Record<string, unknown>;
  if (typeof e.id !== "string" || e.id.length === 0 || e.id.length > MAX_ID) {
    return `id must be a string of 1 to ${MAX_ID} characters`;
  }
  if (!isTimestamp(e["@timestamp"])) return "@timestamp must be ISO-8601 UTC with milliseconds";
  if (typeof e.service !== "string" || e.service.length === 0 || e.service.length > MAX_SERVICE) {
    return `service must be a string of 1 to ${MAX_SERVICE} characters`;
  }
  if (serviceDirName(e.service) === undefined) return "service is too long for a lake partition path";
  if (typeof e.level !== "string") return "level must be a string";
  if (typeof e.message !== "string") return "message must be a string";
  if (e.ingest_time !== undefined && !isTimestamp(e.ingest_time)) {
    return "ingest_time must be ISO-8601 UTC with milliseconds";
  }
  if (e.attrs !== undefined && (typeof e.attrs !== "object" || e.attrs === null || Array.isArray(e.attrs))) {
    return "attrs must be an object";
  }
  if (e.http !== undefined && (typeof e.http !== "object" || e.http === null || Array.isArray(e.http))) {
    return "http must be an object";
  }
  return undefined;
}

// JSON.stringify writes a lone surrogate as an escape such as `\ud800`, which DuckDB's JSON reader refuses.
const LONE_SURROGATE_ESCAPE = /\\ud[89a-f][0-9a-f]{2}/i;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function wellFormed(value: unknown): unknown {
  if (typeof value === "string") return value.replace(LONE_SURROGATE, "\ufffd");
  if (Array.isArray(value)) return value.map(wellFormed);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [wellFormed(k) as string, wellFormed(v)]),
    );
  }
  return value;
}

/**
 * One NDJSON line (JSON never holds a raw newline): the text a sealed event carries, else
 * `JSON.stringify`. Lone surrogates become U+FFFD.
 */
export function encodeEvent(event: LogEvent): string {
  const line = eventJson(event);
  // The escape can also appear for an escaped backslash followed by "ud8…" in the text; the
  // slow path is then taken for nothing, which is harmless.
  return line.includes("\\u") && LONE_SURROGATE_ESCAPE.test(line) ? JSON.stringify(wellFormed(event)) : line;
}
