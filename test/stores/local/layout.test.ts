import { describe, expect, it } from "vitest";
import {
  currentHourStart,
  escapePartitionValue,
  parseDtDir,
  parseHourDir,
  partitionEnd,
  partitionOf,
  partitionRelDir,
  serviceDirName,
  unescapePartitionValue,
} from "../../../stores/local/layout.js";

describe("partition paths", () => {
  it("puts an event in the UTC day and hour of its timestamp", () => {
    expect(partitionOf("api", Date.parse("2026-01-05T23:59:59.999Z"))).toEqual({
      service: "api",
      dt: "2026-01-05",
      hour: "23",
    });
  });

  it("builds the Hive layout of the S3 lake", () => {
    expect(partitionRelDir({ service: "checkout", dt: "2026-01-05", hour: "07" })).toBe(
      "logs/service=checkout/dt=2026-01-05/hour=07",
    );
  });

  it("escapes characters that would break the path the way Hive does", () => {
    expect(escapePartitionValue("a/b=c%d")).toBe("a%2Fb%3Dc%25d");
    expect(escapePartitionValue("tab\there")).toBe("tab%09here");
    expect(escapePartitionValue("plain-name_1.2 ü")).toBe("plain-name_1.2 ü");
  });

  it.each(["a/b=c", "x%41y", "q'\"", "a\\b", "..", "日本/語", "100%"])(
    "round-trips %j through escaping",
    (value) => {
      expect(unescapePartitionValue(escapePartitionValue(value))).toBe(value);
    },
  );

  it("decodes percent-encoded UTF-8 written by other tools", () => {
    expect(unescapePartitionValue("caf%C3%A9")).toBe("café");
  });

  it("refuses a service whose directory name would exceed 255 bytes", () => {
    expect(serviceDirName("s".repeat(120))).toBeDefined();
    expect(serviceDirName("/".repeat(100))).toBeUndefined();
    expect(() => partitionRelDir({ service: "/".repeat(100), dt: "2026-01-05", hour: "00" })).toThrow(
      /too long/,
    );
  });

  it("knows when an hour partition ends and which hour is current", () => {
    expect(partitionEnd({ dt: "2026-01-05", hour: "23" })).toBe(Date.parse("2026-01-06T00:00:00Z"));
    expect(currentHourStart(Date.parse("2026-01-05T10:59:59.999Z"))).toBe(Date.parse("2026-01-05T10:00:00Z"));
  });

  it("reads only well-formed dt and hour directory names", () => {
    expect(parseDtDir("dt=2026-01-05")).toBe("2026-01-05");
    expect(parseDtDir("dt=2026-1-5")).toBeUndefined();
    expect(parseDtDir("dt=2026-13-45")).toBeUndefined();
    expect(parseHourDir("hour=09")).toBe("09");
    expect(parseHourDir("hour=24")).toBeUndefined();
    expect(parseHourDir("hour=9")).toBeUndefined();
  });
});
