import { describe, expect, it } from "vitest";
import { formatConfigIssue, formatConfigPath } from "../../../core/config/index.js";

describe("formatConfigPath", () => {
  it("joins identifier keys with dots", () => {
    expect(formatConfigPath(["inputs", "forward", "port"])).toBe("inputs.forward.port");
  });

  it("writes sequence indexes in brackets", () => {
    expect(formatConfigPath(["outputs", 0, "type"])).toBe("outputs[0].type");
  });

  it("quotes keys that contain dots, spaces or start with a digit", () => {
    expect(formatConfigPath(["labels", "a.b", "c d", "1x"])).toBe('labels["a.b"]["c d"]["1x"]');
  });
});

describe("formatConfigIssue", () => {
  it("omits the line suffix when the position is unknown", () => {
    expect(
      formatConfigIssue({ kind: "schema", file: "f.yaml", path: ["a"], message: "expected number" }),
    ).toBe("f.yaml: a: expected number");
  });

  it("puts line and column after the file for syntax errors", () => {
    expect(
      formatConfigIssue({ kind: "syntax", file: "f.yaml", path: [], message: "bad", line: 3, column: 7 }),
    ).toBe("f.yaml:3:7: YAML syntax error: bad");
  });

  it("writes file problems as one plain line", () => {
    expect(
      formatConfigIssue({ kind: "file", file: "f.yaml", path: [], message: "config file not found" }),
    ).toBe("f.yaml: config file not found");
  });
});
