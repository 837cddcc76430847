import { describe, expect, it } from "vitest";
import type { LogEvent } from "../../../core/event/schema.js";
import { encodeEvent, invalidReason } from "../../../stores/local/encode.js";

const valid: LogEvent = {
  id: "01JEXAMPLE",
  "@timestamp": "2026-01-05T10:00:00.123Z",
  service: "checkout",
  level: "info",
  message: "ok",
};

describe("invalidReason", () => {
  it("accepts a schema-valid event", () => {
    expect(invalidReason(valid)).toBeUndefined();
    expect(
      invalidReason({ ...valid, ingest_time: "2026-01-05T10:00:01.000Z", attrs: {}, http: {} }),
    ).toBeUndefined();
  });

  it.each([
    "2024-02-29T23:59:59.999Z",
    "2000-02-29T00:00:00.000Z",
    "2026-12-31T00:00:00.000Z",
    "1970-01-01T00:00:00.000Z",
  ])("accepts the timestamp %s", (at) => {
    expect(invalidReason({ ...valid, "@timestamp": at })).toBeUndefined();
  });

  it.each([
    ["a string", "not an event"],
    ["February 29 of 1900", { ...valid, "@timestamp": "1900-02-29T10:00:00.000Z" }],
    ["a letter for a digit", { ...valid, "@timestamp": "2026-0a-05T10:00:00.000Z" }],
    ["a letter in the milliseconds", { ...valid, "@timestamp": "2026-01-05T10:00:00.00xZ" }],
    ["a space for the T", { ...valid, "@timestamp": "2026-01-05 10:00:00.000Z" }],
    ["a trailing character", { ...valid, "@timestamp": "2026-01-05T10:00:00.000Z " }],
    ["null", null],
    ["an array", [valid]],
    ["no id", { ...valid, id: undefined }],
    ["an empty id", { ...valid, id: "" }],
    ["an oversized id", { ...valid, id: "x".repeat(129) }],
    ["a timestamp without milliseconds", { ...valid, "@timestamp": "2026-01-05T10:00:00Z" }],
    ["a timestamp with an offset", { ...valid, "@timestamp": "2026-01-05T10:00:00.000+02:00" }],
    ["an impossible date", { ...valid, "@timestamp": "2026-13-45T10:00:00.000Z" }],
    ["February 30", { ...valid, "@timestamp": "2026-02-30T10:00:00.000Z" }],
    ["February 29 of a common year", { ...valid, "@timestamp": "2026-02-29T10:00:00.000Z" }],
    ["April 31", { ...valid, "@timestamp": "2026-04-31T10:00:00.000Z" }],
    ["hour 24", { ...valid, "@timestamp": "2026-01-05T24:00:00.000Z" }],
    ["minute 60", { ...valid, "@timestamp": "2026-01-05T10:60:00.000Z" }],
    ["second 60", { ...valid, "@timestamp": "2026-01-05T10:00:60.000Z" }],
    ["day 0", { ...valid, "@timestamp": "2026-01-00T10:00:00.000Z" }],
    ["a numeric timestamp", { ...valid, "@timestamp": 1767607200000 }],
    ["no service", { ...valid, service: undefined }],
    ["a service too long for a path", { ...valid, service: "/".repeat(100) }],
    ["a numeric message", { ...valid, message: 42 }],
    ["a bad ingest_time", { ...valid, ingest_time: "yesterday" }],
    ["attrs as an array", { ...valid, attrs: ["a"] }],
    ["http as a string", { ...valid, http: "GET /" }],
  ])("refuses %s", (_, event) => {
    expect(invalidReason(event)).toEqual(expect.any(String));
  });
});

describe("encodeEvent", () => {
  it("encodes one line of JSON", () => {
    const line = encodeEvent({ ...valid, message: "two\nlines" });
    expect(line).not.toContain("\n");
    expect(JSON.parse(line)).toEqual({ ...valid, message: "two\nlines" });
  });

  it("replaces lone surrogates in values and keys with U+FFFD", () => {
    const line = encodeEvent({ ...valid, message: "a\ud800b", attrs: { "k\udc00": "v\ud83d" } });
    expect(JSON.parse(line)).toMatchObject({ message: "a\ufffdb", attrs: { "k\ufffd": "v\ufffd" } });
  });

  it("keeps paired surrogates (emoji) untouched", () => {
    expect(JSON.parse(encodeEvent({ ...valid, message: "ship it 🚀" })).message).toBe("ship it 🚀");
  });
});
