import { describe, expect, it } from "vitest";
import { ByteWriter, ByteWriterPool } from "../../core/bytes.js";

describe("ByteWriter", () => {
  it("appends UTF-8 text and keeps what it wrote when it outgrows its buffer", () => {
    const writer = new ByteWriter(Buffer.allocUnsafe(4));
    const parts = ["{", '"ü": "✓🚀"', ",".repeat(1000), "}"];
    for (const part of parts) writer.write(part);
    expect(writer.bytes().toString("utf8")).toBe(parts.join(""));
    expect(writer.length).toBe(Buffer.byteLength(parts.join("")));
  });

  it.each([0, 1, 2, 3, 48 * 1024 - 1, 48 * 1024, 48 * 1024 + 1, 200_000])(
    "base64-encodes %i bytes exactly as Buffer does, piece by piece",
    (size) => {
      const data = Buffer.alloc(size);
      for (let i = 0; i < size; i++) data[i] = (i * 7919) & 0xff;
      const writer = new ByteWriter(Buffer.allocUnsafe(16));
      writer.write('"');
      writer.writeBase64(data.subarray(0, size));
      writer.write('"');
      expect(writer.bytes().toString("latin1")).toBe(`"${data.toString("base64")}"`);
    },
  );

  it("appends single bytes after text", () => {
    const writer = new ByteWriter();
    for (const line of ['{"a":1}', '{"b":"ü"}']) {
      writer.write(line);
      writer.writeByte(0x0a);
    }
    expect(writer.bytes().toString("utf8")).toBe('{"a":1}\n{"b":"ü"}\n');
  });

  it("encodes only the bytes of a view, not the memory around it", () => {
    const backing = Buffer.from("xxabcyy");
    const writer = new ByteWriter();
    writer.writeBase64(backing.subarray(2, 5));
    expect(writer.bytes().toString("latin1")).toBe(Buffer.from("abc").toString("base64"));
  });
});

describe("ByteWriterPool", () => {
  it("hands a released buffer to the next writer instead of allocating", () => {
    const pool = new ByteWriterPool();
    const first = pool.writer();
    first.write("x".repeat(300_000));
    const grown = first.take();
    pool.release(first);
    const second = pool.writer();
    expect(second.take()).toBe(grown);
    expect(second.length).toBe(0);
  });

  it("lets go of a buffer larger than it keeps", () => {
    const pool = new ByteWriterPool(4, 1024 * 1024);
    const big = pool.writer();
    big.write("x".repeat(2 * 1024 * 1024));
    pool.release(big);
    expect(pool.writer().take()).not.toBe(big.take());
  });

  it("keeps at most as many idle buffers as it was told", () => {
    const pool = new ByteWriterPool(1);
    const writers = [pool.writer(), pool.writer()];
    for (const writer of writers) pool.release(writer);
    const kept = pool.writer().take();
    expect(kept).toBe(writers[0]!.take());
    expect(pool.writer().take()).not.toBe(writers[1]!.take());
  });
});
