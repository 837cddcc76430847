/**
 * Text and bytes written into a buffer kept from one use to the next. On this kind of machine
 * fresh memory is what costs: a megabyte string or buffer made per request or batch is faulted
 * in page by page (about a millisecond a megabyte), and a string that size lives in V8's
 * large-object space, which is never reused. Written into a buffer that is kept, the same bytes
 * cost only the copying.
 */

/** Bytes base64-encoded at a time: a multiple of 3, so the pieces join up. */
const BASE64_PIECE_BYTES = 48 * 1024;
const INITIAL_BYTES = 256 * 1024;

/** Appends UTF-8 text and bytes to a buffer that grows as needed. */
export class ByteWriter {
  length = 0;

  constructor(private buffer: Buffer = Buffer.allocUnsafe(0)) {}

  /** Appends `text` as UTF-8. */
  write(text: string): void {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    this.ensure(text.length * 3);
    this.length += this.buffer.write(text, this.length, "utf8");
  }

  writeByte(byte: number): void {
    this.ensure(1);
    this.buffer[this.length++] = byte;
  }

  /** Appends `data` base64-encoded, in pieces small enough to stay out of the large-object space. */
  writeBase64(data: Uint8Array): void {
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.ensure(Math.ceil(bytes.length / 3) * 4);
    for (let at = 0; at < bytes.length; at += BASE64_PIECE_BYTES) {
      const piece = bytes.subarray(at, Math.min(bytes.length, at + BASE64_PIECE_BYTES)).toString("base64");
      this.length += this.buffer.write(piece, this.length, "latin1");
    }
  }

  /** What was written so far; valid until the writer is released. */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  /** The buffer, for a pool to keep. */
  take(): Buffer {
    return this.buffer;
  }

  private ensure(more: number): void {
    if (this.length + more <= this.buffer.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.length + more, this.buffer.length * 2, INITIAL_BYTES));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
}

/** Buffers handed out one per writer in use and taken back after it. */
export class ByteWriterPool {
  private readonly free: Buffer[] = [];

  /**
   * @param keep most buffers kept while idle (about the writers in use at once)
   * @param maxKeptBytes a larger buffer is let go: one outsized use should not pin its memory
   */
  constructor(
    private readonly keep = 16,
    private readonly maxKeptBytes = Number.POSITIVE_INFINITY,
  ) {}

  writer(): ByteWriter {
    return new ByteWriter(this.free.pop() ?? Buffer.allocUnsafe(INITIAL_BYTES));
  }

  /** Takes the writer's buffer back; whoever used it must be finished with the bytes. */
  release(writer: ByteWriter): void {
    const buffer = writer.take();
    if (this.free.length < this.keep && buffer.length <= this.maxKeptBytes) this.free.push(buffer);
  }
}
