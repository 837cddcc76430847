/**
 * Index and data stream names. OpenSearch index names must be lower case, at most 255 bytes,
 * must not contain `\ / * ? " < > | , #`, spaces or `:`, and must not start with `_`, `-` or
 * `+` (a leading `.` makes a hidden index). Service names come from event data, so they are
 * cleaned to a safe alphabet rather than trusted.
 */

/** What `index_prefix` may look like: it starts the name, so it carries the leading-character rule. */
export const INDEX_PREFIX_PATTERN = /^[a-z0-9][a-z0-9_.+-]*$/;

/** Longest cleaned service part; prefix (≤ 100) + service + `-YYYY.MM.DD` stays far below 255 bytes. */
const MAX_SERVICE_PART = 100;

/** `Checkout API/v2` → `checkout_api_v2`: lower case, only `[a-z0-9_.-]`, never empty. */
export function indexSafeService(service: string): string {
  const cleaned = service
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, "_")
    .slice(0, MAX_SERVICE_PART);
  return cleaned.length > 0 ? cleaned : "unknown";
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The digit at `i`, or -1. */
function digit(s: string, i: number): number {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -1;
}

function twoDigits(s: string, i: number): number {
  const a = digit(s, i);
  const b = digit(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/**
 * True for `YYYY-MM-DDTHH:mm:ss.sssZ` with every field in range: the form the transforms give
 * every `@timestamp`. Such a string names its UTC day as written, so no `Date` is needed; out of
 * range fields (`02-30`, `24:00`) are left to `Date.parse`, which rolls them over.
 */
export function isCanonicalUtc(s: string): boolean {
  if (s.length !== 24) return false;
  if (
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 84 ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58 ||
    s.charCodeAt(19) !== 46 ||
    s.charCodeAt(23) !== 90
  )
    return false;
  const hi = twoDigits(s, 0);
  const lo = twoDigits(s, 2);
  const month = twoDigits(s, 5);
  const day = twoDigits(s, 8);
  if (hi < 0 || lo < 0 || month < 1 || month > 12 || day < 1) return false;
  if (day > DAYS_IN_MONTH[month - 1]!) return false;
  if (month === 2 && day === 29) {
    const year = hi * 100 + lo;
    if (year % 4 !== 0 || (year % 100 === 0 && year % 400 !== 0)) return false;
  }
  const hour = twoDigits(s, 11);
  const minute = twoDigits(s, 14);
  const second = twoDigits(s, 17);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  return digit(s, 20) >= 0 && digit(s, 21) >= 0 && digit(s, 22) >= 0;
}

/** `2026-01-05T10:00:00.000Z` → `2026.01.05` (UTC), or undefined when it is not a time. */
export function indexDay(timestamp: string): string | undefined {
  if (isCanonicalUtc(timestamp))
    return `${timestamp.slice(0, 4)}.${timestamp.slice(5, 7)}.${timestamp.slice(8, 10)}`;
  const ms = Date.parse(timestamp);
  if (!Number.isFinite(ms)) return undefined;
  const iso = new Date(ms).toISOString();
  // Years beyond 9999 print as +010000-…; they make no sensible daily index.
  if (!/^\d{4}-/.test(iso)) return undefined;
  return `${iso.slice(0, 4)}.${iso.slice(5, 7)}.${iso.slice(8, 10)}`;
}

export interface IndexNaming {
  prefix: string;
  dataStream: boolean;
}

/**
 * Where an event is written: `<prefix><service>-<YYYY.MM.DD>`, or the data stream
 * `<prefix><service>`. Undefined when the event's timestamp cannot name a day.
 */
export function indexNameFor(
  event: { service: string; "@timestamp": string },
  naming: IndexNaming,
): string | undefined {
  const service = indexSafeService(event.service);
  if (naming.dataStream) return `${naming.prefix}${service}`;
  const day = indexDay(event["@timestamp"]);
  return day === undefined ? undefined : `${naming.prefix}${service}-${day}`;
}

/** The pattern searches, templates and ISM policies use: every index the store writes. */
export function indexPatternFor(prefix: string): string {
  return `${prefix}*`;
}
