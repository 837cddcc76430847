import { newEventId } from "../../core/event/incoming.js";

/**
 * The S3 lake layout, the contract between the writers and Athena:
 * `<prefix>logs/service=<service>/dt=<YYYY-MM-DD>/hour=<HH>/<ulid>.json.gz`, each object gzip
 * NDJSON with one LogEvent per line. Pure key arithmetic; nothing here calls S3.
 */

export const LAKE_TABLE_DIR = "logs";
export const OBJECT_SUFFIX = ".json.gz";
export const COMPACTED_PREFIX = "compacted-";
export const DEAD_LETTER_DIR = "dead-letter/compaction";
/** S3 keys are at most 1024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;
export const HOUR_MS = 3_600_000;

export interface LakePartition {
  /** Sanitised service name, as it appears in the path. */
  service: string;
  /** UTC day of `@timestamp`, `YYYY-MM-DD`. */
  dt: string;
  /** UTC hour of `@timestamp`, `00`–`23`. */
  hour: string;
}

/**
 * A service name as a path segment: letters, digits, `_`, `.` and `-` are kept, anything else
 * becomes `_`. Athena's partition projection substitutes `service` verbatim into the location
 * template, so the value has to be one that needs no escaping to match the key.
 */
export function sanitiseService(service: string): string {
  const safe = service.replace(/[^A-Za-z0-9_.-]/gu, "_");
  return safe.length > 0 ? safe : "_";
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
 * every `@timestamp`. Such a string names its UTC day and hour as written, so no `Date` is
 * needed; out of range fields (`02-30`, `24:00`) are left to `Date.parse`, which rolls them over.
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

/** The partition of an event, or undefined when `@timestamp` is not a time. */
export function partitionOfEvent(event: {
  service: string;
  "@timestamp": string;
}): LakePartition | undefined {
  const timestamp = event["@timestamp"];
  if (typeof timestamp === "string" && isCanonicalUtc(timestamp))
    return {
      service: sanitiseService(event.service),
      dt: timestamp.slice(0, 10),
      hour: timestamp.slice(11, 13),
    };
  const ms = Date.parse(event["@timestamp"]);
  if (!Number.isFinite(ms)) return undefined;
  const date = new Date(ms);
  // Years outside 0000-9999 would make toISOString emit a sign and six digits: no `dt` for them.
  if (date.getUTCFullYear() < 0 || date.getUTCFullYear() > 9999) return undefined;
  const iso = date.toISOString();
  return { service: sanitiseService(event.service), dt: iso.slice(0, 10), hour: iso.slice(11, 13) };
}

/** `prefix` as a key prefix: empty, or ending in exactly one `/`. */
export function normalisePrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, "");
  return trimmed === "" ? "" : `${trimmed}/`;
}

/** A stable string for grouping: the partition's directory relative to the table. */
export function partitionId(p: LakePartition): string {
  return `service=${p.service}/dt=${p.dt}/hour=${p.hour}`;
}

/** `<prefix>logs/` — everything Athena's table location covers. */
export function tablePrefix(prefix: string): string {
  return `${normalisePrefix(prefix)}${LAKE_TABLE_DIR}/`;
}

/** `<prefix>logs/service=…/dt=…/hour=…/`. */
export function partitionPrefix(prefix: string, p: LakePartition): string {
  return `${tablePrefix(prefix)}${partitionId(p)}/`;
}

/** Key of a new object written by the writer. */
export function objectKey(prefix: string, p: LakePartition, ulid: string = newEventId()): string {
  return `${partitionPrefix(prefix, p)}${ulid}${OBJECT_SUFFIX}`;
}

/** Key of a merged object; the name tells people (and listings) it came from compaction. */
export function compactedKey(prefix: string, p: LakePartition, ulid: string = newEventId()): string {
  return `${partitionPrefix(prefix, p)}${COMPACTED_PREFIX}${ulid}${OBJECT_SUFFIX}`;
}

/** Where compaction keeps what it could not merge; outside `logs/`, so Athena never reads it. */
export function deadLetterKey(prefix: string, p: LakePartition, name: string): string {
  return `${normalisePrefix(prefix)}${DEAD_LETTER_DIR}/${partitionId(p)}/${name}`;
}

export function keyFits(key: string): boolean {
  return Buffer.byteLength(key, "utf8") <= MAX_KEY_BYTES;
}

const KEY_RE = /^service=([A-Za-z0-9_.-]+)\/dt=(\d{4}-\d{2}-\d{2})\/hour=([01]\d|2[0-3])\/([^/]+)$/;

export interface ParsedObjectKey {
  partition: LakePartition;
  /** The object's file name, e.g. `01J….json.gz`. */
  name: string;
}

/**
 * Reads a key listed under the table prefix back into its partition; undefined for keys that
 * are not lake objects of this layout (other files, deeper folders, other extensions).
 */
export function parseObjectKey(prefix: string, key: string): ParsedObjectKey | undefined {
  const table = tablePrefix(prefix);
  if (!key.startsWith(table)) return undefined;
  const m = KEY_RE.exec(key.slice(table.length));
  if (!m) return undefined;
  const [, service, dt, hour, name] = m as unknown as [string, string, string, string, string];
  if (!name.endsWith(OBJECT_SUFFIX)) return undefined;
  const start = Date.parse(`${dt}T${hour}:00:00.000Z`);
  if (!Number.isFinite(start) || new Date(start).toISOString().slice(0, 10) !== dt) return undefined;
  return { partition: { service, dt, hour }, name };
}

/** End (exclusive) of the partition's hour, epoch ms. */
export function partitionEnd(p: Pick<LakePartition, "dt" | "hour">): number {
  return Date.parse(`${p.dt}T${p.hour}:00:00.000Z`) + HOUR_MS;
}
