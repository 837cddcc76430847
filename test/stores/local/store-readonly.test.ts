import { type ChildProcess, spawn } from "node:child_process";
import { copyFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterEach, describe, expect, it } from "vitest";
import { MetricsRegistry } from "../../../core/metrics.js";
import { LocalStore, StoreLockedError } from "../../../stores/local/index.js";
import { event, type Harness, lakeFiles, openHarness } from "./helpers.js";

let h: Harness;
let reader: LocalStore | undefined;
let holder: ChildProcess | undefined;

afterEach(async () => {
  await reader?.shutdown();
  reader = undefined;
  if (holder && holder.exitCode === null) {
    const exited = new Promise((resolve) => holder!.once("exit", resolve));
    holder.kill();
    await exited;
  }
  holder = undefined;
  await h?.cleanup();
});

/** Another process holding the database open for writing, as a running `logpipe up` does. */
async function holdLock(dbPath: string): Promise<ChildProcess> {
  const script = `
    import { DuckDBInstance } from "@duckdb/node-api";
    const instance = await DuckDBInstance.create(process.argv[1]);
    process.stdout.write("ready\\n");
    process.stdin.resume();
    process.stdin.on("end", () => { instance.closeSync(); process.exit(0); });
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script, dbPath], {
    cwd: process.cwd(),
    stdio: ["pipe", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("ready")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  return child;
}

describe("read-only open", () => {
  it("answers searches and SQL when no process owns the store", async () => {
    h = await openHarness();
    await h.store.write([event(), event()]);
    await h.store.flush();
    await h.store.write([event()]);
    await h.store.shutdown();
    reader = await LocalStore.openReadOnly(h.dataDir);
    expect(await reader.search(undefined, { limit: 10 })).toHaveLength(3);
    expect((await reader.sql("SELECT count(*) FROM logs")).rows).toEqual([[3]]);
    // Shutting down flushed the last pending row into a second file.
    expect(reader.stats()).toMatchObject({ readOnly: true, hotRows: 3, pendingRows: 0, lakeFiles: 2 });
  });

  it("refuses writes and maintenance", async () => {
    h = await openHarness();
    await h.store.shutdown();
    reader = await LocalStore.openReadOnly(h.dataDir);
    expect(await reader.write([event()])).toEqual([
      { status: "rejected", code: "store_read_only", reason: "store opened read-only" },
    ]);
    await expect(reader.flush()).rejects.toThrow(/read-only/);
  });

  it("leaves a core to the pipeline when writing, and gives queries every core when read-only", async () => {
    const threads = async (store: LocalStore) =>
      (await store.sql("SELECT current_setting('threads')")).rows[0]![0];
    h = await openHarness();
    expect(await threads(h.store)).toBe(Math.max(1, availableParallelism() - 1));
    await h.store.shutdown();
    reader = await LocalStore.openReadOnly(h.dataDir);
    expect(await threads(reader)).toBe(availableParallelism());
    await reader.shutdown();
    reader = undefined;
    await h.reopen({ threads: 3 });
    expect(await threads(h.store)).toBe(3);
  });

  it("says clearly when another process is using the store", async () => {
    h = await openHarness();
    await h.store.shutdown();
    holder = await holdLock(join(h.dataDir, "store", "logpipe.duckdb"));
    const attempt = LocalStore.openReadOnly(h.dataDir);
    await expect(attempt).rejects.toBeInstanceOf(StoreLockedError);
    await expect(attempt).rejects.toThrow(
      `a logpipe process is using ${join(h.dataDir, "store")}; pass --server or stop it`,
    );
    await expect(
      LocalStore.open({ dir: join(h.dataDir, "store") }, { metrics: new MetricsRegistry() }),
    ).rejects.toMatchObject({ code: "store_locked" });
  });

  it("says so when there is no store yet", async () => {
    h = await openHarness();
    await expect(LocalStore.openReadOnly(join(h.dataDir, "nowhere"))).rejects.toMatchObject({
      code: "store_missing",
    });
  });

  it("hides files an interrupted flush left behind", async () => {
    h = await openHarness();
    await h.store.write([event(), event()]);
    await h.store.flush();
    await h.store.shutdown();
    const [file] = await lakeFiles(h.dataDir);
    const orphan = file!.replace(/part-[^/]+$/, "part-00000000000000000000000000.parquet");
    await copyFile(join(h.dataDir, "lake", file!), join(h.dataDir, "lake", orphan));
    const db = await DuckDBInstance.create(join(h.dataDir, "store", "logpipe.duckdb"));
    const c = await db.connect();
    await c.run(`INSERT INTO lake_unlink VALUES ('${orphan}')`);
    c.closeSync();
    db.closeSync();
    reader = await LocalStore.openReadOnly(h.dataDir);
    expect((await reader.sql("SELECT count(*) FROM logs")).rows).toEqual([[2]]);
  });
});
