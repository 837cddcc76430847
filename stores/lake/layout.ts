import { newEventId } from "../../core/event/incoming.js";
import { isCanonicalUtc } from "../../core/event/timestamp.js";

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

export { isCanonicalUtc } from "../../core/event/timestamp.js";
