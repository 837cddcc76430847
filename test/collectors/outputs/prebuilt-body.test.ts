import { describe, expect, it } from "vitest";
import { BodyPool, BodyWriter } from "../../../collectors/outputs/prebuilt-body.js";

describe("BodyWriter", () => {
  it("appends UTF-8 text and keeps what it wrote when it outgrows its buffer", () => {
    const writer = new BodyWriter(Buffer.allocUnsafe(4));
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
      const writer = new BodyWriter(Buffer.allocUnsafe(16));
      writer.write('"');
      writer.writeBase64(data.subarray(0, size));
      writer.write('"');
      expect(writer.bytes().toString("latin1")).toBe(`"${data.toString("base64")}"`);
    },
  );

  it("encodes only the bytes of a view, not the memory around it", () => {
    const backing = Buffer.from("xxabcyy");
    const writer = new BodyWriter(Buffer.allocUnsafe(0));
    writer.writeBase64(backing.subarray(2, 5));
    expect(writer.bytes().toString("latin1")).toBe(Buffer.from("abc").toString("base64"));
  });
});

describe("BodyPool", () => {
  it("hands a released buffer to the next writer instead of allocating", () => {
    const pool = new BodyPool();
    const first = pool.writer();
    first.write("x".repeat(300_000));
    const grown = first.take();
    pool.release(first);
    const second = pool.writer();
    expect(second.take()).toBe(grown);
    expect(second.length).toBe(0);
  });

  it("keeps at most as many idle buffers as it was told", () => {
    const pool = new BodyPool(1);
    const writers = [pool.writer(), pool.writer()];
    for (const writer of writers) pool.release(writer);
    const kept = pool.writer().take();
    expect(kept).toBe(writers[0]!.take());
    expect(pool.writer().take()).not.toBe(writers[1]!.take());
  });
});
