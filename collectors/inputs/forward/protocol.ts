import { createHash } from "node:crypto";
import { Unpackr } from "msgpackr";
import {
  chunkEventId,
  type IncomingRecord,
  newEventId,
  type PackedEntries,
} from "../../../core/event/incoming.js";
import { ForwardProtocolError } from "./errors.js";
import type { Frame } from "./frame-decoder.js";
import {
  INCOMPLETE,
  isArrayByte,
  isMapByte,
  readArrayHeader,
  readMapHeader,
  readRaw,
  readU32,
  strHeader,
  ValueScanner,
  valueLength,
} from "./msgpack-scan.js";

/**
 * The event modes of the Fluent forward protocol v1, decoded without sockets:
 * - Message `[tag, time, record, option?]`
 * - Forward `[tag, [[time, record], ...], option?]`
 * - PackedForward `[tag, bin|str(concatenated [time, record] entries), option?]`
 * - CompressedPackedForward: PackedForward with option `compressed: "gzip"`.
 *
 * Framing, entry envelopes, times, tags and options are read structurally from the bytes;
 * only each record goes through msgpackr. Reading the time from the bytes is why no msgpackr
 * extension is registered for EventTime: msgpackr's extension table is process-wide, and
 * changing what ext 0 means would change it for every other msgpackr user in the process.
 *
 * Rejection is per entry: an entry that is not `[time, map]` (or `[[time, metadata], map]`,
 * Fluent Bit's form) is counted with a reason and skipped, and the frame's other entries are
 * kept. A frame whose envelope is wrong (not an array, no string tag, a bad option) is
 * rejected whole and ends the connection, since nothing in it can be trusted to be a record.
 */

export type FrameMode = "message" | "forward" | "packed";

/** An event frame, its entries still as bytes (still compressed when `compressed`). */
export interface EventFrame {
  mode: FrameMode;
  tag: string;
  /** The tag's raw bytes (part of the chunk digest). */
  tagBytes: Buffer;
  /**
   * Message: the bytes of `time, record`. Forward: the entries array (header included).
   * PackedForward: the blob.
   */
  entries: Buffer;
  compressed: boolean;
  /** The `chunk` option's raw bytes: the client wants `{ack: chunk}` once the entries are stored. */
  chunk?: Buffer;
}

/** Longest chunk id echoed back. Fluent clients send 24 base64 characters. */
const MAX_CHUNK_BYTES = 1024;
/** Largest time a JavaScript Date can hold, epoch milliseconds. */
const MAX_DATE_MS = 8.64e15;

const scratch = new ValueScanner(512);
const entryScanner = new ValueScanner(512);

// int64 as number: records end up as JSON, which has no BigInt. copyBuffers: a bin value in a
// record must not pin (or alias) the frame it came from.
const unpackr = new Unpackr({
  useRecords: false,
  mapsAsObjects: true,
  int64AsType: "number",
  copyBuffers: true,
});

function elementEnd(frame: Frame, i: number): number {
  return frame.elements[i + 1] ?? frame.bytes.length;
}

function isStrOrBinByte(b: number): boolean {
  return (b >= 0xa0 && b <= 0xbf) || (b >= 0xd9 && b <= 0xdb) || (b >= 0xc4 && b <= 0xc6);
}

function isTimeByte(b: number): boolean {
  // ints, floats, nil and extensions: anything Message mode may carry as its time
  return (
    b <= 0x7f ||
    b >= 0xe0 ||
    b === 0xc0 ||
    (b >= 0xca && b <= 0xd3) ||
    (b >= 0xd4 && b <= 0xd8) ||
    (b >= 0xc7 && b <= 0xc9)
  );
}

