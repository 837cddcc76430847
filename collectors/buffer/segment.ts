import type { FileHandle } from "node:fs/promises";

/** What the buffer knows about one segment file while it runs. */
export interface Segment {
  readonly id: number;
  readonly path: string;
  /** Sequence number after the last record placed in it (0 while empty). */
  endSeq: number;
  /** Bytes placed in the file, including a write still in progress. */
  size: number;
  /** Bytes readers may read: whole entries whose append was acknowledged. */
  visibleEnd: number;
  /** No more entries will be placed in it. */
  sealed: boolean;
  /** Corrupt regions found on open (offset → bytes), already counted and logged; readers jump over them. */
  holes: Map<number, number> | undefined;
}

/** Reads `length` bytes at `position`, fewer only at end of file. */
export async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await handle.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === length ? buf : buf.subarray(0, got);
}

/** Writes all of `buffers` at `position`, continuing after short writes. */
export async function writeAllAt(handle: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let pending = buffers;
  let at = position;
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending, at);
    at += bytesWritten;
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const buf of pending) {
      if (skip >= buf.length) {
        skip -= buf.length;
      } else {
        rest.push(skip > 0 ? buf.subarray(skip) : buf);
        skip = 0;
      }
    }
    if (bytesWritten === 0 && rest.length > 0) throw new Error("write made no progress");
    pending = rest;
  }
}
