import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  isIsoMillisOf,
  isoMillis,
  MAX_TIME_MS,
  parseEventTime,
} from "../../../processors/transforms/time.js";

const MS = Date.UTC(2025, 11, 5, 18, 0, 0, 123);

describe("parseEventTime", () => {
  it.each([
    ["epoch milliseconds (pino time)", MS, MS],
    ["epoch seconds with a fraction (zap ts)", MS / 1000, MS],
    ["epoch seconds as an integer", Math.floor(MS / 1000), MS - 123],
    ["epoch microseconds", MS * 1000 + 456, MS],
    ["epoch nanoseconds", MS * 1e6, MS],
    ["a numeric string of milliseconds", String(MS), MS],
    ["a numeric string of seconds", "1764957600.123", MS],
    ["ISO with Z", "2025-12-05T18:00:00.123Z", MS],
    ["ISO with nanoseconds", "2025-12-05T18:00:00.123456789Z", MS],
    ["ISO with an offset", "2025-12-05T19:00:00.123+01:00", MS],
    ["ISO with a compact offset", "2025-12-05T19:00:00.123+0100", MS],
    ["ISO with a space and no zone, read as UTC", "2025-12-05 18:00:00.123", MS],
    ["ISO with a comma fraction", "2025-12-05T18:00:00,123Z", MS],
    ["ISO without seconds", "2025-12-05T18:00Z", MS - 123],
    ["a Date", new Date(MS), MS],
    ["a bigint of milliseconds", BigInt(MS), MS],
  ])("reads %s", (_name, raw, expected) => {
    expect(parseEventTime(raw)).toBe(expected);
  });

  it.each([
    ["an unparseable string", "yesterday"],
    ["a date without a time", "2025-12-05"],
    ["an out-of-range hour", "2025-12-05T25:00:00Z"],
    ["a negative number", -5],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["nanoseconds beyond the year 9999", 1e22],
    ["a huge string", `2025-12-05T18:00:00.${"1".repeat(100)}Z`],
    ["an invalid Date", new Date(Number.NaN)],
    ["a boolean", true],
    ["an object", { seconds: 1 }],
    ["null", null],
    ["a nginx time (not supported)", "05/Dec/2025:18:00:00 +0000"],
  ])("rejects %s", (_name, raw) => {
    expect(parseEventTime(raw)).toBeUndefined();
  });
});

describe("isoMillis", () => {
  it("formats like Date#toISOString for every valid time", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_TIME_MS }), (ms) => {
        expect(isoMillis(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 2000 },
    );
  });

  it("formats consecutive days correctly after reusing the date part", () => {
    const day = 86_400_000;
    for (const ms of [MS, MS + 1, MS + day, MS - day, 0, day - 1, MAX_TIME_MS]) {
      expect(isoMillis(ms)).toBe(new Date(ms).toISOString());
    }
  });
});

describe("isIsoMillisOf", () => {
  it("accepts the schema timestamp of the same time", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_TIME_MS }), (ms) => {
        expect(isIsoMillisOf(new Date(ms).toISOString(), ms)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it("agrees with comparing against isoMillis when one character is changed", () => {
    const chars = "0123456789:.-TZ tz+/ \u00e9";
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_TIME_MS }),
        fc.integer({ min: 0, max: 23 }),
        fc.constantFrom(...chars),
        (ms, at, c) => {
          const iso = isoMillis(ms);
          const text = iso.slice(0, at) + c + iso.slice(at + 1);
          expect(isIsoMillisOf(text, ms)).toBe(text === iso);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("rejects a timestamp of another millisecond, day or length", () => {
    expect(isIsoMillisOf("2025-12-05T18:00:00.123Z", MS + 1)).toBe(false);
    expect(isIsoMillisOf("2025-12-06T18:00:00.123Z", MS)).toBe(false);
    expect(isIsoMillisOf("2025-12-05T18:00:00.1230Z", MS)).toBe(false);
    expect(isIsoMillisOf("2025-12-05T18:00:00.12Z", MS)).toBe(false);
  });

  it("rejects a rolled-over date that parses to the same time", () => {
    // 31 November is 1 December once parsed; the text is still not the event's timestamp.
    const ms = Date.UTC(2025, 11, 1, 0, 0, 0, 0);
    expect(isIsoMillisOf("2025-11-31T00:00:00.000Z", ms)).toBe(false);
  });
});
