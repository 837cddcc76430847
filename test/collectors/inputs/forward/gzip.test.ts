import { gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { ForwardProtocolError } from "../../../../collectors/inputs/forward/errors.js";
import { gunzipBounded } from "../../../../collectors/inputs/forward/gzip.js";

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ForwardProtocolError) return error.code;
    throw error;
  }
  return undefined;
}

describe("gunzipBounded", () => {
  test("inflates concatenated gzip members as one stream", async () => {
    const blob = Buffer.concat([gzipSync(Buffer.from("hello ")), gzipSync(Buffer.from("world"))]);
    expect((await gunzipBounded(blob, 1024)).toString()).toBe("hello world");
  });

  test("stops a gzip bomb at the cap instead of inflating it", async () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024), { level: 9 });
    expect(bomb.length).toBeLessThan(16 * 1024);
    expect(await codeOf(gunzipBounded(bomb, 256 * 1024))).toBe("decompressed_too_large");
  });

  test("reports a corrupt stream as bad_gzip", async () => {
    const blob = gzipSync(Buffer.from("hello"));
    blob[blob.length - 6] = blob[blob.length - 6]! ^ 0xff;
    expect(await codeOf(gunzipBounded(blob, 1024))).toBe("bad_gzip");
  });

  test("reports a truncated stream as bad_gzip", async () => {
    const blob = gzipSync(Buffer.from("hello world"));
    expect(await codeOf(gunzipBounded(blob.subarray(0, blob.length - 4), 1024))).toBe("bad_gzip");
  });
});