/** Reads a complete top-level frame as an event frame. Throws `ForwardProtocolError` when it is not one. */
export function parseEventFrame(frame: Frame): EventFrame {
  const { bytes } = frame;
  if (frame.topKind !== "array" || frame.elementCount < 2 || frame.elementCount > 4) {
    throw new ForwardProtocolError(
      "bad_frame_shape",
      `expected an array of 2 to 4 elements, got ${describeTop(frame)}`,
    );
  }
  const tagSpan = readRaw(bytes, frame.elements[0]!, elementEnd(frame, 0));
  if (!tagSpan || tagSpan.end !== elementEnd(frame, 0)) {
    throw new ForwardProtocolError("bad_frame_shape", "the tag (first element) is not a string");
  }
  const tagBytes = bytes.subarray(tagSpan.start, tagSpan.end);
  const second = frame.elements[1]!;
  const b = bytes[second]!;
  let mode: FrameMode;
  let entries: Buffer;
  let optionIndex: number;
  if (isArrayByte(b)) {
    if (frame.elementCount > 3)
      throw new ForwardProtocolError("bad_frame_shape", "Forward frame with 4 elements");
    mode = "forward";
    entries = bytes.subarray(second, elementEnd(frame, 1));
    optionIndex = 2;
  } else if (isStrOrBinByte(b)) {
    if (frame.elementCount > 3)
      throw new ForwardProtocolError("bad_frame_shape", "PackedForward with 4 elements");
    const blob = readRaw(bytes, second, elementEnd(frame, 1))!;
    mode = "packed";
    entries = bytes.subarray(blob.start, blob.end);
    optionIndex = 2;
  } else if (isTimeByte(b)) {
    if (frame.elementCount < 3)
      throw new ForwardProtocolError("bad_frame_shape", "Message frame without a record");
    mode = "message";
    entries = bytes.subarray(second, elementEnd(frame, 2));
    optionIndex = 3;
  } else {
    throw new ForwardProtocolError("bad_frame_shape", "second element is neither entries nor a time");
  }
  const option =
    optionIndex < frame.elementCount
      ? parseOption(bytes, frame.elements[optionIndex]!, elementEnd(frame, optionIndex))
      : {};
  const compressed = option.compressed === true;
  if (compressed && mode !== "packed") {
    throw new ForwardProtocolError("bad_option", `compressed option on a ${mode} frame`);
  }
  const out: EventFrame = { mode, tag: tagBytes.toString("utf8"), tagBytes, entries, compressed };
  if (option.chunk) out.chunk = option.chunk;
  return out;
}

function describeTop(frame: Frame): string {
  if (frame.topKind === "array") return `an array of ${frame.elementCount}`;
  return frame.topKind === "map" ? "a map" : `a scalar (first byte 0x${frame.bytes[0]!.toString(16)})`;
}

interface FrameOption {
  chunk?: Buffer;
  compressed?: boolean;
}

function parseOption(bytes: Buffer, at: number, end: number): FrameOption {
  if (bytes[at] === 0xc0) return {};
  const header = readMapHeader(bytes, at, end);
  if (!header) throw new ForwardProtocolError("bad_option", "the option element is not a map");
  const option: FrameOption = {};
  let pos = at + header.head;
  for (let i = 0; i < header.count; i++) {
    const key = readRaw(bytes, pos, end);
    const keyEnd = key ? key.end : pos + valueLength(scratch, bytes, pos, end);
    const valueEnd = keyEnd + valueLength(scratch, bytes, keyEnd, end);
    if (key) {
      const name = bytes.toString("latin1", key.start, key.end);
      if (name === "chunk") {
        const value = readRaw(bytes, keyEnd, valueEnd);
        if (!value || value.end !== valueEnd || value.end - value.start > MAX_CHUNK_BYTES) {
          throw new ForwardProtocolError("bad_option", "chunk is not a string of at most 1024 bytes");
        }
        option.chunk = bytes.subarray(value.start, value.end);
      } else if (name === "compressed") {
        const value = readRaw(bytes, keyEnd, valueEnd);
        const kind = value ? bytes.toString("latin1", value.start, value.end) : "";
        if (kind === "gzip") option.compressed = true;
        else if (kind !== "text" && kind !== "") {
          throw new ForwardProtocolError("unsupported_compression", `compressed: ${JSON.stringify(kind)}`);
        }
      }
    }
    pos = valueEnd;
  }
  return option;
}

/**
 * Digest of a chunk: the chunk id, the tag and the (uncompressed) entries bytes. It keys
 * duplicate detection (with the chunk id) and seeds the event ids, so a resent chunk gets the
 * same ids while a reused chunk id with other content (Fluent Bit's Message mode) does not.
 * 16 bytes of SHA-256, base64url (22 characters).
 */
export function chunkDigest(chunk: Uint8Array, tagBytes: Uint8Array, entries: Uint8Array): string {
  const sep = Buffer.from([0]);
  return createHash("sha256")
    .update(chunk)
    .update(sep)
    .update(tagBytes)
    .update(sep)
    .update(entries)
    .digest()
    .subarray(0, 16)
    .toString("base64url");
}

