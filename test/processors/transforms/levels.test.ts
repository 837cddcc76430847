import { describe, expect, it } from "vitest";
import { normaliseLevel } from "../../../processors/transforms/levels.js";

describe("normaliseLevel", () => {
  it.each([
    ["trace", "trace"],
    ["TRACE", "trace"],
    ["verbose", "trace"],
    ["finest", "trace"],
    ["debug", "debug"],
    ["DEBUG", "debug"],
    ["dbg", "debug"],
    ["fine", "debug"],
    ["info", "info"],
    ["INFO", "info"],
    ["Information", "info"],
    ["informational", "info"],
    ["notice", "info"],
    ["NOTICE", "info"],
    ["warn", "warn"],
    ["WARN", "warn"],
    ["warning", "warn"],
    ["Warning", "warn"],
    ["WARNING", "warn"],
    ["error", "error"],
    ["ERROR", "error"],
    ["err", "error"],
    ["severe", "error"],
    ["dpanic", "error"],
    ["fatal", "fatal"],
    ["FATAL", "fatal"],
    ["crit", "fatal"],
    ["critical", "fatal"],
    ["CRITICAL", "fatal"],
    ["alert", "fatal"],
    ["emerg", "fatal"],
    ["emergency", "fatal"],
    ["panic", "fatal"],
    ["  Warning  ", "warn"],
    ["wArNiNg", "warn"],
    ["E", "error"],
    ["W", "warn"],
    ["I", "info"],
  ] as const)("maps the spelling %j to %s", (raw, level) => {
    expect(normaliseLevel(raw)).toBe(level);
  });

  it.each([
    [10, "trace"],
    [20, "debug"],
    [30, "info"],
    [40, "warn"],
    [50, "error"],
    [60, "fatal"],
    [35, "info"],
    [100, "fatal"],
    ["30", "info"],
    ["50", "error"],
  ] as const)("maps the pino level %j to %s", (raw, level) => {
    expect(normaliseLevel(raw)).toBe(level);
  });

  it.each([
    [0, "fatal"],
    [1, "fatal"],
    [2, "fatal"],
    [3, "error"],
    [4, "warn"],
    [5, "info"],
    [6, "info"],
    [7, "debug"],
    ["3", "error"],
  ] as const)("maps the syslog severity %j to %s", (raw, level) => {
    expect(normaliseLevel(raw)).toBe(level);
  });

  it.each([
    "banana",
    "",
    "   ",
    "infoo",
    "9",
    "8",
    -1,
    2.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    "1234567",
    true,
    null,
    undefined,
    {},
    ["info"],
  ])("does not recognise %j", (raw) => {
    expect(normaliseLevel(raw)).toBeUndefined();
  });
});
