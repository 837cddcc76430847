import type { Dirent } from "node:fs";
import { open, readdir, rm, rmdir, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { LAKE_TABLE_DIR, type Partition, parseDtDir, parseHourDir, parseServiceDir } from "./layout.js";

/** The few filesystem operations of the lake: durable renames, listing and removing partitions. */

function isErrno(error: unknown, ...codes: string[]): boolean {
  return (
    typeof error === "object" && error !== null && codes.includes((error as NodeJS.ErrnoException).code ?? "")
  );
}

/** Makes a file's content durable before it is renamed into place. */
export async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes renames in a directory durable. Some platforms cannot fsync a directory; that is not an error. */
export async function fsyncDir(path: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, "r");
    await handle.sync();
  } catch (error) {
    if (!isErrno(error, "EISDIR", "EPERM", "EINVAL", "EBADF")) throw error;
  } finally {
    await handle?.close();
  }
}

export async function unlinkIfExists(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if (isErrno(error, "ENOENT")) return false;
    throw error;
  }
}

async function listDir(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (error) {
    if (isErrno(error, "ENOENT", "ENOTDIR")) return [];
    throw error;
  }
}

export interface PartitionDir extends Partition {
  /** Relative to the lake root, `/`-separated, e.g. `logs/service=api/dt=2026-01-05/hour=10`. */
  relDir: string;
}

/** Every `service=/dt=/hour=` directory under the lake, whoever wrote it; other entries are skipped. */
export async function listPartitionDirs(lakeRoot: string): Promise<PartitionDir[]> {
  const out: PartitionDir[] = [];
  const tableDir = join(lakeRoot, LAKE_TABLE_DIR);
  for (const serviceName of await listDir(tableDir)) {
    const service = parseServiceDir(serviceName);
    if (service === undefined) continue;
    for (const dtName of await listDir(join(tableDir, serviceName))) {
      const dt = parseDtDir(dtName);
      if (dt === undefined) continue;
      for (const hourName of await listDir(join(tableDir, serviceName, dtName))) {
        const hour = parseHourDir(hourName);
        if (hour === undefined) continue;
        out.push({ service, dt, hour, relDir: `${LAKE_TABLE_DIR}/${serviceName}/${dtName}/${hourName}` });
      }
    }
  }
  return out;
}

/** Removes a partition directory, then its `dt=` and `service=` parents if that left them empty. */
export async function removePartitionDir(lakeRoot: string, relDir: string): Promise<void> {
  const abs = join(lakeRoot, ...relDir.split("/"));
  await rm(abs, { recursive: true, force: true });
  const tableDir = join(lakeRoot, LAKE_TABLE_DIR);
  for (let dir = dirname(abs); dir.startsWith(tableDir) && dir !== tableDir; dir = dirname(dir)) {
    try {
      await rmdir(dir);
    } catch (error) {
      if (isErrno(error, "ENOTEMPTY", "EEXIST", "ENOENT")) return;
      throw error;
    }
  }
}

/** Whether any `*.parquet` file exists under `dir` (stops at the first). */
export async function containsParquet(dir: string): Promise<boolean> {
  return (await findParquet(dir, 1)).length > 0;
}

/** Up to `limit` `*.parquet` files under `dir`, absolute paths. */
export async function findParquet(dir: string, limit = Number.POSITIVE_INFINITY): Promise<string[]> {
  const out: string[] = [];
  const walk = async (path: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch (error) {
      if (isErrno(error, "ENOENT", "ENOTDIR")) return;
      throw error;
    }
    for (const entry of entries) {
      if (out.length >= limit) return;
      const child = join(path, entry.name);
      if (entry.isDirectory()) await walk(child);
      else if (entry.isFile() && entry.name.endsWith(".parquet")) out.push(child);
    }
  };
  await walk(dir);
  return out;
}
