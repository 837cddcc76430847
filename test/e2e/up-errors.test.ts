import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli-process.js";

describe("logpipe up refusing to start", () => {
  let dir: string;
  let occupied: Server;
  let port: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "logpipe-up-errors-"));
    occupied = createServer();
    await new Promise<void>((resolve) => occupied.listen(0, "127.0.0.1", resolve));
    port = (occupied.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => occupied.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it("names the port in use and exits 1", async () => {
    const result = await runCli([
      "up",
      "--data-dir",
      dir,
      "--forward-port",
      String(port),
      "--http-port",
      "0",
      "--api-port",
      "0",
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `127.0.0.1:${port} is already in use; choose another port (0 picks a free one)`,
    );
  });

  it("names the file and the path of a bad config and exits 1", async () => {
    const config = join(dir, "bad.yaml");
    await writeFile(config, "inputs:\n  forward:\n    port: twenty\n");
    const result = await runCli(["up", "--config", config, "--data-dir", dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${config}: inputs.forward.port: expected number, got string "twenty"`);
  });
});