/** `{ack: chunk}` with the chunk as a msgpack str, exactly the bytes the client sent. */
export function encodeAck(chunk: Uint8Array): Buffer {
  const head = strHeader(chunk.length);
  const out = Buffer.allocUnsafe(5 + head.length + chunk.length);
  out[0] = 0x81;
  out[1] = 0xa3;
  out.write("ack", 2, "latin1");
  head.copy(out, 5);
  out.set(chunk, 5 + head.length);
  return out;
}

export interface DecodeContext {
  tag: string;
  receivedAt: number;
  source: string;
  /** Chunk digest: event ids become `chunkEventId(digest, index)`; without it, fresh ids. */
  digest?: string;
}

/** Why single entries were skipped. */
export type EntryRejectCode =
  | "bad_entry"
  | "non_object_record"
  | "unsupported_extension"
  | "undecodable_record"
  | "truncated_entry";

export interface DecodedEntries {
  records: IncomingRecord[];
  /** Entries seen, stored or not (the index the next entry would get). */
  entryCount: number;
  rejected: Partial<Record<EntryRejectCode, number>>;
  rejectedCount: number;
  /** Entries whose time was missing or unusable and became the receive time. */
  timeDefaulted: number;
}

/**
 * Turns a frame's entries (uncompressed) into records. Never throws: each bad entry is
 * counted in `rejected` and skipped.
 */
export function decodeEntries(
  frame: Pick<EventFrame, "mode">,
  entries: Buffer,
  ctx: DecodeContext,
): DecodedEntries {
  const out = noEntries();
  if (frame.mode === "message") {
    // `entries` is exactly `time, record`, both already framed by the frame scan.
    const timeEnd = valueLength(scratch, entries, 0, entries.length);
    let foreign = scratch.foreignExtension;
    valueLength(scratch, entries, timeEnd, entries.length);
    foreign ||= scratch.foreignExtension;
    addEntry(out, entries, 0, timeEnd, timeEnd, entries.length, foreign, ctx);
    return out;
  }
  // The frame scan framed the Forward array exactly, so its entries end where the bytes do.
  const body = concatenatedEntries(frame, entries);
  let pos = 0;
  while (pos < body.length) {
    const entry = scanEntry(body, pos);
    if ("reject" in entry) {
      reject(out, entry.reject);
      out.entryCount++;
      // Nothing after an entry that cannot be framed can be framed either.
      if (entry.length === undefined) return out;
      pos += entry.length;
      continue;
    }
    addEntry(out, body, entry.timeAt, entry.recordAt, entry.recordAt, pos + entry.length, false, ctx);
    pos += entry.length;
  }
  return out;
}

/** Where one entry's time and record start, or why it is not a `[time, record]` pair. */
type ScannedEntry =
  | { length: number; timeAt: number; recordAt: number }
  /** `length` undefined: the entry cannot be framed (0xc1, hostile nesting, cut short). */
  | { reject: EntryRejectCode; length: number | undefined };

/** Frames the entry at `pos` of concatenated entries; the one walk `decodeEntries` and `checkEntries` share. */
function scanEntry(entries: Buffer, pos: number): ScannedEntry {
  entryScanner.reset();
  let length: number;
  try {
    length = entryScanner.scan(entries, pos, entries.length - pos);
  } catch {
    return { reject: "bad_entry", length: undefined };
  }
  if (length === INCOMPLETE) return { reject: "truncated_entry", length: undefined };
  const s = entryScanner;
  if (s.topKind !== "array" || s.elementCount !== 2) return { reject: "bad_entry", length };
  if (s.foreignExtension) return { reject: "unsupported_extension", length };
  return { length, timeAt: pos + s.elements[0]!, recordAt: pos + s.elements[1]! };
}

/**
 * The bytes of a Packed or Forward frame's entries as concatenated `[time, record]` entries:
 * a Forward frame's array loses its header; a PackedForward blob already is that.
 */
export function concatenatedEntries(frame: Pick<EventFrame, "mode">, entries: Buffer): Buffer {
  if (frame.mode !== "forward") return entries;
  return entries.subarray(readArrayHeader(entries, 0, entries.length)!.head);
}

export interface CheckedEntries {
  count: number;
  /** Entries whose time was missing or unusable and will become the receive time. */
  timeDefaulted: number;
}

