import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, loadConfigFile, MAX_CONFIG_FILE_BYTES } from "../../../core/config/index.js";

const Schema = z.object({ port: z.number().default(1).describe("port") }).strict();

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "logpipe-config-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function linesOf(path: string): Promise<string[]> {
  const error = await loadConfigFile(path, Schema).catch((e: unknown) => e);
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return error.lines;
}

describe("loadConfigFile", () => {
  it("reads and validates a YAML file", async () => {
    const path = join(dir, "ok.yaml");
    await writeFile(path, "port: 8080\n");
    await expect(loadConfigFile(path, Schema)).resolves.toEqual({ port: 8080 });
  });

  it("names the file as given in validation errors", async () => {
    const path = join(dir, "bad.yaml");
    await writeFile(path, "port: x\n");
    expect(await linesOf(path)).toEqual([`${path}: port: expected number, got string "x" (line 1)`]);
  });

  it("says in one line that a missing file was not found", async () => {
    const path = join(dir, "nope.yaml");
    expect(await linesOf(path)).toEqual([`${path}: config file not found`]);
  });

  it("refuses a directory", async () => {
    expect(await linesOf(dir)).toEqual([`${dir}: is a directory, not a config file`]);
  });

  it("refuses a file larger than any real config", async () => {
    const path = join(dir, "huge.yaml");
    await writeFile(path, `# ${"x".repeat(MAX_CONFIG_FILE_BYTES)}\n`);
    const [line] = await linesOf(path);
    expect(line).toMatch(
      new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: config file is too large`),
    );
  });

  it("repairs invalid UTF-8 rather than failing to read", async () => {
    const path = join(dir, "latin1.yaml");
    await writeFile(
      path,
      Buffer.concat([Buffer.from("# caf"), Buffer.from([0xe9]), Buffer.from("\nport: 2\n")]),
    );
    await expect(loadConfigFile(path, Schema)).resolves.toEqual({ port: 2 });
  });
});
