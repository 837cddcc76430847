import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  encodeFrame,
  FRAME_PREFIX_BYTES,
  findNextFrame,
  MAX_KEY_BYTES,
  normalizeDedupKey,
  parseFrame,
  type ScanEvent,
  scanFrames,
} from "../../../collectors/buffer/frame.js";

const payload = (text: string) => Buffer.from(text, "utf8");

describe("encodeFrame / parseFrame", () => {
  it("round-trips the sequence number, count, dedup key and payload", () => {
    const frame = encodeFrame(42, 3, "chunk-1:abc", [payload("records")]);
    const parsed = parseFrame(frame, 0);
    expect(parsed).toMatchObject({
      kind: "ok",
      size: frame.length,
      firstSeq: 42,
      count: 3,
      key: "chunk-1:abc",
    });
    expect(parsed.kind === "ok" && parsed.payload.toString()).toBe("records");
  });

  it("builds the same frame from a payload's pieces as from the payload whole", () => {
    const pieces = [payload("head|"), payload(""), payload("entries ünïcode")];
    const whole = encodeFrame(9, 4, "k", [Buffer.concat(pieces)]);
    expect(encodeFrame(9, 4, "k", pieces).equals(whole)).toBe(true);
  });

  it("parses a frame without a dedup key as keyless", () => {
    const parsed = parseFrame(encodeFrame(0, 1, undefined, [payload("x")]), 0);
    expect(parsed.kind === "ok" && parsed.key).toBeUndefined();
  });

  it("parses a frame at an offset inside a larger buffer", () => {
    const first = encodeFrame(0, 1, undefined, [payload("a")]);
    const second = encodeFrame(1, 2, "k", [payload("bb")]);
    const parsed = parseFrame(Buffer.concat([first, second]), first.length);
    expect(parsed).toMatchObject({ kind: "ok", firstSeq: 1, count: 2, key: "k" });
  });

  it("reports a flipped payload byte as a checksum mismatch", () => {
    const frame = encodeFrame(7, 1, "key", [payload("hello world")]);
    frame[frame.length - 3]! ^= 0x01;
    expect(parseFrame(frame, 0)).toEqual({ kind: "corrupt", reason: "crc_mismatch" });
  });

  it("reports a changed length field as corrupt or incomplete, never as a valid frame", () => {
    const frame = encodeFrame(7, 1, "key", [payload("hello world")]);
    for (const delta of [-1, 1, 5]) {
      const copy = Buffer.from(frame);
      copy.writeUInt32LE(copy.readUInt32LE(4) + delta, 4);
      expect(parseFrame(Buffer.concat([copy, Buffer.alloc(16)]), 0).kind).not.toBe("ok");
    }
  });

  it("reports a wrong magic as corrupt", () => {
    const frame = encodeFrame(0, 1, undefined, [payload("x")]);
    frame[0] = 0;
    expect(parseFrame(frame, 0)).toEqual({ kind: "corrupt", reason: "bad_magic" });
  });

  it("reports an absurd length as corrupt rather than waiting for gigabytes", () => {
    const frame = encodeFrame(0, 1, undefined, [payload("x")]);
    frame.writeUInt32LE(0xffffffff, 4);
    expect(parseFrame(frame, 0)).toEqual({ kind: "corrupt", reason: "bad_length" });
  });

  it("reports a frame cut short as incomplete with the bytes it needs", () => {
    const frame = encodeFrame(0, 1, undefined, [payload("some payload")]);
    expect(parseFrame(frame.subarray(0, frame.length - 1), 0)).toEqual({
      kind: "incomplete",
      needed: frame.length,
    });
    expect(parseFrame(frame.subarray(0, 5), 0)).toEqual({ kind: "incomplete", needed: FRAME_PREFIX_BYTES });
  });

  it("rejects a checksum-valid frame whose header is impossible", () => {
    // count 0 with a correct checksum: only a bug or a forgery could produce it
    const frame = encodeFrame(0, 0, undefined, [payload("x")]);
    expect(parseFrame(frame, 0)).toEqual({ kind: "corrupt", reason: "bad_header" });
  });
});

