import { ForwardProtocolError } from "./errors.js";

/**
 * Structural MessagePack reading without building values: where a value ends, where the
 * elements of a top-level array start, and small raw readers for headers. The forward input
 * frames the TCP stream, splits entries and reads times, tags and options with these, and
 * hands only records to msgpackr.
 */

/** Returned by `ValueScanner.scan` while the value is not complete yet. */
export const INCOMPLETE = -1;

/** How many element offsets of a top-level array are remembered (Fluent frames have 2–6). */
const MAX_RECORDED_ELEMENTS = 8;

/** What the top-level value is, as far as framing cares. */
export type TopKind = "array" | "map" | "other";

/**
 * Finds the end of one MessagePack value, resuming where it stopped as more bytes arrive, so
 * a frame that trickles in is walked once in total. Iterative (an explicit stack), so hostile
 * nesting costs memory bounded by `maxDepth`, never the call stack.
 */
export class ValueScanner {
  /** Bytes of the value walked so far (relative to its first byte). */
  private pos = 0;
  private depth = 0;
  private readonly stack: number[] = [];
  /** Offsets (relative to the value's start) of the first elements of a top-level array. */
  readonly elements: number[] = [];
  /** Element count of the top-level array (0 when the value is not an array). */
  elementCount = 0;
  topKind: TopKind = "other";
  /** Set when the value contains an extension type other than 0 (EventTime) or -1 (timestamp). */
  foreignExtension = false;

  constructor(private readonly maxDepth: number) {
    this.reset();
  }

  reset(): void {
    this.pos = 0;
    this.depth = 1;
    this.stack[0] = 1;
    this.elements.length = 0;
    this.elementCount = 0;
    this.topKind = "other";
    this.foreignExtension = false;
  }

  /** The least number of bytes the value needs, as far as it has been walked. */
  get needed(): number {
    return this.pos;
  }

  /**
   * Continues walking the value that starts at `bytes[base]`, of which `available` bytes are
   * present. Answers its length once complete, else `INCOMPLETE`. Throws `malformed_msgpack`
   * on the never-used byte 0xc1 and `too_deep` past `maxDepth`.
   */
  scan(bytes: Uint8Array, base: number, available: number): number {
    let pos = this.pos;
    let depth = this.depth;
    const stack = this.stack;
    for (;;) {
      if (pos > available) break;
      if (depth === 0) {
        this.pos = pos;
        this.depth = 0;
        return pos;
      }
      if (pos === available) break;
      const at = base + pos;
      const b = bytes[at]!;
      let head = 1;
      let payload = 0;
      let children = 0;
      if (b <= 0x7f || b >= 0xe0) {
        // fixint
      } else if (b <= 0x8f) {
        children = (b & 0x0f) * 2;
      } else if (b <= 0x9f) {
        children = b & 0x0f;
      } else if (b <= 0xbf) {
        payload = b & 0x1f;
      } else {
        switch (b) {
          case 0xc0:
          case 0xc2:
          case 0xc3:
            break;
          case 0xc1:
            throw new ForwardProtocolError("malformed_msgpack", `byte 0xc1 (never used) at offset ${pos}`);
          case 0xc4:
          case 0xd9:
            head = 2;
            break;
          case 0xc5:
          case 0xda:
          case 0xdc:
          case 0xde:
            head = 3;
            break;
          case 0xc6:
          case 0xdb:
          case 0xdd:
          case 0xdf:
            head = 5;
            break;
          case 0xc7:
            head = 3;
            break;
          case 0xc8:
            head = 4;
            break;
          case 0xc9:
            head = 6;
            break;
          case 0xca:
          case 0xce:
          case 0xd2:
            payload = 4;
            break;
          case 0xcb:
          case 0xcf:
          case 0xd3:
            payload = 8;
            break;
          case 0xcc:
          case 0xd0:
            payload = 1;
            break;
          case 0xcd:
          case 0xd1:
            payload = 2;
            break;
          case 0xd4:
            head = 2;
            payload = 1;
            break;
          case 0xd5:
            head = 2;
            payload = 2;
            break;
          case 0xd6:
            head = 2;
            payload = 4;
            break;
          case 0xd7:
            head = 2;
            payload = 8;
            break;
          case 0xd8:
            head = 2;
            payload = 16;
            break;
        }
        if (head > 1) {
          if (pos + head > available) break;
          switch (b) {
            case 0xc4:
            case 0xd9:
              payload = bytes[at + 1]!;
              break;
            case 0xc5:
            case 0xda:
              payload = readU16(bytes, at + 1);
              break;
            case 0xc6:
            case 0xdb:
              payload = readU32(bytes, at + 1);
              break;
            case 0xdc:
              children = readU16(bytes, at + 1);
              break;
            case 0xdd:
              children = readU32(bytes, at + 1);
              break;
            case 0xde:
              children = readU16(bytes, at + 1) * 2;
              break;
            case 0xdf:
              children = readU32(bytes, at + 1) * 2;
              break;
            case 0xc7:
              payload = bytes[at + 1]!;
              this.noteExtension(bytes[at + 2]!);
              break;
            case 0xc8:
              payload = readU16(bytes, at + 1);
              this.noteExtension(bytes[at + 3]!);
              break;
            case 0xc9:
              payload = readU32(bytes, at + 1);
              this.noteExtension(bytes[at + 5]!);
              break;
            default:
              // fixext: the type byte follows the header byte
              this.noteExtension(bytes[at + 1]!);
          }
        }
      }
      if (depth === 1) {
        // the top-level value itself
        if (isArrayByte(b)) {
          this.topKind = "array";
          this.elementCount = children;
        } else if (isMapByte(b)) {
          this.topKind = "map";
        }
      } else if (depth === 2 && this.topKind === "array" && this.elements.length < MAX_RECORDED_ELEMENTS) {
        this.elements.push(pos);
      }
      pos += head + payload;
      stack[depth - 1]!--;
      if (children > 0) {
        if (depth >= this.maxDepth) {
          throw new ForwardProtocolError("too_deep", `nesting deeper than ${this.maxDepth} levels`);
        }
        stack[depth++] = children;
      }
      while (depth > 0 && stack[depth - 1] === 0) depth--;
    }
    this.pos = pos;
    this.depth = depth;
    return INCOMPLETE;
  }

