import { describe, expect, it } from "vitest";
import { extractEventTime, parseEventTime } from "../../../../collectors/inputs/http/time.js";

const FALLBACK = 1_700_000_000_000;

describe("parseEventTime", () => {
  it("reads an ISO-8601 UTC string with milliseconds", () => {
    expect(parseEventTime("2024-03-05T10:20:30.123Z")).toBe(Date.UTC(2024, 2, 5, 10, 20, 30, 123));
  });

  it("applies a numeric offset", () => {
    expect(parseEventTime("2024-03-05T12:20:30+02:00")).toBe(Date.UTC(2024, 2, 5, 10, 20, 30));
    expect(parseEventTime("2024-03-05T05:50:30-0430")).toBe(Date.UTC(2024, 2, 5, 10, 20, 30));
  });

  it("keeps nanosecond fractions to the millisecond", () => {
    expect(parseEventTime("2024-03-05T10:20:30.123456789Z")).toBe(Date.UTC(2024, 2, 5, 10, 20, 30, 123));
  });

  it("reads a string without offset as UTC", () => {
    expect(parseEventTime("2024-03-05 10:20:30")).toBe(Date.UTC(2024, 2, 5, 10, 20, 30));
  });

  it("reads a date alone as midnight UTC", () => {
    expect(parseEventTime("2024-03-05")).toBe(Date.UTC(2024, 2, 5));
  });

  it("reads epoch seconds, with or without a fraction", () => {
    expect(parseEventTime(1_700_000_000)).toBe(1_700_000_000_000);
    expect(parseEventTime(1_700_000_000.5)).toBe(1_700_000_000_500);
  });

  it("reads epoch milliseconds when the number is above 1e11", () => {
    expect(parseEventTime(1_700_000_000_123)).toBe(1_700_000_000_123);
  });

  it("reads epoch microseconds and nanoseconds by magnitude", () => {
    expect(parseEventTime(1_700_000_000_123_456)).toBe(1_700_000_000_123);
    expect(parseEventTime(1.700000000123e18)).toBe(1_700_000_000_123);
  });

  it("reads a string of digits as an epoch number", () => {
    expect(parseEventTime("1700000000")).toBe(1_700_000_000_000);
  });

  it.each([
    ["garbage text", "yesterday-ish"],
    ["an empty string", ""],
    ["an impossible date", "2024-02-31T00:00:00Z"],
    ["an hour out of range", "2024-03-05T25:00:00Z"],
    ["a year before 1970", "0050-01-01T00:00:00Z"],
    ["a non-ISO date string", "March 5, 2024"],
    ["zero", 0],
    ["a negative number", -5],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["a boolean", true],
    ["null", null],
    ["an object", { seconds: 1 }],
  ])("answers undefined for %s", (_, value) => {
    expect(parseEventTime(value)).toBeUndefined();
  });
});

describe("extractEventTime", () => {
  it("prefers @timestamp over the other fields", () => {
    const record = { "@timestamp": "2024-03-05T10:20:30Z", timestamp: 1, time: 2, ts: 3 };
    expect(extractEventTime(record, FALLBACK)).toBe(Date.UTC(2024, 2, 5, 10, 20, 30));
  });

  it("reads timestamp, time and ts in that order", () => {
    expect(extractEventTime({ timestamp: 1_700_000_001, time: 1_700_000_002 }, FALLBACK)).toBe(
      1_700_000_001_000,
    );
    expect(extractEventTime({ time: 1_700_000_002, ts: 1_700_000_003 }, FALLBACK)).toBe(1_700_000_002_000);
    expect(extractEventTime({ ts: 1_700_000_003_000 }, FALLBACK)).toBe(1_700_000_003_000);
  });

  it("skips a garbage field and uses the next usable one", () => {
    expect(extractEventTime({ time: "not a time", ts: 1_700_000_003 }, FALLBACK)).toBe(1_700_000_003_000);
  });

  it("falls back to the receipt time when no field holds a time", () => {
    expect(extractEventTime({ message: "hi" }, FALLBACK)).toBe(FALLBACK);
    expect(extractEventTime({ time: "garbage" }, FALLBACK)).toBe(FALLBACK);
  });

  it("leaves the record untouched", () => {
    const record = { ts: 1_700_000_000, message: "hi" };
    extractEventTime(record, FALLBACK);
    expect(record).toEqual({ ts: 1_700_000_000, message: "hi" });
  });
});