describe("normalizeDedupKey", () => {
  it("keeps short keys as they are", () => {
    expect(normalizeDedupKey("abc")).toBe("abc");
  });

  it("replaces an oversized key by a stable digest", () => {
    const long = "k".repeat(MAX_KEY_BYTES + 1);
    expect(normalizeDedupKey(long)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(normalizeDedupKey(long)).toBe(normalizeDedupKey(long));
    expect(normalizeDedupKey(long)).not.toBe(normalizeDedupKey(`${long}x`));
  });

  it("measures the key in UTF-8 bytes, not characters", () => {
    const multiByte = "é".repeat(MAX_KEY_BYTES / 2 + 1);
    expect(normalizeDedupKey(multiByte)).toMatch(/^sha256:/);
  });
});

describe("scanFrames", () => {
  const frames = [0, 1, 2, 3].map((i) =>
    encodeFrame(i * 10, 10, `k${i}`, [payload(`payload ${i}`.repeat(5))]),
  );
  const entries = (events: ScanEvent[]) => events.filter((e) => e.kind === "entry").map((e) => e.firstSeq);

  it("lists every entry of an intact segment", () => {
    const events = [...scanFrames(Buffer.concat(frames))];
    expect(entries(events)).toEqual([0, 10, 20, 30]);
    expect(events.every((e) => e.kind === "entry")).toBe(true);
  });

  it("skips a corrupt entry in the middle and continues after it", () => {
    const bytes = Buffer.concat(frames);
    bytes[frames[0]!.length + 30]! ^= 0xff;
    const events = [...scanFrames(bytes)];
    expect(entries(events)).toEqual([0, 20, 30]);
    expect(events.filter((e) => e.kind === "corrupt")).toEqual([
      { kind: "corrupt", offset: frames[0]!.length, bytes: frames[1]!.length, reason: "crc_mismatch" },
    ]);
  });

  it("reports a torn last entry as a tail to cut", () => {
    const bytes = Buffer.concat(frames);
    const torn = bytes.subarray(0, bytes.length - 7);
    const events = [...scanFrames(torn)];
    expect(entries(events)).toEqual([0, 10, 20]);
    expect(events.at(-1)).toEqual({
      kind: "tail",
      offset: bytes.length - frames[3]!.length,
      bytes: frames[3]!.length - 7,
      reason: "incomplete",
    });
  });

  it("treats zero-filled space after the last entry as a tail", () => {
    const events = [...scanFrames(Buffer.concat([...frames, Buffer.alloc(4096)]))];
    expect(entries(events)).toHaveLength(4);
    expect(events.at(-1)).toMatchObject({ kind: "tail", bytes: 4096, reason: "bad_magic" });
  });

  it("finds the next valid frame even when garbage contains the magic bytes", () => {
    const garbage = Buffer.concat([Buffer.from([0xf5, 0x4c, 0x50, 0xb1, 9, 9, 9]), Buffer.alloc(20, 7)]);
    const bytes = Buffer.concat([garbage, frames[2]!]);
    expect(findNextFrame(bytes, 0)).toBe(garbage.length);
  });

  it("never throws and only reports checksum-valid entries for arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 0, max: 3 }), (noise, at) => {
        // Random garbage spliced between real frames: every real frame outside it is recovered.
        const parts = [...frames.slice(0, at), Buffer.from(noise), ...frames.slice(at)];
        const events = [...scanFrames(Buffer.concat(parts))];
        const found = entries(events);
        for (const frame of frames) {
          const seq = frame.readDoubleLE(12);
          expect(found).toContain(seq);
        }
        let covered = 0;
        for (const event of events) {
          expect(event.offset).toBe(covered);
          covered += event.kind === "entry" ? event.size : event.bytes;
        }
      }),
      { numRuns: 300 },
    );
  });
});
