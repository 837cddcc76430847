import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { LogpipeConfigSchema, loadLogpipeConfig } from "../../cli/config.js";
import { EXIT_USAGE, main } from "../../cli/program.js";
import { ConfigError, configJsonSchema } from "../../core/config/index.js";

const FIXTURES = "test/fixtures/config";

let stdout: string;
let stderr: string;

beforeEach(() => {
  stdout = "";
  stderr = "";
  process.exitCode = undefined;
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe("logpipe config check", () => {
  it("prints ok for the example config", async () => {
    expect(await main(["config", "check", "examples/logpipe.yaml"])).toBe(0);
    expect(stdout).toBe("ok\n");
    expect(stderr).toBe("");
  });

  it("accepts a file with only comments", async () => {
    expect(await main(["config", "check", `${FIXTURES}/empty.yaml`])).toBe(0);
    expect(stdout).toBe("ok\n");
  });

  it("names file, key path, expectation and line for a wrong type", async () => {
    expect(await main(["config", "check", `${FIXTURES}/wrong-type.yaml`])).toBe(1);
    expect(stderr).toBe(
      `${FIXTURES}/wrong-type.yaml: retry.max_attempts: expected number, got string "abc" (line 3)\n`,
    );
    expect(stdout).toBe("");
  });

  it("names an unknown key and the keys allowed there", async () => {
    expect(await main(["config", "check", `${FIXTURES}/unknown-key.yaml`])).toBe(1);
    expect(stderr).toBe(
      `${FIXTURES}/unknown-key.yaml: retry.backoff: unknown key ` +
        "(expected one of: max_attempts, max_elapsed_ms, initial_delay_ms, max_delay_ms) (line 4)\n",
    );
  });

  it("prints one line per problem, with bounds and cross-field rules", async () => {
    expect(await main(["config", "check", `${FIXTURES}/out-of-range.yaml`])).toBe(1);
    expect(stderr.split("\n").filter(Boolean)).toEqual([
      `${FIXTURES}/out-of-range.yaml: retry.max_attempts: expected a number at least 1, got number 0 (line 2)`,
      `${FIXTURES}/out-of-range.yaml: retry.max_delay_ms: must be at least initial_delay_ms (line 4)`,
    ]);
  });

  it("gives file, line and column of a YAML syntax error", async () => {
    expect(await main(["config", "check", `${FIXTURES}/syntax-error.yaml`])).toBe(1);
    expect(stderr).toMatch(
      new RegExp(
        `^${FIXTURES}/syntax-error\\.yaml:3:1: YAML syntax error: Flow sequence in block collection`,
      ),
    );
    expect(stderr.trim().split("\n")).toHaveLength(1);
  });

  it("says in one line that the file does not exist", async () => {
    expect(await main(["config", "check", `${FIXTURES}/missing.yaml`])).toBe(1);
    expect(stderr).toBe(`${FIXTURES}/missing.yaml: config file not found\n`);
  });

  it("exits 2 with one line when the file argument is missing", async () => {
    expect(await main(["config", "check"])).toBe(EXIT_USAGE);
    expect(stderr).toMatch(/^error: missing required argument 'file'\n$/);
  });
});

describe("logpipe config schema", () => {
  it("prints the JSON Schema of the config, pretty", async () => {
    expect(await main(["config", "schema"])).toBe(0);
    const schema = JSON.parse(stdout) as Record<string, unknown>;
    expect(schema["$schema"]).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema["title"]).toBe("logpipe configuration");
    expect(Object.keys(schema["properties"] as object)).toContain("retry");
    expect(stdout).toContain('\n  "title"');
  });
});

describe("logpipe usage errors", () => {
  it("exit 2 with a one-line error for an unknown command", async () => {
    expect(await main(["frobnicate"])).toBe(EXIT_USAGE);
    expect(stderr).toMatch(/^error: unknown command 'frobnicate'\n$/);
  });

  it("exit 2 with a one-line error for an unknown option", async () => {
    expect(await main(["config", "check", "--frob", "examples/logpipe.yaml"])).toBe(EXIT_USAGE);
    expect(stderr).toMatch(/^error: unknown option '--frob'\n$/);
  });

  it("list the commands in --help", async () => {
    expect(await main(["--help"])).toBe(0);
    expect(stdout).toMatch(/Commands:[\s\S]*\bconfig\b/);
  });

  it("list the config subcommands in its --help", async () => {
    expect(await main(["config", "--help"])).toBe(0);
    expect(stdout).toMatch(/\bcheck\b[\s\S]*\bschema\b/);
  });
});

describe("LogpipeConfigSchema", () => {
  it("accepts the example config", () => {
    const text = readFileSync("examples/logpipe.yaml", "utf8");
    expect(LogpipeConfigSchema.safeParse(parse(text)).error).toBeUndefined();
  });

  it("gives every default when no file is named", async () => {
    const config = await loadLogpipeConfig();
    expect(config.data_dir).toBe(".logpipe");
    expect(config.retry.max_attempts).toBeGreaterThanOrEqual(1);
  });

  it("loads the config file that is named", async () => {
    expect((await loadLogpipeConfig("examples/logpipe.yaml")).retry.max_elapsed_ms).toBe(300_000);
  });

  it("rejects a named config file that does not validate", async () => {
    await expect(loadLogpipeConfig(`${FIXTURES}/unknown-key.yaml`)).rejects.toBeInstanceOf(ConfigError);
  });

  it("describes every field in its JSON Schema", () => {
    const undocumented = undescribedFields(configJsonSchema(LogpipeConfigSchema, "logpipe configuration"));
    expect(undocumented).toEqual([]);
  });

  it("has a description check that finds undescribed nested fields", () => {
    const schema = z.object({
      a: z.object({ b: z.array(z.object({ c: z.string() }).describe("item")).describe("b") }).describe("a"),
    });
    expect(undescribedFields(configJsonSchema(schema, "t"))).toEqual(["a.b[].c"]);
  });
});

/** Paths of properties (at any depth) whose JSON Schema carries no description. */
function undescribedFields(node: unknown, path = "", out: string[] = []): string[] {
  if (typeof node !== "object" || node === null) return out;
  const schema = node as Record<string, unknown>;
  const properties = schema["properties"] as Record<string, Record<string, unknown>> | undefined;
  for (const [key, child] of Object.entries(properties ?? {})) {
    const childPath = path ? `${path}.${key}` : key;
    if (typeof child["description"] !== "string" || child["description"] === "") out.push(childPath);
    undescribedFields(child, childPath, out);
  }
  for (const keyword of ["anyOf", "oneOf", "allOf", "prefixItems"]) {
    for (const [i, option] of ((schema[keyword] as unknown[] | undefined) ?? []).entries()) {
      undescribedFields(option, `${path}<${keyword}${i}>`, out);
    }
  }
  for (const keyword of ["items", "additionalProperties"]) {
    if (typeof schema[keyword] === "object") undescribedFields(schema[keyword], `${path}[]`, out);
  }
  for (const [name, def] of Object.entries((schema["$defs"] as Record<string, unknown> | undefined) ?? {})) {
    undescribedFields(def, `$defs.${name}`, out);
  }
  return out;
}
