/**
 * Index and data stream names. OpenSearch index names must be lower case, at most 255 bytes,
 * must not contain `\ / * ? " < > | , #`, spaces or `:`, and must not start with `_`, `-` or
 * `+` (a leading `.` makes a hidden index). Service names come from event data, so they are
 * cleaned to a safe alphabet rather than trusted.
 */

import { isCanonicalUtc } from "../../core/event/timestamp.js";

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

export { isCanonicalUtc } from "../../core/event/timestamp.js";
