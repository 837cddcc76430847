import { ForwardProtocolError } from "./errors.js";
import { INCOMPLETE, type TopKind, ValueScanner } from "./msgpack-scan.js";

/** One complete top-level MessagePack value cut from the stream, not yet decoded. */
export interface Frame {
  /** Exactly the frame's bytes. Owned by the frame: later input never overwrites them. */
  bytes: Buffer;
  topKind: TopKind;
  /** For an array: offsets (into `bytes`) of its first elements, and its element count. */
  elements: readonly number[];
  elementCount: number;
  /** The frame holds an extension type a Fluent client never sends. */
  foreignExtension: boolean;
}

export interface FrameDecoderOptions {
  maxFrameBytes: number;
  /** Deepest nesting followed; deeper input is an error, not a stack overflow. */
  maxDepth?: number;
}

const DEFAULT_MAX_DEPTH = 512;
const INITIAL_CAPACITY = 64 * 1024;

/**
 * Cuts a TCP byte stream into top-level MessagePack frames. `push` bytes as they arrive and
 * call `next()` until it answers undefined ("wait for more bytes"). A frame larger than
 * `maxFrameBytes` throws as soon as that is certain: when its declared length says so, or when
 * that many bytes are buffered without it completing. Frames that arrive whole inside one
 * chunk are handed out as views of that chunk, without copying.
 */
export class FrameDecoder {
  private readonly scanner: ValueScanner;
  private readonly maxFrameBytes: number;
  /** Carried-over bytes: `store[storeStart, storeEnd)`, beginning at a frame boundary. */
  private store: Buffer = Buffer.alloc(0);
  private storeStart = 0;
  private storeEnd = 0;
  /** A chunk whose frames are being handed out directly, from `chunkOffset`. */
  private chunk: Buffer | undefined;
  private chunkOffset = 0;
  private failed: ForwardProtocolError | undefined;

  constructor(options: FrameDecoderOptions) {
    this.maxFrameBytes = options.maxFrameBytes;
    this.scanner = new ValueScanner(options.maxDepth ?? DEFAULT_MAX_DEPTH);
  }

  /** Bytes received and not yet handed out as frames. */
  get bufferedBytes(): number {
    return this.storeEnd - this.storeStart + (this.chunk ? this.chunk.length - this.chunkOffset : 0);
  }

  push(bytes: Buffer): void {
    if (this.failed) return;
    if (bytes.length === 0) return;
    if (this.storeEnd === this.storeStart && this.chunk === undefined) {
      this.chunk = bytes;
      this.chunkOffset = 0;
      return;
    }
    // Either a partial frame is carried over or a chunk is still being consumed: append.
    if (this.chunk !== undefined) this.carryChunk();
    this.append(bytes);
  }

  /** The next complete frame, or undefined when more bytes are needed. Throws on bad input. */
  next(): Frame | undefined {
    if (this.failed) throw this.failed;
    try {
      return this.chunk !== undefined ? this.nextFromChunk() : this.nextFromStore();
    } catch (error) {
      this.failed =
        error instanceof ForwardProtocolError
          ? error
          : new ForwardProtocolError("malformed_msgpack", "undecodable frame", { cause: error });
      this.release();
      throw this.failed;
    }
  }

  /** Drops everything buffered (the connection is going away). */
  release(): void {
    this.store = Buffer.alloc(0);
    this.storeStart = 0;
    this.storeEnd = 0;
    this.chunk = undefined;
    this.chunkOffset = 0;
  }

  private nextFromChunk(): Frame | undefined {
    const chunk = this.chunk!;
    const available = chunk.length - this.chunkOffset;
    if (available === 0) {
      this.chunk = undefined;
      return undefined;
    }
    const length = this.scanner.scan(chunk, this.chunkOffset, Math.min(available, this.maxFrameBytes));
    if (length === INCOMPLETE) {
      this.checkSize(available);
      // The rest of the chunk begins a frame that continues in later chunks.
      this.carryChunk();
      return undefined;
    }
    const start = this.chunkOffset;
    this.chunkOffset += length;
    if (this.chunkOffset === chunk.length) this.chunk = undefined;
    return this.frame(chunk.subarray(start, start + length));
  }

  private nextFromStore(): Frame | undefined {
    const live = this.storeEnd - this.storeStart;
    if (live === 0) return undefined;
    const length = this.scanner.scan(this.store, this.storeStart, Math.min(live, this.maxFrameBytes));
    if (length === INCOMPLETE) {
      this.checkSize(live);
      return undefined;
    }
    // Copied out: the store is reused for the bytes that follow.
    const bytes = Buffer.from(this.store.subarray(this.storeStart, this.storeStart + length));
    this.storeStart += length;
    if (this.storeStart === this.storeEnd) {
      this.storeStart = 0;
      this.storeEnd = 0;
      // Let go of the room a large frame needed; an idle connection keeps little.
      if (this.store.length > 4 * INITIAL_CAPACITY) this.store = Buffer.alloc(0);
    }
    return this.frame(bytes);
  }

  private checkSize(buffered: number): void {
    const needed = this.scanner.needed;
    if (needed > this.maxFrameBytes || buffered >= this.maxFrameBytes) {
      throw new ForwardProtocolError(
        "frame_too_large",
        `frame needs more than max_frame_bytes (${this.maxFrameBytes}) bytes`,
      );
    }
  }

  private frame(bytes: Buffer): Frame {
    const s = this.scanner;
    const frame: Frame = {
      bytes,
      topKind: s.topKind,
      elements: s.elements.slice(),
      elementCount: s.elementCount,
      foreignExtension: s.foreignExtension,
    };
    s.reset();
    return frame;
  }

  /** Moves the unconsumed rest of the current chunk into the store. */
  private carryChunk(): void {
    const chunk = this.chunk!;
    const rest = chunk.subarray(this.chunkOffset);
    this.chunk = undefined;
    this.chunkOffset = 0;
    this.append(rest);
  }

  private append(bytes: Buffer): void {
    const live = this.storeEnd - this.storeStart;
    const needed = live + bytes.length;
    if (this.storeEnd + bytes.length > this.store.length) {
      if (needed <= this.store.length) {
        this.store.copy(this.store, 0, this.storeStart, this.storeEnd);
      } else {
        // Doubling keeps a frame that trickles in at linear total copying.
        let capacity = Math.max(INITIAL_CAPACITY, this.store.length * 2);
        while (capacity < needed) capacity *= 2;
        const grown = Buffer.allocUnsafe(capacity);
        this.store.copy(grown, 0, this.storeStart, this.storeEnd);
        this.store = grown;
      }
      this.storeStart = 0;
      this.storeEnd = live;
    }
    bytes.copy(this.store, this.storeEnd);
    this.storeEnd += bytes.length;
  }
}
