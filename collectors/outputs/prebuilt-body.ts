import type { BuildMiddleware, MetadataBearer } from "@smithy/types";

/**
 * The AWS outputs write their request bodies themselves and hand them to the SDK, which still
 * signs, sends, and parses the answer as for any command. Its generic serialiser walks every
 * value in JavaScript (it escapes each message character by character, and base64-encodes record
 * data byte by byte), which cost more than the rest of an output together; the engine's
 * `JSON.stringify` and Buffer's base64 do the same work natively.
 *
 * Use: `command.middlewareStack.add(replaceBody(body), REPLACE_BODY)` on a command made with a
 * small placeholder input.
 */

/** Where the body is replaced: the build step, ahead of the content-length middleware and of signing. */
export const REPLACE_BODY = { step: "build", priority: "high", name: "logpipePrebuiltBody" } as const;

/**
 * A build middleware that sends `body` in place of what the SDK serialised. Given as bytes: a
 * string body of megabytes is converted again on its way to the socket.
 */
export function replaceBody<I extends object, O extends MetadataBearer>(
  body: Uint8Array,
): BuildMiddleware<I, O> {
  return (next) => (args) => {
    (args.request as { body?: unknown }).body = body;
    return next(args);
  };
}

/** Bytes of record data base64-encoded at a time: a multiple of 3, so the pieces join up. */
const BASE64_PIECE_BYTES = 48 * 1024;
const INITIAL_BODY_BYTES = 256 * 1024;

/**
 * A request body written into a reusable buffer. On this kind of machine fresh memory is what
 * costs: a megabyte string or buffer made per request is faulted in page by page (about a
 * millisecond a megabyte), and a string that size lives in V8's large-object space, which is
 * never reused. A body written into a buffer kept from one request to the next costs only the
 * copying.
 */
export class BodyWriter {
  length = 0;

  constructor(private buffer: Buffer) {}

  /** Appends `text` as UTF-8. */
  write(text: string): void {
    this.ensure(text.length * 3);
    this.length += this.buffer.write(text, this.length, "utf8");
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

  /** The body written so far; valid until the writer is released. */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  /** The buffer, for the pool to keep. */
  take(): Buffer {
    return this.buffer;
  }

  private ensure(more: number): void {
    if (this.length + more <= this.buffer.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.length + more, this.buffer.length * 2));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
}

/** Buffers for request bodies, handed out one per request in flight and taken back after it. */
export class BodyPool {
  private readonly free: Buffer[] = [];

  /** @param keep most buffers kept while idle (about the requests an output has in flight) */
  constructor(private readonly keep = 16) {}

  writer(): BodyWriter {
    return new BodyWriter(this.free.pop() ?? Buffer.allocUnsafe(INITIAL_BODY_BYTES));
  }

  /** Takes the writer's buffer back; the request that used it must be finished with it. */
  release(writer: BodyWriter): void {
    if (this.free.length < this.keep) this.free.push(writer.take());
  }
}
