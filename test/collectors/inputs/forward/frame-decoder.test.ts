import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Packr } from "msgpackr";
import { describe, expect, test } from "vitest";
import { ForwardProtocolError } from "../../../../collectors/inputs/forward/errors.js";
import { type Frame, FrameDecoder } from "../../../../collectors/inputs/forward/frame-decoder.js";

const FIXTURES = join(import.meta.dirname, "../../../fixtures/fluent-bit");
const packr = new Packr({ useRecords: false });

function drain(decoder: FrameDecoder): Frame[] {
  const frames: Frame[] = [];
  for (let frame = decoder.next(); frame; frame = decoder.next()) frames.push(frame);
  return frames;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ForwardProtocolError) return error.code;
    throw error;
  }
  return undefined;
}

describe("FrameDecoder", () => {
  const fixture = readFileSync(join(FIXTURES, "plain_ack/plain_ack_Forward_1.bin"));

  test("cuts several frames arriving in one chunk", () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 1 << 20 });
    decoder.push(Buffer.concat([fixture, fixture, fixture]));
    const frames = drain(decoder);
    expect(frames).toHaveLength(3);
    for (const frame of frames) expect(frame.bytes).toEqual(fixture);
    expect(decoder.bufferedBytes).toBe(0);
  });

  test("decodes a frame fed one byte at a time the same as whole", () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 1 << 20 });
    const frames: Frame[] = [];
    for (const byte of fixture) {
      decoder.push(Buffer.from([byte]));
      frames.push(...drain(decoder));
    }
    expect(frames).toHaveLength(1);
    expect(frames[0]!.bytes).toEqual(fixture);
    expect(frames[0]!.elementCount).toBe(3);
    expect(frames[0]!.elements).toEqual([1, 9, 0x172]);
  });

  test("hands out frames whose bytes later input does not overwrite", () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 1 << 20 });
    const a = packr.pack(["a", 1, { x: "first" }]);
    const b = packr.pack(["b", 2, { x: "second" }]);
    decoder.push(a.subarray(0, 5));
    decoder.push(Buffer.concat([a.subarray(5), b.subarray(0, 3)]));
    const [first] = drain(decoder);
    decoder.push(b.subarray(3));
    const [second] = drain(decoder);
    decoder.push(Buffer.alloc(64, 0xc0));
    expect(first!.bytes).toEqual(a);
    expect(second!.bytes).toEqual(b);
  });

  test("waits for the rest of a frame cut anywhere", () => {
    for (let cut = 1; cut < fixture.length; cut += 7) {
      const decoder = new FrameDecoder({ maxFrameBytes: 1 << 20 });
      decoder.push(fixture.subarray(0, cut));
      expect(decoder.next()).toBeUndefined();
      decoder.push(fixture.subarray(cut));
      expect(decoder.next()?.bytes).toEqual(fixture);
    }
  });

  test("refuses a frame whose declared length exceeds the cap before the bytes arrive", () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 1024 });
    decoder.push(Buffer.from([0x92, 0xa1, 0x61, 0xc6, 0x00, 0x10, 0x00, 0x00]));
    expect(codeOf(() => decoder.next())).toBe("frame_too_large");
  });

  test("refuses a connection that buffers the cap without completing a frame", () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 1024 });
    // an array claiming a million elements, fed nils: no declared size gives it away
    decoder.push(Buffer.from([0xdd, 0x00, 0x0f, 0x42, 0x40]));
    expect(decoder.next()).toBeUndefined();
    decoder.push(Buffer.alloc(1100, 0xc0));
    expect(codeOf(() => decoder.next())).toBe("frame_too_large");
  });

  test("accepts a frame of exactly the cap", () => {
    const payload = Buffer.alloc(1024 - 5, 0x61);
    const frame = Buffer.concat([Buffer.from([0xc6, 0, 0, 0x03, 0xfb]), payload]);
    expect(frame.length).toBe(1024);
    const decoder = new FrameDecoder({ maxFrameBytes: 1024 });
    decoder.push(frame);
    expect(decoder.next()?.bytes.length).toBe(1024);
  });

  test("reports malformed bytes and keeps failing afterwards", () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 1024 });
    decoder.push(Buffer.from([0x93, 0xc1]));
    expect(codeOf(() => decoder.next())).toBe("malformed_msgpack");
    decoder.push(fixture);
    expect(codeOf(() => decoder.next())).toBe("malformed_msgpack");
  });

  test("describes a bare integer as a scalar frame, not an array", () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 1024 });
    decoder.push(Buffer.from([0x2a]));
    const frame = decoder.next()!;
    expect(frame.topKind).toBe("other");
    expect(frame.elementCount).toBe(0);
  });
});
