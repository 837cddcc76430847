import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type DeadLetter, DeadLetterWriter } from "../../../collectors/dead-letter/dead-letter.js";
import { MetricsRegistry } from "../../../core/metrics.js";

const T = Date.parse("2025-03-04T23:59:59.500Z");

function letter(output: string, code: string, n: number): Omit<DeadLetter, "time"> {
  return { output, stage: "sending", code, reason: `reason ${n}`, event: { id: `id-${n}`, n } };
}

async function lines(path: string): Promise<Record<string, unknown>[]> {
  return (await readFile(path, "utf8"))
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe("DeadLetterWriter", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  async function writer(now: () => number = () => T) {
    const root = await mkdtemp(join(tmpdir(), "logpipe-dlq-"));
    dirs.push(root);
    const metrics = new MetricsRegistry();
    const dir = join(root, "dead-letter");
    return { dir, metrics, writer: new DeadLetterWriter(dir, metrics, now) };
  }

  it("writes one JSON line per letter to <output>-<UTC date>.ndjson with the time it was written", async () => {
    const { dir, writer: w } = await writer();
    await w.write([letter("cloudwatch_logs", "too_old", 1), letter("cloudwatch_logs", "too_new", 2)]);
    expect(await readdir(dir)).toEqual(["cloudwatch_logs-2025-03-04.ndjson"]);
    expect(await lines(join(dir, "cloudwatch_logs-2025-03-04.ndjson"))).toEqual([
      { ...letter("cloudwatch_logs", "too_old", 1), time: "2025-03-04T23:59:59.500Z" },
      { ...letter("cloudwatch_logs", "too_new", 2), time: "2025-03-04T23:59:59.500Z" },
    ]);
  });

  it("keeps each output in its own file and appends across writes and days", async () => {
    let now = T;
    const { dir, writer: w } = await writer(() => now);
    await w.write([letter("firehose", "kms", 1), letter("cloudwatch_logs", "too_old", 2)]);
    await w.write([letter("firehose", "kms", 3)]);
    now = T + 1_000;
    await w.write([letter("firehose", "kms", 4)]);
    expect((await readdir(dir)).sort()).toEqual([
      "cloudwatch_logs-2025-03-04.ndjson",
      "firehose-2025-03-04.ndjson",
      "firehose-2025-03-05.ndjson",
    ]);
    expect((await lines(join(dir, "firehose-2025-03-04.ndjson"))).map((l) => l.reason)).toEqual([
      "reason 1",
      "reason 3",
    ]);
  });

  it("counts letters by output and code once they are on disk", async () => {
    const { metrics, writer: w } = await writer();
    await w.write([
      letter("firehose", "kms", 1),
      letter("firehose", "kms", 2),
      letter("firehose", "too_large", 3),
    ]);
    const counted = Object.entries(metrics.snapshot()).filter(([k]) =>
      k.startsWith("logpipe_dead_letters_total{"),
    );
    expect(counted.map(([k, v]) => [k.includes('code="kms"') ? "kms" : "too_large", v]).sort()).toEqual([
      ["kms", 2],
      ["too_large", 1],
    ]);
  });

  it("never lets concurrent writes interleave inside a line", async () => {
    const { dir, writer: w } = await writer();
    const big = "x".repeat(64 * 1024);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        w.write([{ ...letter("out", "c", i), event: { id: `id-${i}`, big } }]),
      ),
    );
    const parsed = await lines(join(dir, "out-2025-03-04.ndjson"));
    expect(parsed.map((l) => (l.event as { id: string }).id).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `id-${i}`).sort(),
    );
  });

  it("turns a hostile output name into a plain file name inside its directory", async () => {
    const { dir, writer: w } = await writer();
    await w.write([letter("../../etc/passwd x", "c", 1)]);
    expect(await readdir(dir)).toEqual([".._.._etc_passwd_x-2025-03-04.ndjson"]);
  });

  it("writes nothing and creates no file for an empty list", async () => {
    const { dir, writer: w } = await writer();
    await w.write([]);
    await expect(readdir(dir)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("rejects when the directory cannot be created, and keeps working for later writes", async () => {
    const root = await mkdtemp(join(tmpdir(), "logpipe-dlq-"));
    dirs.push(root);
    const { writeFile } = await import("node:fs/promises");
    await writeFile(join(root, "blocked"), "a file where the directory should be");
    const metrics = new MetricsRegistry();
    const w = new DeadLetterWriter(join(root, "blocked", "dlq"), metrics, () => T);
    await expect(w.write([letter("o", "c", 1)])).rejects.toThrow();
    expect(Object.keys(metrics.snapshot()).some((k) => k.startsWith("logpipe_dead_letters_total{"))).toBe(
      false,
    );
    await rm(join(root, "blocked"));
    await w.write([letter("o", "c", 2)]);
    expect(await lines(join(root, "blocked", "dlq", "o-2025-03-04.ndjson"))).toHaveLength(1);
  });
});
