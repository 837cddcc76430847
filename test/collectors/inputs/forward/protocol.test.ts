import { gunzipSync } from "node:zlib";
import { Packr } from "msgpackr";
import { describe, expect, test } from "vitest";
import { ForwardProtocolError } from "../../../../collectors/inputs/forward/errors.js";
import { type Frame, FrameDecoder } from "../../../../collectors/inputs/forward/frame-decoder.js";
import {
  checkEntries,
  chunkDigest,
  concatenatedEntries,
  type DecodeContext,
  decodeEntries,
  type EventFrame,
  encodeAck,
  packEntries,
  parseEventFrame,
  readTime,
  unpackEntries,
} from "../../../../collectors/inputs/forward/protocol.js";
import { chunkEventId, type PackedEntries } from "../../../../core/event/incoming.js";
import {
  entry,
  eventTime,
  forwardFrame,
  messageFrame,
  packedForwardFrame,
} from "../../../support/forward-client.js";
import { DATA_FOLDERS, exchanges, FIXTURE_RECORD, FIXTURE_TAG } from "./fluent-bit-fixtures.js";

const packr = new Packr({ useRecords: false, variableMapSize: true });
const RECEIVED = 1_800_000_000_000;
const ctx: DecodeContext = { tag: "app", receivedAt: RECEIVED, source: "forward" };

function frameOf(bytes: Buffer): Frame {
  const decoder = new FrameDecoder({ maxFrameBytes: 1 << 24 });
  decoder.push(bytes);
  const frame = decoder.next();
  if (!frame) throw new Error("incomplete test frame");
  return frame;
}

function parse(bytes: Buffer): EventFrame {
  return parseEventFrame(frameOf(bytes));
}

