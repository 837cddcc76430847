import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, parseConfigText } from "../../../core/config/index.js";

const Output = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("cloudwatch").describe("kind"),
      log_group: z.string().min(1).describe("group"),
    })
    .strict(),
  z
    .object({
      type: z.literal("firehose").describe("kind"),
      stream: z.string().describe("stream"),
      max_records: z.number().int().max(500).default(500).describe("records"),
    })
    .strict(),
]);

const TestSchema = z
  .object({
    server: z
      .object({
        host: z.string().default("127.0.0.1").describe("host"),
        port: z.number().int().min(0).max(65535).default(24224).describe("port"),
        level: z.enum(["debug", "info", "warn", "error"]).default("info").describe("level"),
      })
      .strict()
      .prefault({})
      .describe("server"),
    name: z.string().min(2).max(10).optional().describe("name"),
    tags: z.array(z.string()).max(2).default([]).describe("tags"),
    labels: z.record(z.string(), z.string()).default({}).describe("labels"),
    outputs: z.array(Output).default([]).describe("outputs"),
  })
  .strict();

function issuesOf(text: string): string[] {
  try {
    parseConfigText(text, "conf.yaml", TestSchema);
  } catch (error) {
    if (error instanceof ConfigError) return error.lines;
    throw error;
  }
  throw new Error("expected the config to be rejected");
}

