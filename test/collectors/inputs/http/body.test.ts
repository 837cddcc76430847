import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { readBody } from "../../../../collectors/inputs/http/body.js";
import { HttpInputError } from "../../../../collectors/inputs/http/errors.js";

const WIDE = { maxWireBytes: 1 << 20, maxDecodedBytes: 1 << 20 };

function chunks(...parts: (string | Buffer)[]): Readable {
  return Readable.from(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : p)));
}

async function refusal(promise: Promise<unknown>): Promise<HttpInputError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpInputError);
  return error as HttpInputError;
}

describe("readBody", () => {
  it("concatenates a plain body and reports its size", async () => {
    const result = await readBody(chunks('{"a":', "1}\n"), false, WIDE);
    expect(result.body.toString()).toBe('{"a":1}\n');
    expect(result.wireBytes).toBe(8);
  });

  it("inflates a gzip body streamed in small pieces", async () => {
    const zipped = gzipSync('{"a":1}\n{"b":2}\n');
    const pieces = Array.from({ length: zipped.length }, (_, i) => zipped.subarray(i, i + 1));
    const result = await readBody(chunks(...pieces), true, WIDE);
    expect(result.body.toString()).toBe('{"a":1}\n{"b":2}\n');
    expect(result.wireBytes).toBe(zipped.length);
  });

  it("refuses a body over the wire cap with 413", async () => {
    const error = await refusal(
      readBody(chunks("x".repeat(600), "x".repeat(600)), false, { ...WIDE, maxWireBytes: 1000 }),
    );
    expect([error.status, error.code]).toEqual([413, "body_too_large"]);
  });

  it("stops inflating a gzip bomb as soon as the decoded cap is passed", async () => {
    // Concatenated gzip members are one valid stream: 1000 × 16 MiB of zeros, about 16 MB on the wire.
    const member = gzipSync(Buffer.alloc(16 << 20));
    let pulled = 0;
    const bomb = Readable.from(
      (function* () {
        for (let i = 0; i < 1000; i++) {
          pulled++;
          yield member;
        }
      })(),
    );
    const error = await refusal(readBody(bomb, true, { maxWireBytes: 1 << 30, maxDecodedBytes: 4 << 20 }));
    expect([error.status, error.code]).toEqual([413, "decompressed_too_large"]);
    // Full inflation would have pulled all 1000 members (16 GiB of output).
    expect(pulled).toBeLessThan(50);
  });

  it("refuses a truncated gzip body with 400", async () => {
    const zipped = gzipSync('{"a":1}\n'.repeat(100));
    const error = await refusal(readBody(chunks(zipped.subarray(0, zipped.length - 10)), true, WIDE));
    expect([error.status, error.code]).toEqual([400, "truncated_gzip"]);
    expect(error.message).toBe("gzip body is truncated (unexpected end of file)");
  });

  it("refuses a body that is not gzip at all with 400", async () => {
    const error = await refusal(readBody(chunks('{"a":1}\n'), true, WIDE));
    expect([error.status, error.code]).toEqual([400, "invalid_gzip"]);
  });

  it("reports a source that errors mid-body as a client abort", async () => {
    const source = new Readable({ read() {} });
    const result = readBody(source, false, WIDE);
    source.push(Buffer.from("partial"));
    source.destroy(new Error("socket hang up"));
    const error = await refusal(result);
    expect(error.code).toBe("client_aborted");
  });
});