  private noteExtension(type: number): void {
    // 0 is Fluent's EventTime, 0xff (-1) the standard timestamp; anything else is
    // msgpackr-specific (records, cycles, Error, RegExp, BigInt...) and never sent by a Fluent client.
    if (type !== 0x00 && type !== 0xff) this.foreignExtension = true;
  }
}

export function readU16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

export function readU32(bytes: Uint8Array, at: number): number {
  return bytes[at]! * 0x1000000 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
}

export function isArrayByte(b: number): boolean {
  return (b >= 0x90 && b <= 0x9f) || b === 0xdc || b === 0xdd;
}

export function isMapByte(b: number): boolean {
  return (b >= 0x80 && b <= 0x8f) || b === 0xde || b === 0xdf;
}

/** A container header: element (or key/value pair) count and header length. */
export interface ContainerHeader {
  count: number;
  head: number;
}

/** Reads an array header at `at`, or answers undefined when the byte there is not an array. */
export function readArrayHeader(bytes: Uint8Array, at: number, end: number): ContainerHeader | undefined {
  if (at >= end) return undefined;
  const b = bytes[at]!;
  if (b >= 0x90 && b <= 0x9f) return { count: b & 0x0f, head: 1 };
  if (b === 0xdc && at + 3 <= end) return { count: readU16(bytes, at + 1), head: 3 };
  if (b === 0xdd && at + 5 <= end) return { count: readU32(bytes, at + 1), head: 5 };
  return undefined;
}

/** Reads a map header at `at` (count = key/value pairs), or undefined when it is not a map. */
export function readMapHeader(bytes: Uint8Array, at: number, end: number): ContainerHeader | undefined {
  if (at >= end) return undefined;
  const b = bytes[at]!;
  if (b >= 0x80 && b <= 0x8f) return { count: b & 0x0f, head: 1 };
  if (b === 0xde && at + 3 <= end) return { count: readU16(bytes, at + 1), head: 3 };
  if (b === 0xdf && at + 5 <= end) return { count: readU32(bytes, at + 1), head: 5 };
  return undefined;
}

/** Where the raw bytes of a str or bin value lie: `[start, end)`, and where the value ends. */
export interface RawSpan {
  start: number;
  end: number;
}

/**
 * The raw bytes of a str or bin at `at` (never decoded as text), or undefined when the value
 * there is neither or runs past `end`.
 */
export function readRaw(bytes: Uint8Array, at: number, end: number): RawSpan | undefined {
  if (at >= end) return undefined;
  const b = bytes[at]!;
  let head: number;
  let length: number;
  if (b >= 0xa0 && b <= 0xbf) {
    head = 1;
    length = b & 0x1f;
  } else if ((b === 0xd9 || b === 0xc4) && at + 2 <= end) {
    head = 2;
    length = bytes[at + 1]!;
  } else if ((b === 0xda || b === 0xc5) && at + 3 <= end) {
    head = 3;
    length = readU16(bytes, at + 1);
  } else if ((b === 0xdb || b === 0xc6) && at + 5 <= end) {
    head = 5;
    length = readU32(bytes, at + 1);
  } else {
    return undefined;
  }
  const start = at + head;
  if (start + length > end) return undefined;
  return { start, end: start + length };
}

/** A msgpack str header for `length` bytes, minimal width. */
export function strHeader(length: number): Buffer {
  if (length < 32) return Buffer.from([0xa0 | length]);
  if (length < 0x100) return Buffer.from([0xd9, length]);
  if (length < 0x10000) return Buffer.from([0xda, length >> 8, length & 0xff]);
  const out = Buffer.alloc(5);
  out[0] = 0xdb;
  out.writeUInt32BE(length, 1);
  return out;
}

/** Encodes a str (from raw bytes or text) with a minimal header. */
export function encodeStr(value: Uint8Array | string): Buffer {
  const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
  return Buffer.concat([strHeader(bytes.length), bytes]);
}

/** Encodes a bin with a minimal header. */
export function encodeBin(bytes: Uint8Array): Buffer {
  let head: Buffer;
  if (bytes.length < 0x100) head = Buffer.from([0xc4, bytes.length]);
  else if (bytes.length < 0x10000) head = Buffer.from([0xc5, bytes.length >> 8, bytes.length & 0xff]);
  else {
    head = Buffer.alloc(5);
    head[0] = 0xc6;
    head.writeUInt32BE(bytes.length, 1);
  }
  return Buffer.concat([head, bytes]);
}

/** Length of the value at `at` within `[at, end)`, or INCOMPLETE if it runs past `end`. */
export function valueLength(scanner: ValueScanner, bytes: Uint8Array, at: number, end: number): number {
  scanner.reset();
  return scanner.scan(bytes, at, end - at);
}