function decode(bytes: Buffer, context: DecodeContext = ctx) {
  const parsed = parse(bytes);
  const entries = parsed.compressed ? gunzipSync(parsed.entries) : parsed.entries;
  return decodeEntries(parsed, entries, context);
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

describe("Fluent Bit frames", () => {
  for (const folder of DATA_FOLDERS) {
    for (const exchange of exchanges(folder)) {
      test(`${exchange.name} decodes to the README record with the recorded times`, () => {
        const parsed = parse(exchange.frame);
        expect(parsed.tag).toBe(FIXTURE_TAG);
        const entries = parsed.compressed ? gunzipSync(parsed.entries) : parsed.entries;
        const decoded = decodeEntries(parsed, entries, { ...ctx, tag: parsed.tag });
        expect(decoded.rejectedCount).toBe(0);
        expect(decoded.records.map((r) => r.record)).toEqual(exchange.times.map(() => FIXTURE_RECORD));
        expect(decoded.records.map((r) => r.time)).toEqual(exchange.times);
        expect(decoded.records.every((r) => r.tag === FIXTURE_TAG && r.source === "forward")).toBe(true);
      });
    }
  }

  test("an ack frame is byte for byte what Fluent Bit received", () => {
    for (const exchange of exchanges("plain_ack")) {
      const parsed = parse(exchange.frame);
      expect(encodeAck(parsed.chunk!)).toEqual(exchange.ack);
    }
  });

  test("reads the modes the recorded frames use", () => {
    expect(parse(exchanges("plain_ack")[0]!.frame).mode).toBe("forward");
    const gzip = parse(exchanges("gzip_ack")[0]!.frame);
    expect(gzip.mode).toBe("packed");
    expect(gzip.compressed).toBe(true);
    expect(parse(exchanges("plain_default")[0]!.frame).chunk).toBeUndefined();
  });
});

describe("parseEventFrame", () => {
  test("reads Message mode with its chunk option", () => {
    const parsed = parse(messageFrame("app", 1_700_000_000, { a: 1 }, { chunk: "abc" }));
    expect(parsed.mode).toBe("message");
    expect(parsed.chunk?.toString()).toBe("abc");
  });

  test("reads PackedForward with a str blob as well as bin", () => {
    const blob = entry(1_700_000_000, { a: 1 });
    const asStr = Buffer.concat([
      Buffer.from([0x93, 0xa3]),
      Buffer.from("app"),
      Buffer.from([0xd9, blob.length]),
      blob,
      packr.pack({}),
    ]);
    const parsed = parse(asStr);
    expect(parsed.mode).toBe("packed");
    expect(parsed.entries).toEqual(blob);
  });

  test("accepts a chunk sent as bin and keeps its bytes", () => {
    const chunk = Buffer.from([0x01, 0xff, 0x80]);
    const parsed = parse(forwardFrame("app", [], { chunk }));
    expect(parsed.chunk).toEqual(chunk);
  });

  test("treats compressed: text as uncompressed", () => {
    const blob = entry(1_700_000_000, { a: 1 });
    expect(parse(packedForwardFrame("app", blob, { compressed: "text" })).compressed).toBe(false);
  });

  test.each([
    ["a bare integer", Buffer.from([0x2a]), "bad_frame_shape"],
    ["a map", packr.pack({ tag: "app" }), "bad_frame_shape"],
    ["an array of one", packr.pack(["app"]), "bad_frame_shape"],
    ["an array of five", packr.pack(["app", 1, {}, {}, {}]), "bad_frame_shape"],
    ["a numeric tag", packr.pack([1, 1, {}]), "bad_frame_shape"],
    ["a map where entries belong", packr.pack(["app", { a: 1 }]), "bad_frame_shape"],
    ["Message mode without a record", packr.pack(["app", 1]), "bad_frame_shape"],
    ["an option that is not a map", packr.pack(["app", [], "chunk"]), "bad_option"],
    ["a numeric chunk", packr.pack(["app", [], { chunk: 12 }]), "bad_option"],
    ["a chunk over 1024 bytes", packr.pack(["app", [], { chunk: "x".repeat(1025) }]), "bad_option"],
    [
      "compressed: zstd",
      packr.pack(["app", Buffer.alloc(1), { compressed: "zstd" }]),
      "unsupported_compression",
    ],
    ["compressed on a Forward frame", packr.pack(["app", [], { compressed: "gzip" }]), "bad_option"],
  ])("rejects %s", (_name, bytes, code) => {
    expect(codeOf(() => parse(bytes))).toBe(code);
  });

  test("repairs an invalid UTF-8 tag instead of failing", () => {
    const bytes = Buffer.concat([Buffer.from([0x92, 0xa3, 0x61, 0xff, 0x62]), Buffer.from([0x90])]);
    expect(parse(bytes).tag).toBe("a\uFFFDb");
  });
});

describe("decodeEntries", () => {
  test("turns EventTime seconds and nanoseconds into epoch milliseconds", () => {
    const { records } = decode(forwardFrame("app", [entry(eventTime(1_700_000_000, 987_654_321), { a: 1 })]));
    expect(records[0]!.time).toBe(1_700_000_000_987);
  });

  test("reads integer and float seconds", () => {
    const { records } = decode(
      forwardFrame("app", [entry(1_700_000_000, { a: 1 }), entry(1_700_000_000.25, { a: 2 })]),
    );
    expect(records.map((r) => r.time)).toEqual([1_700_000_000_000, 1_700_000_000_250]);
  });

  test("reads Fluent Bit's [[time, metadata], record] entries, leaving the metadata out", () => {
    const timeWithMeta = Buffer.concat([
      Buffer.from([0x92]),
      eventTime(1_700_000_001, 5_000_000),
      packr.pack({ otlp: {} }),
    ]);
    const { records } = decode(forwardFrame("app", [entry(timeWithMeta, { a: 1 })]));
    expect(records[0]!.time).toBe(1_700_000_001_005);
    expect(records[0]!.record).toEqual({ a: 1 });
  });

  test("stamps entries without a usable time with the receive time and counts them", () => {
    const decoded = decode(forwardFrame("app", [entry(Buffer.from([0xc0]), { a: 1 }), entry(0, { a: 2 })]));
    expect(decoded.records.map((r) => r.time)).toEqual([RECEIVED, RECEIVED]);
    expect(decoded.timeDefaulted).toBe(2);
  });

  test("decodes every entry of a PackedForward blob", () => {
    const blob = Buffer.concat([
      entry(1_700_000_000, { n: 1 }),
      entry(1_700_000_001, { n: 2 }),
      entry(1_700_000_002, { n: 3 }),
    ]);
    const { records } = decode(packedForwardFrame("app", blob));
    expect(records.map((r) => r.record)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  test("rejects a non-object record but keeps the frame's other entries", () => {
    const decoded = decode(
      forwardFrame("app", [
        entry(1_700_000_000, { n: 1 }),
        entry(1_700_000_000, "just text"),
        entry(1_700_000_000, { n: 3 }),
      ]),
    );
    expect(decoded.records.map((r) => r.record)).toEqual([{ n: 1 }, { n: 3 }]);
    expect(decoded.rejected).toEqual({ non_object_record: 1 });
    expect(decoded.entryCount).toBe(3);
  });

  test("rejects a non-object record in Message mode", () => {
    const decoded = decode(messageFrame("app", 1_700_000_000, [1, 2, 3]));
    expect(decoded.records).toEqual([]);
    expect(decoded.rejected).toEqual({ non_object_record: 1 });
  });

  test("rejects entries that are not [time, record] pairs", () => {
    const blob = Buffer.concat([
      packr.pack([1_700_000_000]),
      packr.pack({ a: 1 }),
      entry(1_700_000_000, { ok: true }),
    ]);
    const decoded = decode(packedForwardFrame("app", blob));
    expect(decoded.records.map((r) => r.record)).toEqual([{ ok: true }]);
    expect(decoded.rejected).toEqual({ bad_entry: 2 });
  });

  test("keeps the entries before a truncated tail of a blob", () => {
    const good = entry(1_700_000_000, { ok: true });
    const cut = entry(1_700_000_000, { message: "cut short" }).subarray(0, 8);
    const decoded = decode(packedForwardFrame("app", Buffer.concat([good, cut])));
    expect(decoded.records.map((r) => r.record)).toEqual([{ ok: true }]);
    expect(decoded.rejected).toEqual({ truncated_entry: 1 });
  });

  test("keeps the entries before malformed bytes inside a blob", () => {
    const good = entry(1_700_000_000, { ok: true });
    const decoded = decode(packedForwardFrame("app", Buffer.concat([good, Buffer.from([0x92, 0x01, 0xc1])])));
    expect(decoded.records).toHaveLength(1);
    expect(decoded.rejected).toEqual({ bad_entry: 1 });
  });

  test("rejects records carrying msgpackr-only extensions (records, cycles, BigInt)", () => {
    const withRecordExt = Buffer.concat([
      Buffer.from([0x92]),
      packr.pack(1_700_000_000),
      Buffer.from([0x81, 0xa1, 0x61, 0xd4, 0x72, 0x00]),
    ]);
    const withBigInt = Buffer.concat([
      Buffer.from([0x92]),
      packr.pack(1_700_000_000),
      Buffer.from([0x81, 0xa1, 0x62, 0xd4, 0x42, 0x01]),
    ]);
    const decoded = decode(
      packedForwardFrame("app", Buffer.concat([withRecordExt, withBigInt, entry(1, { ok: 1 })])),
    );
    expect(decoded.rejected).toEqual({ unsupported_extension: 2 });
    expect(decoded.records.map((r) => r.record)).toEqual([{ ok: 1 }]);
  });

  test("repairs invalid UTF-8 in record keys and values with U+FFFD", () => {
    const badShort = Buffer.from([0x61, 0xff, 0x62]);
    const badLong = Buffer.concat([
      Buffer.alloc(100, 0x61),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.alloc(10, 0x62),
    ]);
    const record = Buffer.concat([
      Buffer.from([0x82, 0xa3]),
      badShort,
      Buffer.from([0xa1, 0x78, 0xa7]),
      Buffer.from("message"),
      Buffer.from([0xd9, badLong.length]),
      badLong,
    ]);
    const decoded = decode(
      forwardFrame("app", [Buffer.concat([Buffer.from([0x92]), packr.pack(1_700_000_000), record])]),
    );
    const out = decoded.records[0]!.record as { message: string } & Record<string, string>;
    expect(out["a\uFFFDb"]).toBe("x");
    expect(out.message).toContain("\uFFFD");
    expect(out.message.startsWith("a".repeat(100))).toBe(true);
    expect(out.message.endsWith("b".repeat(10))).toBe(true);
    expect(out.message.isWellFormed()).toBe(true);
  });

  test("reads 64-bit integers in records as numbers, never BigInt", () => {
    const record = Buffer.concat([
      Buffer.from([0x81, 0xa1, 0x6e, 0xcf]),
      Buffer.from([0, 0, 0, 1, 0, 0, 0, 0]),
    ]);
    const decoded = decode(
      forwardFrame("app", [Buffer.concat([Buffer.from([0x92]), packr.pack(1_700_000_000), record])]),
    );
    expect(decoded.records[0]!.record).toEqual({ n: 2 ** 32 });
  });

  test("gives a chunk's entries ids derived from its digest, the same on every decode", () => {
    const bytes = forwardFrame("app", [entry(1_700_000_000, { n: 1 }), entry(1_700_000_000, { n: 2 })], {
      chunk: "c1",
    });
    const parsed = parse(bytes);
    const digest = chunkDigest(parsed.chunk!, parsed.tagBytes, parsed.entries);
    const first = decodeEntries(parsed, parsed.entries, { ...ctx, digest });
    const again = decodeEntries(parsed, parsed.entries, { ...ctx, receivedAt: RECEIVED + 5, digest });
    expect(first.records.map((r) => r.id)).toEqual([`${digest}-0`, `${digest}-1`]);
    expect(again.records.map((r) => r.id)).toEqual(first.records.map((r) => r.id));
  });

  test("gives entries without a chunk fresh, distinct ids", () => {
    const { records } = decode(
      forwardFrame("app", [entry(1_700_000_000, { n: 1 }), entry(1_700_000_000, { n: 1 })]),
    );
    expect(records[0]!.id).not.toBe(records[1]!.id);
    expect(records[0]!.id).toMatch(/^[0-9A-Z]{26}$/);
  });
});

describe("checkEntries and unpackEntries", () => {
  const good = [
    entry(eventTime(1_700_000_000, 1_000_000), { a: 1 }),
    entry(1_700_000_001, { b: "two" }),
    entry(Buffer.from([0xc0]), { c: [3] }),
  ];

  function block(entries: Buffer, count: number): PackedEntries {
    return {
      kind: "packed_entries",
      tag: "app",
      source: "forward",
      receivedAt: RECEIVED,
      idBase: "d1g3st",
      entries,
      count,
    };
  }

  test("accept well-formed entries and count those whose time will default", () => {
    expect(checkEntries(Buffer.concat(good))).toEqual({ count: 3, timeDefaulted: 1 });
  });

  test("give, once unpacked, exactly the records decodeEntries gives, with ids from the id base", () => {
    const bytes = Buffer.concat(good);
    const unpacked = unpackEntries(block(bytes, 3));
    const decoded = decodeEntries({ mode: "packed" }, bytes, { ...ctx, digest: "d1g3st" });
    expect(unpacked.records).toEqual(decoded.records);
    expect(unpacked.records.map((r) => r.id)).toEqual([0, 1, 2].map((i) => chunkEventId("d1g3st", i)));
    expect(unpacked.records.map((r) => r.record)).toEqual([{ a: 1 }, { b: "two" }, { c: [3] }]);
  });

  test.each([
    ["a record that is not a map", entry(1_700_000_000, ["not", "a", "map"])],
    ["an entry that is not a pair", packr.pack([1_700_000_000])],
    ["an extension type no Fluent client sends", foreignExtensionEntry()],
    ["a truncated entry", entry(1_700_000_000, { a: "abcdef" }).subarray(0, 8)],
    ["the never-used byte 0xc1", Buffer.from([0x92, 0x01, 0xc1])],
  ])("refuse the whole frame when one entry is bad: %s", (_name, bad) => {
    const bytes = Buffer.concat([good[0]!, good[1]!, bad]);
    expect(checkEntries(bytes)).toBeUndefined();
  });

  test("read Fluent Bit's [[time, metadata], record] entries and array16 headers like decodeEntries", () => {
    const withMeta = Buffer.concat([Buffer.from([0x92]), eventTime(1_700_000_002, 0), packr.pack({ m: 1 })]);
    const array16 = Buffer.concat([
      Buffer.from([0xdc, 0x00, 0x02]),
      eventTime(1_700_000_003, 0),
      packr.pack({ n: 2 }),
    ]);
    const bytes = Buffer.concat([entry(withMeta, { a: 1 }), array16]);
    expect(checkEntries(bytes)).toEqual({ count: 2, timeDefaulted: 0 });
    const unpacked = unpackEntries(block(bytes, 2));
    expect(unpacked.records.map((r) => [r.time, r.record])).toEqual([
      [1_700_000_002_000, { a: 1 }],
      [1_700_000_003_000, { n: 2 }],
    ]);
    expect(unpacked.records).toEqual(
      decodeEntries({ mode: "packed" }, bytes, { ...ctx, digest: "d1g3st" }).records,
    );
  });

  test("fall back to judging each entry when the bytes changed since they were checked", () => {
    const bytes = Buffer.concat([good[0]!, good[1]!, Buffer.from([0x92, 0x01, 0xc1])]);
    expect(checkEntries(bytes)).toBeUndefined();
    const unpacked = unpackEntries(block(bytes, 3));
    expect(unpacked.records.map((r) => r.record)).toEqual([{ a: 1 }, { b: "two" }]);
    expect(unpacked.rejected).toEqual({ bad_entry: 1 });
  });

  test("a Forward frame's entries lose only the array header", () => {
    const parsed = parse(forwardFrame("app", good));
    const body = concatenatedEntries(parsed, parsed.entries);
    expect(body.equals(Buffer.concat(good))).toBe(true);
    expect(checkEntries(body)?.count).toBe(3);
  });

  test("a PackedForward blob is used as it is", () => {
    const blob = Buffer.concat(good);
    const parsed = parse(packedForwardFrame("app", blob));
    expect(concatenatedEntries(parsed, parsed.entries).equals(blob)).toBe(true);
  });
  test("packEntries keeps a frame's checked entries as the buffer stores them, or refuses the frame", () => {
    const parsed = parse(forwardFrame("app", good));
    expect(packEntries(parsed, parsed.entries, RECEIVED, "d1g3st")).toEqual({
      block: block(Buffer.concat(good), 3),
      timeDefaulted: 1,
    });
    const bad = parse(forwardFrame("app", [good[0]!, entry(1_700_000_000, ["not", "a", "map"])]));
    expect(packEntries(bad, bad.entries, RECEIVED, "d1g3st")).toBeUndefined();
  });
});

/** `[time, {x: ext 5}]`: an extension type outside the protocol. */
function foreignExtensionEntry(): Buffer {
  return Buffer.from([0x92, 0x01, 0x81, 0xa1, 0x78, 0xd4, 0x05, 0x00]);
}

describe("chunkDigest", () => {
  const tag = Buffer.from("app");
  test("is 22 base64url characters", () => {
    expect(chunkDigest(Buffer.from("c"), tag, Buffer.from("entries"))).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  test("changes with the content under the same chunk id", () => {
    const a = chunkDigest(Buffer.from("c"), tag, Buffer.from("one"));
    const b = chunkDigest(Buffer.from("c"), tag, Buffer.from("two"));
    expect(a).not.toBe(b);
  });

  test("changes with the chunk id for the same content", () => {
    expect(chunkDigest(Buffer.from("c1"), tag, Buffer.from("x"))).not.toBe(
      chunkDigest(Buffer.from("c2"), tag, Buffer.from("x")),
    );
  });
});

describe("readTime", () => {
  test.each([
    ["EventTime", eventTime(1_700_000_000, 1_500_000), 1_700_000_000_001],
    [
      "EventTime as a non-minimal ext8",
      Buffer.concat([Buffer.from([0xc7, 8, 0]), eventTime(1_700_000_000, 0).subarray(2)]),
      1_700_000_000_000,
    ],
    ["uint32 seconds", Buffer.from([0xce, 0x65, 0x53, 0xf1, 0x00]), 1_700_000_000_000],
    ["float64 seconds", packr.pack(1_700_000_000.5), 1_700_000_000_500],
    ["msgpack timestamp32", Buffer.from([0xd6, 0xff, 0x65, 0x53, 0xf1, 0x00]), 1_700_000_000_000],
  ])("reads %s", (_name, bytes, expected) => {
    expect(readTime(bytes, 0, bytes.length)).toBe(expected);
  });

  test.each([
    ["nil", Buffer.from([0xc0])],
    ["a negative number", Buffer.from([0xff])],
    ["a string", packr.pack("2024-01-01")],
    ["a time beyond what a Date holds", packr.pack(1e300)],
  ])("answers undefined for %s", (_name, bytes) => {
    expect(readTime(bytes, 0, bytes.length)).toBeUndefined();
  });
});
