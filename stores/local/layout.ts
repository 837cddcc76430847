import { join } from "node:path";

/**
 * The lake layout on disk, identical to the S3 lake: `logs/service=<service>/dt=<YYYY-MM-DD>/
 * hour=<HH>/part-<ulid>.parquet`. Pure path arithmetic; nothing here touches the disk.
 */

export const LAKE_TABLE_DIR = "logs";
const HOUR_MS = 3_600_000;
/** Longest directory entry most filesystems take (ext4, APFS, NTFS count bytes or UTF-16 units ≤ 255). */
const MAX_NAME_BYTES = 255;

export interface Partition {
  service: string;
  /** UTC day of `@timestamp`, `YYYY-MM-DD`. */
  dt: string;
  /** UTC hour of `@timestamp`, `00`–`23`. */
  hour: string;
}

/**
 * Escapes a partition value the way Hive does (`FileUtils.escapePathName`): control
 * characters, the slash, and `" # % ' * : = ? \ { [ ] ^` become `%XX`. DuckDB and Athena decode
 * `%XX` when they read the value back from the path, so `service` reads as it was written.
 */
export function escapePartitionValue(value: string): string {
  return value.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
    /[\u0000-\u001f\u007f"#%'*/:=?\\{[\]^]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
}

/** Inverse of `escapePartitionValue`: any run of `%XX` is decoded as UTF-8 bytes, as readers do. */
export function unescapePartitionValue(value: string): string {
  return value.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) =>
    Buffer.from(
      run
        .slice(1)
        .split("%")
        .map((hex) => Number.parseInt(hex, 16)),
    ).toString("utf8"),
  );
}

/** The `service=…` directory name, or undefined when it cannot be a directory entry. */
export function serviceDirName(service: string): string | undefined {
  const name = `service=${escapePartitionValue(service)}`;
  return Buffer.byteLength(name, "utf8") <= MAX_NAME_BYTES ? name : undefined;
}

export function partitionOf(service: string, timestampMs: number): Partition {
  const iso = new Date(timestampMs).toISOString();
  return { service, dt: iso.slice(0, 10), hour: iso.slice(11, 13) };
}

/** Start of the partition's hour, epoch ms (UTC). */
export function partitionStart(p: Pick<Partition, "dt" | "hour">): number {
  return Date.parse(`${p.dt}T${p.hour}:00:00.000Z`);
}

/** End (exclusive) of the partition's hour, epoch ms. */
export function partitionEnd(p: Pick<Partition, "dt" | "hour">): number {
  return partitionStart(p) + HOUR_MS;
}

/** Start of the hour `now` is in: partitions ending at or before it are closed. */
export function currentHourStart(now: number): number {
  return Math.floor(now / HOUR_MS) * HOUR_MS;
}

/** Partition directory relative to the lake root, with `/` separators (stored in the manifest). */
export function partitionRelDir(p: Partition): string {
  const serviceDir = serviceDirName(p.service);
  if (serviceDir === undefined) throw new Error(`service name too long for a partition path: ${p.service}`);
  return `${LAKE_TABLE_DIR}/${serviceDir}/dt=${p.dt}/hour=${p.hour}`;
}

export function partFileName(ulid: string): string {
  return `part-${ulid}.parquet`;
}

/** Where a part file is written before it is renamed into place. */
export function tempPathFor(path: string): string {
  return `${path}.tmp`;
}

export function absoluteLakePath(lakeRoot: string, relPath: string): string {
  return join(lakeRoot, ...relPath.split("/"));
}

/** Glob of every lake file, for `read_parquet`. */
export function lakeGlob(lakeRoot: string): string {
  return `${join(lakeRoot, LAKE_TABLE_DIR)}/**/*.parquet`;
}

const DT_RE = /^dt=(\d{4}-\d{2}-\d{2})$/;
const HOUR_RE = /^hour=([01]\d|2[0-3])$/;

/** Reads `dt=…` and `hour=…` directory names; undefined for anything else. */
export function parseDtDir(name: string): string | undefined {
  const m = DT_RE.exec(name);
  if (!m) return undefined;
  return Number.isNaN(Date.parse(`${m[1]}T00:00:00Z`)) ? undefined : m[1];
}

export function parseHourDir(name: string): string | undefined {
  return HOUR_RE.exec(name)?.[1];
}

export function parseServiceDir(name: string): string | undefined {
  return name.startsWith("service=") ? unescapePartitionValue(name.slice("service=".length)) : undefined;
}