/**
 * Walks concatenated entries the way `decodeEntries` does, without decoding the records:
 * what it accepts, `decodeEntries` turns into one record per entry. Undefined when any entry
 * would be rejected; the caller then decodes the frame and keeps the good entries.
 */
export function checkEntries(entries: Buffer): CheckedEntries | undefined {
  let pos = 0;
  let count = 0;
  let timeDefaulted = 0;
  while (pos < entries.length) {
    const entry = scanEntry(entries, pos);
    if ("reject" in entry || !isMapByte(entries[entry.recordAt]!)) return undefined;
    if (readTime(entries, entry.timeAt, entry.recordAt) === undefined) timeDefaulted++;
    count++;
    pos += entry.length;
  }
  return { count, timeDefaulted };
}

/**
 * A Packed or Forward frame's entries as the buffer stores them (the client's bytes, no record
 * decoded), with how many entries will take the receive time; undefined when an entry does not
 * check out and the frame must be decoded instead, so the bad entries can be skipped.
 */
export function packEntries(
  frame: Pick<EventFrame, "mode" | "tag">,
  entries: Buffer,
  receivedAt: number,
  idBase: string,
): { block: PackedEntries; timeDefaulted: number } | undefined {
  const body = concatenatedEntries(frame, entries);
  const checked = checkEntries(body);
  if (checked === undefined) return undefined;
  const block: PackedEntries = {
    kind: "packed_entries",
    tag: frame.tag,
    source: "forward",
    receivedAt,
    idBase,
    entries: body,
    count: checked.count,
  };
  return { block, timeDefaulted: checked.timeDefaulted };
}

/**
 * The records of entries the forward input stored as they came (see `PackedEntries`). They were
 * checked on arrival (and the buffer's checksums keep them as they were), so one msgpackr pass
 * over all of them is tried first (a call per record costs about half as much again); anything
 * unexpected falls back to `decodeEntries`, which judges each entry on its own. The pass is not
 * a validator: msgpackr turns a stray 0xc1 into a placeholder value rather than failing, which
 * is why entries are checked with `checkEntries` before they are stored.
 */
export function unpackEntries(block: PackedEntries): DecodedEntries {
  return unpackAll(block) ?? decodeEntries({ mode: "packed" }, block.entries, packedContext(block));
}

function packedContext(block: PackedEntries): DecodeContext {
  return { tag: block.tag, receivedAt: block.receivedAt, source: block.source, digest: block.idBase };
}

function unpackAll(block: PackedEntries): DecodedEntries | undefined {
  const { entries } = block;
  const ctx = packedContext(block);
  const out = noEntries();
  let wellFormed = true;
  try {
    unpackr.unpackMultiple(entries, (value: unknown, start = 0, end = entries.length) => {
      // The time is read from the bytes (msgpackr knows no EventTime); the record is the value's.
      const record = Array.isArray(value) && value.length === 2 ? value[1] : undefined;
      const header = readArrayHeader(entries, start, end);
      if (
        typeof record !== "object" ||
        record === null ||
        Object.getPrototypeOf(record) !== Object.prototype ||
        !header
      ) {
        wellFormed = false;
        return false;
      }
      const time = readTime(entries, start + header.head, end);
      pushRecord(out, ctx, out.entryCount++, time, record as Record<string, unknown>);
      return true;
    });
  } catch {
    return undefined;
  }
  return wellFormed && out.records.length === block.count ? out : undefined;
}

function noEntries(): DecodedEntries {
  return { records: [], entryCount: 0, rejected: {}, rejectedCount: 0, timeDefaulted: 0 };
}

/** Entry `index` as a record; a missing time becomes the receive time and is counted. */
function pushRecord(
  out: DecodedEntries,
  ctx: DecodeContext,
  index: number,
  time: number | undefined,
  record: Record<string, unknown>,
): void {
  if (time === undefined) out.timeDefaulted++;
  out.records.push({
    id: ctx.digest === undefined ? newEventId(ctx.receivedAt) : chunkEventId(ctx.digest, index),
    time: time ?? ctx.receivedAt,
    receivedAt: ctx.receivedAt,
    tag: ctx.tag,
    source: ctx.source,
    record,
  });
}

function reject(out: DecodedEntries, code: EntryRejectCode): void {
  out.rejected[code] = (out.rejected[code] ?? 0) + 1;
  out.rejectedCount++;
}

