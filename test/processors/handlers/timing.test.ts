import { describe, expect, it } from "vitest";
import { defaultSafetyMarginMs, invocationDeadlines } from "../../../processors/handlers/index.js";
import { T0, VirtualClock } from "./support.js";

describe("defaultSafetyMarginMs", () => {
  it("keeps 5 s of a one-minute invocation", () => {
    expect(defaultSafetyMarginMs(60_000)).toBe(6_000);
  });

  it("keeps a tenth of a long invocation", () => {
    expect(defaultSafetyMarginMs(900_000)).toBe(90_000);
  });

  it("keeps half of a very short invocation", () => {
    expect(defaultSafetyMarginMs(3_000)).toBe(1_500);
  });
});

describe("invocationDeadlines", () => {
  it("stops retrying at the margin and finishing halfway into it", () => {
    const deadlines = invocationDeadlines(new VirtualClock(), 60_000, 8_000);
    expect(deadlines.retryUntil).toBe(T0 + 52_000);
    expect(deadlines.finishUntil).toBe(T0 + 56_000);
  });

  it("treats a nonsensical remaining time as none left", () => {
    const deadlines = invocationDeadlines(new VirtualClock(), Number.NaN, 1_000);
    expect(deadlines.retryUntil).toBe(T0);
  });
});
