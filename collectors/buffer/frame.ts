import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";

/**
 * One entry of a segment file:
 *
 * ```
 * 0  magic      4 bytes  F5 4C 50 B1 (0xF5 never occurs in UTF-8 text, which keeps false resync hits rare)
 * 4  length     u32 LE   bytes of the body that follows the 12-byte prefix
 * 8  crc        u32 LE   CRC-32 of the length field and the body
 * 12 first seq  f64 LE   sequence number of the entry's first record
 * 20 count      u32 LE   records in the entry (≥ 1)
 * 24 key length u16 LE   bytes of the dedup key (0 = none)
 * 26 key        UTF-8
 *    payload    the encoded records
 * ```
 *
 * The metadata lives outside the payload so recovery, dedup rebuild and cursor lookup never
 * decode records.
 */
export const FRAME_MAGIC = Buffer.from([0xf5, 0x4c, 0x50, 0xb1]);
export const FRAME_PREFIX_BYTES = 12;
const META_BYTES = 14;
/** Largest body a frame may carry; anything claiming more is corrupt. */
export const MAX_FRAME_BODY_BYTES = 1024 * 1024 * 1024;
/** Longer dedup keys are replaced by a digest so a hostile key cannot bloat every frame. */
export const MAX_KEY_BYTES = 1024;

export type FrameProblem = "bad_magic" | "bad_length" | "crc_mismatch" | "bad_header";

export interface FrameHeader {
  firstSeq: number;
  count: number;
  key: string | undefined;
}

export type ParsedFrame =
  | ({ kind: "ok"; size: number; payload: Buffer } & FrameHeader)
  /** `needed`: bytes from the frame start that must be available to parse it. */
  | { kind: "incomplete"; needed: number }
  | { kind: "corrupt"; reason: FrameProblem };

/** The key as stored: itself when short, otherwise a digest of it (stable, so dedup still works). */
export function normalizeDedupKey(key: string): string {
  if (Buffer.byteLength(key) <= MAX_KEY_BYTES) return key;
  return `sha256:${createHash("sha256").update(key).digest("hex")}`;
}

/** Builds one frame from the pieces of its payload, copied once. `key` must already be normalized. */
export function encodeFrame(
  firstSeq: number,
  count: number,
  key: string | undefined,
  parts: readonly Uint8Array[],
): Buffer {
  let payloadBytes = 0;
  for (const part of parts) payloadBytes += part.length;
  const keyBytes = key === undefined ? 0 : Buffer.byteLength(key);
  const bodyBytes = META_BYTES + keyBytes + payloadBytes;
  if (bodyBytes > MAX_FRAME_BODY_BYTES)
    throw new RangeError(`entry of ${bodyBytes} bytes exceeds the frame limit`);
  if (keyBytes > 0xffff) throw new RangeError("dedup key too long");
  const frame = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + bodyBytes);
  FRAME_MAGIC.copy(frame, 0);
  frame.writeUInt32LE(bodyBytes, 4);
  frame.writeDoubleLE(firstSeq, 12);
  frame.writeUInt32LE(count, 20);
  frame.writeUInt16LE(keyBytes, 24);
  if (key !== undefined) frame.write(key, 26, "utf8");
  let at = 26 + keyBytes;
  for (const part of parts) {
    frame.set(part, at);
    at += part.length;
  }
  frame.writeUInt32LE(crc32(frame.subarray(12), crc32(frame.subarray(4, 8))), 8);
  return frame;
}

/** Parses the frame starting at `pos`, verifying its checksum. */
export function parseFrame(buf: Buffer, pos: number): ParsedFrame {
  if (buf.length - pos < FRAME_PREFIX_BYTES) {
    return matchesMagicPrefix(buf, pos)
      ? { kind: "incomplete", needed: FRAME_PREFIX_BYTES }
      : { kind: "corrupt", reason: "bad_magic" };
  }
  if (buf.compare(FRAME_MAGIC, 0, 4, pos, pos + 4) !== 0) return { kind: "corrupt", reason: "bad_magic" };
  const bodyBytes = buf.readUInt32LE(pos + 4);
  if (bodyBytes < META_BYTES || bodyBytes > MAX_FRAME_BODY_BYTES)
    return { kind: "corrupt", reason: "bad_length" };
  const size = FRAME_PREFIX_BYTES + bodyBytes;
  if (buf.length - pos < size) return { kind: "incomplete", needed: size };
  const body = buf.subarray(pos + FRAME_PREFIX_BYTES, pos + size);
  if (crc32(body, crc32(buf.subarray(pos + 4, pos + 8))) !== buf.readUInt32LE(pos + 8)) {
    return { kind: "corrupt", reason: "crc_mismatch" };
  }
  const firstSeq = body.readDoubleLE(0);
  const count = body.readUInt32LE(8);
  const keyBytes = body.readUInt16LE(12);
  if (!Number.isSafeInteger(firstSeq) || firstSeq < 0 || count < 1 || META_BYTES + keyBytes > bodyBytes) {
    return { kind: "corrupt", reason: "bad_header" };
  }
  return {
    kind: "ok",
    size,
    firstSeq,
    count,
    key: keyBytes === 0 ? undefined : body.toString("utf8", META_BYTES, META_BYTES + keyBytes),
    payload: body.subarray(META_BYTES + keyBytes),
  };
}

function matchesMagicPrefix(buf: Buffer, pos: number): boolean {
  const end = Math.min(buf.length, pos + FRAME_MAGIC.length);
  for (let i = pos; i < end; i++) if (buf[i] !== FRAME_MAGIC[i - pos]) return false;
  return true;
}

/** Offset of the next complete, checksum-valid frame at or after `from`, or -1. */
export function findNextFrame(buf: Buffer, from: number): number {
  let at = buf.indexOf(FRAME_MAGIC, from);
  while (at !== -1) {
    if (parseFrame(buf, at).kind === "ok") return at;
    at = buf.indexOf(FRAME_MAGIC, at + 1);
  }
  return -1;
}

export type ScanEvent =
  | ({ kind: "entry"; offset: number; size: number } & FrameHeader)
  /** Unreadable bytes followed by a valid frame: skipped. */
  | { kind: "corrupt"; offset: number; bytes: number; reason: FrameProblem | "incomplete" }
  /** Unreadable bytes up to the end with no valid frame after them: a torn write, cut off. */
  | { kind: "tail"; offset: number; bytes: number; reason: FrameProblem | "incomplete" };

/** Walks a whole segment's bytes: its valid entries, the corrupt regions between them, and a bad tail. */
export function* scanFrames(buf: Buffer): Generator<ScanEvent> {
  let pos = 0;
  while (pos < buf.length) {
    const frame = parseFrame(buf, pos);
    if (frame.kind === "ok") {
      yield {
        kind: "entry",
        offset: pos,
        size: frame.size,
        firstSeq: frame.firstSeq,
        count: frame.count,
        key: frame.key,
      };
      pos += frame.size;
      continue;
    }
    const reason = frame.kind === "incomplete" ? "incomplete" : frame.reason;
    const next = findNextFrame(buf, pos + 1);
    if (next === -1) {
      yield { kind: "tail", offset: pos, bytes: buf.length - pos, reason };
      return;
    }
    yield { kind: "corrupt", offset: pos, bytes: next - pos, reason };
    pos = next;
  }
}
