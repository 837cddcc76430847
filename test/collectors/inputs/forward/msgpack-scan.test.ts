import fc from "fast-check";
import { Packr } from "msgpackr";
import { describe, expect, test } from "vitest";
import { ForwardProtocolError } from "../../../../collectors/inputs/forward/errors.js";
import {
  INCOMPLETE,
  readArrayHeader,
  readMapHeader,
  readRaw,
  strHeader,
  ValueScanner,
} from "../../../../collectors/inputs/forward/msgpack-scan.js";

const packr = new Packr({ useRecords: false, variableMapSize: true });

function scanWhole(bytes: Uint8Array, maxDepth = 512): number {
  const scanner = new ValueScanner(maxDepth);
  return scanner.scan(bytes, 0, bytes.length);
}

const jsonValue = fc.jsonValue({ maxDepth: 5 });

describe("ValueScanner", () => {
  test("finds the end of any packed value exactly", () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        const bytes = packr.pack(value);
        expect(scanWhole(Buffer.concat([bytes, Buffer.from([0xc0, 0xc0])]))).toBe(bytes.length);
      }),
      { numRuns: 300 },
    );
  });

  test("resumed over arbitrary splits, it answers the same length as over the whole value", () => {
    fc.assert(
      fc.property(jsonValue, fc.array(fc.nat(), { maxLength: 8 }), (value, cuts) => {
        const bytes = packr.pack(value);
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const scanner = new ValueScanner(512);
        for (const point of points) {
          const got = scanner.scan(bytes, 0, point);
          if (got !== INCOMPLETE) expect(got).toBe(bytes.length);
          if (point < bytes.length) expect(got).toBe(INCOMPLETE);
        }
        expect(scanner.scan(bytes, 0, bytes.length)).toBe(bytes.length);
      }),
      { numRuns: 300 },
    );
  });

  test("reports a value cut short as incomplete, not malformed", () => {
    const bytes = packr.pack({ message: "hello", n: [1, 2, 3] });
    for (let cut = 0; cut < bytes.length; cut++) {
      expect(scanWhole(bytes.subarray(0, cut))).toBe(INCOMPLETE);
    }
  });

  test("rejects the never-used byte 0xc1 as malformed", () => {
    const bytes = Buffer.from([0x92, 0x01, 0xc1]);
    expect(() => scanWhole(bytes)).toThrow(ForwardProtocolError);
    try {
      scanWhole(bytes);
    } catch (error) {
      expect((error as ForwardProtocolError).code).toBe("malformed_msgpack");
    }
  });

  test("refuses nesting deeper than its limit without recursing", () => {
    const deep = Buffer.alloc(100_000, 0x91);
    expect(() => scanWhole(deep, 64)).toThrow(/deeper than 64/);
  });

  test("records the element offsets and count of a top-level array", () => {
    const tag = packr.pack("app");
    const entries = packr.pack([[1, { a: 1 }]]);
    const bytes = Buffer.concat([Buffer.from([0x92]), tag, entries]);
    const scanner = new ValueScanner(512);
    expect(scanner.scan(bytes, 0, bytes.length)).toBe(bytes.length);
    expect(scanner.topKind).toBe("array");
    expect(scanner.elementCount).toBe(2);
    expect(scanner.elements).toEqual([1, 1 + tag.length]);
  });

  test("reads non-minimal headers (array32, map32, str32)", () => {
    const bytes = Buffer.from([
      0xdd, 0, 0, 0, 2, 0xdf, 0, 0, 0, 1, 0xdb, 0, 0, 0, 1, 0x6b, 0x01, 0xdb, 0, 0, 0, 2, 0x68, 0x69,
    ]);
    const scanner = new ValueScanner(512);
    expect(scanner.scan(bytes, 0, bytes.length)).toBe(bytes.length);
    expect(scanner.elements).toEqual([5, 17]);
  });

  test("flags extension types other than EventTime (0) and timestamp (-1)", () => {
    const eventTime = Buffer.from([0xd7, 0x00, 0, 0, 0, 1, 0, 0, 0, 0]);
    const scanner = new ValueScanner(512);
    scanner.scan(eventTime, 0, eventTime.length);
    expect(scanner.foreignExtension).toBe(false);
    const record = Buffer.from([0xd4, 0x72, 0x00]);
    scanner.reset();
    scanner.scan(record, 0, record.length);
    expect(scanner.foreignExtension).toBe(true);
  });

  test("answers a declared length past the available bytes with how much it needs", () => {
    const bin32 = Buffer.from([0xc6, 0x7f, 0xff, 0xff, 0xff]);
    const scanner = new ValueScanner(512);
    expect(scanner.scan(bin32, 0, bin32.length)).toBe(INCOMPLETE);
    expect(scanner.needed).toBe(5 + 0x7fffffff);
  });
});

describe("raw readers", () => {
  test("read str and bin bytes without decoding them", () => {
    const raw = Buffer.from([0xff, 0xfe, 0x00]);
    const str = Buffer.concat([strHeader(3), raw]);
    const span = readRaw(str, 0, str.length)!;
    expect(str.subarray(span.start, span.end)).toEqual(raw);
    const bin = Buffer.concat([Buffer.from([0xc4, 3]), raw]);
    const binSpan = readRaw(bin, 0, bin.length)!;
    expect(bin.subarray(binSpan.start, binSpan.end)).toEqual(raw);
  });

  test("refuse a str that runs past the end", () => {
    expect(readRaw(Buffer.from([0xa5, 0x61]), 0, 2)).toBeUndefined();
  });

  test("read array and map headers of every width", () => {
    expect(readArrayHeader(Buffer.from([0x93]), 0, 1)).toEqual({ count: 3, head: 1 });
    expect(readArrayHeader(Buffer.from([0xdc, 0x01, 0x00]), 0, 3)).toEqual({ count: 256, head: 3 });
    expect(readArrayHeader(Buffer.from([0xdd, 0, 0, 0, 2]), 0, 5)).toEqual({ count: 2, head: 5 });
    expect(readMapHeader(Buffer.from([0xdf, 0, 0, 0, 3]), 0, 5)).toEqual({ count: 3, head: 5 });
    expect(readMapHeader(Buffer.from([0x93]), 0, 1)).toBeUndefined();
  });
});
