import { describe, expect, it } from "vitest";
import { parseDuration, parseTimeBound } from "../../core/duration.js";

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["15m", 900_000],
    ["24h", 86_400_000],
    ["7d", 604_800_000],
    ["1h30m", 5_400_000],
    ["1.5s", 1_500],
    ["2w", 1_209_600_000],
  ])("reads %s as %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "15", "m", "15 minutes", "-5m", "5m garbage", "5x"])("rejects %j with a hint", (text) => {
    expect(() => parseDuration(text)).toThrow(/invalid duration/);
  });
});

describe("parseTimeBound", () => {
  it("counts a duration back from now", () => {
    expect(parseTimeBound("15m", 1_000_000_000).getTime()).toBe(1_000_000_000 - 900_000);
  });

  it("takes an ISO time as is", () => {
    expect(parseTimeBound("2026-12-05T10:00:00Z").toISOString()).toBe("2026-12-05T10:00:00.000Z");
  });

  it("rejects an impossible date", () => {
    expect(() => parseTimeBound("2026-13-45T99:00")).toThrow(/invalid time/);
  });
});