describe("parseConfigText", () => {
  it("returns the typed config with defaults filled in", () => {
    const config = parseConfigText("server:\n  port: 9000\n", "conf.yaml", TestSchema);
    expect(config.server).toEqual({ host: "127.0.0.1", port: 9000, level: "info" });
    expect(config.outputs).toEqual([]);
  });

  it("treats an empty file as an empty mapping so every default applies", () => {
    expect(parseConfigText("", "conf.yaml", TestSchema).server.port).toBe(24224);
  });

  it("treats a file of only comments as empty", () => {
    expect(parseConfigText("# nothing yet\n\n# really\n", "conf.yaml", TestSchema).tags).toEqual([]);
  });

  it("treats an explicit null document as empty", () => {
    expect(parseConfigText("~\n", "conf.yaml", TestSchema).server.level).toBe("info");
  });

  it("names file, key path, expected type, received value and line for a wrong type", () => {
    expect(issuesOf("# config\nserver:\n  port: abc\n")).toEqual([
      'conf.yaml: server.port: expected number, got string "abc" (line 3)',
    ]);
  });

  it("says integer when an integer is expected", () => {
    expect(issuesOf("server:\n  port: 1.5\n")).toEqual([
      "conf.yaml: server.port: expected integer, got number 1.5 (line 2)",
    ]);
  });

  it("describes a mapping given where a scalar belongs", () => {
    expect(issuesOf("server:\n  host:\n    a: 1\n")).toEqual([
      "conf.yaml: server.host: expected string, got object (line 2)",
    ]);
  });

  it("lists the allowed keys for an unknown key", () => {
    expect(issuesOf("server:\n  prot: 80\n")).toEqual([
      "conf.yaml: server.prot: unknown key (expected one of: host, port, level) (line 2)",
    ]);
  });

  it("reports every unknown key on its own line", () => {
    expect(issuesOf("colour: red\nsize: 3\n")).toEqual([
      "conf.yaml: colour: unknown key (expected one of: server, name, tags, labels, outputs) (line 1)",
      "conf.yaml: size: unknown key (expected one of: server, name, tags, labels, outputs) (line 2)",
    ]);
  });

  it("lists the allowed values for an enum mismatch", () => {
    expect(issuesOf("server:\n  level: verbose\n")).toEqual([
      'conf.yaml: server.level: expected one of "debug", "info", "warn", "error", got string "verbose" (line 2)',
    ]);
  });

  it("states the bound a number exceeds", () => {
    expect(issuesOf("server:\n  port: 70000\n")).toEqual([
      "conf.yaml: server.port: expected a number at most 65535, got number 70000 (line 2)",
    ]);
  });

  it("states the bound a number falls below", () => {
    expect(issuesOf("server:\n  port: -1\n")).toEqual([
      "conf.yaml: server.port: expected a number at least 0, got number -1 (line 2)",
    ]);
  });

  it("states string length bounds with the length found", () => {
    expect(issuesOf("name: x\n")).toEqual([
      "conf.yaml: name: expected at least 2 characters, got 1 (line 1)",
    ]);
  });

  it("states array length bounds with the count found", () => {
    expect(issuesOf("tags: [a, b, c]\n")).toEqual([
      "conf.yaml: tags: expected at most 2 items, got 3 (line 1)",
    ]);
  });

  it("indexes sequence items in the path and points at the item's line", () => {
    expect(issuesOf("tags:\n  - a\n  - 7\n")).toEqual([
      "conf.yaml: tags[1]: expected string, got number 7 (line 3)",
    ]);
  });

  it("quotes keys that are not plain identifiers", () => {
    expect(issuesOf("labels:\n  app.kubernetes.io/name: 5\n")).toEqual([
      'conf.yaml: labels["app.kubernetes.io/name"]: expected string, got number 5 (line 2)',
    ]);
  });

  it("points a missing required key at its parent's line", () => {
    expect(issuesOf("outputs:\n  - type: firehose\n")).toEqual([
      "conf.yaml: outputs[0].stream: missing required key (expected string) (line 2)",
    ]);
  });

  it("lists the tags of a discriminated union when the tag is unknown", () => {
    expect(issuesOf("outputs:\n  - type: kinesis\n")).toEqual([
      'conf.yaml: outputs[0].type: expected one of "cloudwatch", "firehose", got string "kinesis" (line 2)',
    ]);
  });

  it("reports a missing union tag as a missing key", () => {
    expect(issuesOf("outputs:\n  - stream: s\n")).toEqual([
      'conf.yaml: outputs[0].type: missing required key (expected one of "cloudwatch", "firehose") (line 2)',
    ]);
  });

  it("lists only the keys of the chosen union option for an unknown key", () => {
    expect(issuesOf("outputs:\n  - type: cloudwatch\n    log_group: g\n    stream: s\n")).toEqual([
      "conf.yaml: outputs[0].stream: unknown key (expected one of: type, log_group) (line 4)",
    ]);
  });

  it("reports a wrong top-level type without a key path", () => {
    expect(issuesOf("- a\n- b\n")).toEqual(["conf.yaml: expected object, got array"]);
  });

  it("shortens very long received strings", () => {
    const [line] = issuesOf(`server:\n  port: ${"x".repeat(10_000)}\n`);
    expect(line).toBe(`conf.yaml: server.port: expected number, got string "${"x".repeat(60)}…" (line 2)`);
  });

  it("orders problems from the top of the file down", () => {
    expect(issuesOf("zzz: 1\nserver:\n  port: abc\n")).toEqual([
      "conf.yaml: zzz: unknown key (expected one of: server, name, tags, labels, outputs) (line 1)",
      'conf.yaml: server.port: expected number, got string "abc" (line 3)',
    ]);
  });

  it("rejects a __proto__ key as unknown without touching prototypes", () => {
    expect(issuesOf("__proto__:\n  polluted: true\n")).toEqual([
      "conf.yaml: __proto__: unknown key (expected one of: server, name, tags, labels, outputs) (line 1)",
    ]);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  it("carries structured issues and one line per issue in the message", () => {
    let caught: unknown;
    try {
      parseConfigText("server:\n  port: abc\n  level: loud\n", "conf.yaml", TestSchema);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.name).toBe("ConfigError");
    expect(error.file).toBe("conf.yaml");
    expect(error.issues.map((issue) => [issue.kind, issue.path, issue.line])).toEqual([
      ["schema", ["server", "port"], 2],
      ["schema", ["server", "level"], 3],
    ]);
    expect(error.message.split("\n")).toEqual(error.lines);
  });
});

describe("parseConfigText on malformed YAML", () => {
  it("gives file, line and column of a syntax error", () => {
    expect(issuesOf("server:\n  port: [1, 2\nname: x\n")).toEqual([
      expect.stringMatching(/^conf\.yaml:3:1: YAML syntax error: Flow sequence in block collection must be/),
    ]);
  });

  it("rejects duplicate keys", () => {
    expect(issuesOf("name: ab\nname: cd\n")).toEqual([
      expect.stringMatching(/^conf\.yaml:2:1: YAML syntax error: Map keys must be unique$/),
    ]);
  });

  it("rejects tabs used as indentation", () => {
    expect(issuesOf("server:\n\tport: 1\n")[0]).toMatch(/^conf\.yaml:2:\d+: YAML syntax error: /);
  });

  it("rejects a second document in the same file", () => {
    expect(issuesOf("name: ab\n---\nname: cd\n")).toEqual([
      "conf.yaml:2:1: YAML syntax error: a config file holds one YAML document, but a second one starts here",
    ]);
  });

  it("rejects tags it cannot resolve instead of reading them as strings", () => {
    expect(issuesOf("name: !!js/function 'x'\n")).toEqual([
      "conf.yaml:1:7: YAML syntax error: Unresolved tag: tag:yaml.org,2002:js/function",
    ]);
  });

  it("rejects a truncated file", () => {
    expect(issuesOf('server:\n  host: "127.0')[0]).toMatch(/^conf\.yaml:2:\d+: YAML syntax error: /);
  });

  it("rejects an alias expansion bomb instead of expanding it", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++) {
      const previous = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(", ")}]`);
    }
    expect(issuesOf(`${levels.join("\n")}\n`)).toEqual([
      expect.stringMatching(/^conf\.yaml: YAML syntax error: Excessive alias count/),
    ]);
  });

  it("rejects absurdly deep nesting without crashing", () => {
    const [line] = issuesOf(`tags: ${"[".repeat(5_000)}${"]".repeat(5_000)}\n`);
    // Whether the parser's recursion gives up depends on the stack size; either way the answer
    // is a config error, not a crash.
    expect(line).toMatch(/^conf\.yaml(:1:\d+: YAML syntax error: |: tags\[0\]: expected string, got array)/);
  });

  it("accepts a byte order mark at the start", () => {
    expect(parseConfigText("\uFEFFname: ab\n", "conf.yaml", TestSchema).name).toBe("ab");
  });
});