function addEntry(
  out: DecodedEntries,
  bytes: Buffer,
  timeAt: number,
  timeEnd: number,
  recordAt: number,
  recordEnd: number,
  foreign: boolean,
  ctx: DecodeContext,
): void {
  const index = out.entryCount++;
  if (foreign) {
    reject(out, "unsupported_extension");
    return;
  }
  if (!isMapByte(bytes[recordAt]!)) {
    reject(out, "non_object_record");
    return;
  }
  let record: Record<string, unknown>;
  try {
    record = unpackr.unpack(bytes, { start: recordAt, end: recordEnd });
  } catch {
    reject(out, "undecodable_record");
    return;
  }
  pushRecord(out, ctx, index, readTime(bytes, timeAt, timeEnd), record);
}

/**
 * An entry's time as epoch milliseconds (sub-millisecond part dropped), or undefined when it
 * is missing, zero or not a time (the caller then uses the receive time, as Fluentd does).
 * EventTime (ext 0: uint32 seconds, uint32 nanoseconds), integer or float seconds, the
 * msgpack timestamp extension (-1), and Fluent Bit's `[time, metadata]` pair.
 */
export function readTime(bytes: Buffer, at: number, end: number): number | undefined {
  if (at >= end) return undefined;
  let b = bytes[at]!;
  if (isArrayByte(b)) {
    // Fluent Bit 2+: [[time, metadata], record]; the metadata is not part of the record.
    const header = readArrayHeader(bytes, at, end);
    if (!header || header.count < 1) return undefined;
    at += header.head;
    if (at >= end) return undefined;
    b = bytes[at]!;
  }
  let ms: number | undefined;
  const left = end - at;
  if (b <= 0x7f) ms = b * 1000;
  else if (b >= 0xe0) ms = undefined;
  else if (b === 0xd7 && left >= 10 && bytes[at + 1] === 0x00) ms = eventTime(bytes, at + 2);
  else if (b === 0xc7 && left >= 11 && bytes[at + 1] === 8 && bytes[at + 2] === 0x00)
    ms = eventTime(bytes, at + 3);
  else if (b === 0xd6 && left >= 6 && bytes[at + 1] === 0xff) ms = readU32(bytes, at + 2) * 1000;
  else if (b === 0xd7 && left >= 10 && bytes[at + 1] === 0xff) {
    const hi = readU32(bytes, at + 2);
    const lo = readU32(bytes, at + 6);
    const nanos = Math.floor(hi / 4);
    const seconds = (hi % 4) * 0x100000000 + lo;
    ms = seconds * 1000 + Math.floor(nanos / 1e6);
  } else if (b === 0xc7 && left >= 15 && bytes[at + 1] === 12 && bytes[at + 2] === 0xff) {
    const nanos = readU32(bytes, at + 3);
    const seconds = bytes.readBigInt64BE(at + 7);
    ms = Number(seconds) * 1000 + Math.floor(nanos / 1e6);
  } else if (b === 0xcc && left >= 2) ms = bytes[at + 1]! * 1000;
  else if (b === 0xcd && left >= 3) ms = bytes.readUInt16BE(at + 1) * 1000;
  else if (b === 0xce && left >= 5) ms = readU32(bytes, at + 1) * 1000;
  else if (b === 0xcf && left >= 9) ms = Number(bytes.readBigUInt64BE(at + 1)) * 1000;
  else if (b === 0xd0 && left >= 2) ms = bytes.readInt8(at + 1) * 1000;
  else if (b === 0xd1 && left >= 3) ms = bytes.readInt16BE(at + 1) * 1000;
  else if (b === 0xd2 && left >= 5) ms = bytes.readInt32BE(at + 1) * 1000;
  else if (b === 0xd3 && left >= 9) ms = Number(bytes.readBigInt64BE(at + 1)) * 1000;
  else if (b === 0xca && left >= 5) ms = bytes.readFloatBE(at + 1) * 1000;
  else if (b === 0xcb && left >= 9) ms = bytes.readDoubleBE(at + 1) * 1000;
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0 || ms > MAX_DATE_MS) return undefined;
  return Math.floor(ms);
}

function eventTime(bytes: Buffer, at: number): number {
  return readU32(bytes, at) * 1000 + Math.floor(readU32(bytes, at + 4) / 1e6);
}
