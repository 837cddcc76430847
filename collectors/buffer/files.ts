import { open, readdir, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { BufferError } from "./errors.js";

/** The file layout of a buffer directory and the small atomic-file helpers it needs. */

const SEGMENT_NAME = /^(\d{12})\.seg$/;
const CONSUMER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function segmentsDir(dir: string): string {
  return join(dir, "segments");
}

export function cursorsDir(dir: string): string {
  return join(dir, "cursors");
}

export function segmentPath(dir: string, id: number): string {
  return join(segmentsDir(dir), `${String(id).padStart(12, "0")}.seg`);
}

export function isValidConsumerName(name: string): boolean {
  return CONSUMER_NAME.test(name);
}

/** Segment ids present on disk, oldest first. */
export async function listSegmentIds(dir: string): Promise<number[]> {
  const ids: number[] = [];
  for (const name of await readdir(segmentsDir(dir))) {
    const match = SEGMENT_NAME.exec(name);
    if (match) ids.push(Number(match[1]));
  }
  return ids.sort((a, b) => a - b);
}

/** Makes a created, renamed or deleted directory entry durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export type CursorRead =
  | { kind: "ok"; seq: number }
  | { kind: "missing" }
  | { kind: "invalid"; reason: string };

/** A consumer's persisted position: every record below `seq` was committed. */
export async function readCursor(dir: string, name: string): Promise<CursorRead> {
  let text: string;
  try {
    text = await readFile(join(cursorsDir(dir), `${name}.json`), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "missing" };
    throw error;
  }
  try {
    const value = JSON.parse(text) as unknown;
    const seq = (value as { seq?: unknown } | null)?.seq;
    if (typeof seq === "number" && Number.isSafeInteger(seq) && seq >= 0) return { kind: "ok", seq };
    return { kind: "invalid", reason: "no non-negative integer `seq`" };
  } catch (error) {
    return { kind: "invalid", reason: (error as Error).message };
  }
}

/** Replaces a cursor file atomically (temp + fsync + rename); the caller syncs the directory once per batch. */
export async function writeCursor(dir: string, name: string, seq: number): Promise<void> {
  const path = join(cursorsDir(dir), `${name}.json`);
  const temp = `${path}.tmp`;
  const handle = await open(temp, "w");
  try {
    await handle.writeFile(`${JSON.stringify({ seq })}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}

const heldLocks = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Claims the directory for this process: two processes appending to one buffer would corrupt
 * it. A lock left by a dead process (kill -9) is taken over; so is one carrying our own pid that
 * this process does not hold (a container restarted with the same pid).
 */
export async function acquireLock(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, "LOCK");
  if (heldLocks.has(path)) throw new BufferError("buffer_locked", `buffer directory ${dir} is already open`);
  heldLocks.add(path);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const handle = await open(path, "wx");
        try {
          await handle.writeFile(`${process.pid}\n`);
        } finally {
          await handle.close();
        }
        return async () => {
          heldLocks.delete(path);
          await unlink(path).catch(() => undefined);
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const holder = Number.parseInt(await readFile(path, "utf8").catch(() => ""), 10);
      if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new BufferError("buffer_locked", `buffer directory ${dir} is in use by process ${holder}`);
      }
      await unlink(path).catch(() => undefined);
    }
    throw new BufferError("buffer_locked", `could not lock buffer directory ${dir}`);
  } catch (error) {
    heldLocks.delete(path);
    throw error;
  }
}
