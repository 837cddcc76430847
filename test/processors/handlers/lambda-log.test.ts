import { describe, expect, it } from "vitest";
import { lambdaLogger } from "../../../processors/handlers/index.js";

describe("lambdaLogger", () => {
  it("writes one JSON object per line with level, message and fields", () => {
    const lines: string[] = [];
    lambdaLogger((line) => lines.push(line))("info", "batch done", { events: 3 });
    expect(lines.map((l) => JSON.parse(l))).toEqual([{ level: "info", message: "batch done", events: 3 }]);
  });

  it("still writes the message when a field cannot be encoded", () => {
    const lines: string[] = [];
    lambdaLogger((line) => lines.push(line))("warn", "odd", { n: 1n });
    expect(JSON.parse(lines[0]!)).toEqual({ level: "warn", message: "odd" });
  });
});
