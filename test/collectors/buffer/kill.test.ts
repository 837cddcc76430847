import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { IncomingRecord } from "../../../core/event/incoming.js";
import { openBuffer, readRecords, tempBufferDir } from "../../support/buffer-fixtures.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const CHILD = join(root, "test", "support", "buffer-child.mjs");
const RECORDS_PER_BATCH = 40;

/** What one child run printed before it was killed. */
interface ChildRun {
  acked: number[];
  committed: string[];
  resent: { batch: number; outcome: string }[];
}

let dir: string;
let remove: () => Promise<void>;
let child: ChildProcess | undefined;

beforeAll(async () => {
  // The child runs the compiled buffer; `npm test` builds before running vitest.
  const built = join(root, "dist", "collectors", "buffer");
  if (!existsSync(join(built, "index.js"))) {
    throw new Error("dist/collectors/buffer is missing: run `npm run build` before this test");
  }
  const sources = join(root, "collectors", "buffer");
  for (const name of await readdir(sources)) {
    const compiled = join(built, name.replace(/\.ts$/, ".js"));
    if (!existsSync(compiled) || statSync(compiled).mtimeMs < statSync(join(sources, name)).mtimeMs) {
      throw new Error(`dist/collectors/buffer/${name} is older than its source: run \`npm run build\``);
    }
  }
});

beforeEach(async () => {
  ({ dir, remove } = await tempBufferDir());
});

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  child = undefined;
  await remove();
});

/** Runs the child until it acknowledged `ackTarget` batches, then kills it with SIGKILL. */
async function runAndKill(args: string[], ackTarget: number): Promise<ChildRun> {
  const run: ChildRun = { acked: [], committed: [], resent: [] };
  const proc = spawn(process.execPath, [CHILD, dir, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  child = proc;
  let stderr = "";
  proc.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let pending = "";
    const timer = setTimeout(() => reject(new Error(`child too slow; stderr: ${stderr}`)), 45_000);
    proc.stdout!.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith("A ")) run.acked.push(Number(line.slice(2)));
        else if (line.startsWith("C ")) run.committed.push(...line.slice(2).split(","));
        else if (line.startsWith("D ")) {
          const [, batch, outcome] = line.split(" ");
          run.resent.push({ batch: Number(batch), outcome: outcome! });
        }
      }
      if (run.acked.length >= ackTarget && run.committed.length > 0) {
        clearTimeout(timer);
        proc.kill("SIGKILL");
        resolve();
      }
    });
    proc.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (signal !== "SIGKILL") reject(new Error(`child exited early (${code}); stderr: ${stderr}`));
    });
  });
  await exited;
  return run;
}

function expectedRecord(id: string): Pick<IncomingRecord, "time" | "record"> {
  const [, batch, index] = /^b(\d+)-r(\d+)$/.exec(id)!.map(Number) as [number, number, number];
  return {
    time: batch * 1000 + index,
    record: { message: `batch ${batch} record ${index}`, pad: "x".repeat(64 + (index % 50)) },
  };
}

describe("DurableBuffer after kill -9", () => {
  it("keeps every acknowledged record, exactly once and intact, across two killed writers", async () => {
    const first = await runAndKill(["0", "2000"], 150);
    // The second run first resends acknowledged batches that were not committed (so they are
    // still on disk) with the same dedup keys, then writes on.
    const committedFirst = new Set(first.committed);
    const resend = first.acked
      .filter((batch) => !committedFirst.has(`b${batch}-r${RECORDS_PER_BATCH - 1}`))
      .sort((a, b) => b - a)
      .slice(0, 5);
    expect(resend).toHaveLength(5);
    const second = await runAndKill(["100000", String(Number.MAX_SAFE_INTEGER), resend.join(",")], 100);
    expect(second.resent).toEqual(resend.map((batch) => ({ batch, outcome: "duplicate" })));

    const { buffer } = await openBuffer(dir);
    try {
      expect(buffer.recovery.corruptRegions).toBe(0);
      const pending = buffer.stats().pending["out"]!;
      const { records } = await readRecords(buffer.consumer("out"), pending);
      expect(records).toHaveLength(pending);

      const read = records.map((r) => r.id);
      expect(new Set(read).size).toBe(read.length);
      for (const record of records) expect(record).toMatchObject(expectedRecord(record.id));

      // Nothing acknowledged is missing: each record was either committed by a run or is still here.
      const seen = new Set([...read, ...first.committed, ...second.committed]);
      for (const batch of [...first.acked, ...second.acked]) {
        for (let i = 0; i < RECORDS_PER_BATCH; i++) expect(seen.has(`b${batch}-r${i}`)).toBe(true);
      }
      // Entries are all-or-nothing: a batch that left any trace left all of its records.
      const batches = new Set([...seen].map((id) => id.slice(0, id.indexOf("-"))));
      for (const batch of batches) {
        for (let i = 0; i < RECORDS_PER_BATCH; i++) expect(seen.has(`${batch}-r${i}`)).toBe(true);
      }
    } finally {
      await buffer.close();
    }
  }, 120_000);
});
