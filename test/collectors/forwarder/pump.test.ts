import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DeadLetterWriter } from "../../../collectors/dead-letter/dead-letter.js";
import { DeliveryPump } from "../../../collectors/forwarder/pump.js";
import type { IncomingRecord } from "../../../core/event/incoming.js";
import { MetricsRegistry } from "../../../core/metrics.js";
import type { TransformResult } from "../../../processors/transforms/index.js";
import { type Batch, eventOf, FakeConsumer, record, ScriptedSink, tempDir, until } from "./pump-harness.js";

/** One series' value, whatever order the registry writes its labels in. */
function series(metrics: MetricsRegistry, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const found = Object.entries(metrics.snapshot()).find(
    ([key]) => key.startsWith(`${name}{`) && wanted.every((w) => key.includes(w)),
  );
  return found?.[1];
}

const ok = (r: IncomingRecord): TransformResult => ({ ok: true, event: eventOf(r) });

/** A sink that holds every write until `release` is called. */
function gatedSink(): { sink: ScriptedSink; release: () => void } {
  let release!: () => void;
  const sink = new ScriptedSink();
  sink.gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { sink, release };
}

describe("DeliveryPump", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(
    records: IncomingRecord[],
    sink: ScriptedSink,
    options: {
      transform?: (r: IncomingRecord) => TransformResult;
      maxBatch?: number;
      concurrency?: number;
    } = {},
  ) {
    const dir = await tempDir();
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const metrics = new MetricsRegistry();
    const consumer = new FakeConsumer(records);
    const letters = new DeadLetterWriter(join(dir, "dlq"), metrics, () => Date.parse("2025-03-04T05:06:07Z"));
    const pump = new DeliveryPump<Batch>(consumer, options.transform ?? ok, sink, letters, metrics, {
      maxBatch: options.maxBatch ?? 10,
      concurrency: options.concurrency ?? 1,
      initialDelayMs: 0,
      maxDelayMs: 0,
    });
    cleanups.push(() => pump.shutdown());
    const deadLetters = async () => {
      const files = await readdir(join(dir, "dlq")).catch(() => [] as string[]);
      const lines: Record<string, unknown>[] = [];
      for (const f of files)
        for (const l of (await readFile(join(dir, "dlq", f), "utf8")).split("\n").filter(Boolean))
          lines.push(JSON.parse(l));
      return { files, lines };
    };
    return { pump, consumer, metrics, deadLetters };
  }

  it("sends again only the items the sink answered retryable", async () => {
    const records = Array.from({ length: 6 }, (_, i) => record(i));
    const sink = new ScriptedSink((event, attempt) =>
      ["id-1", "id-4"].includes(event.id) && attempt < 2
        ? { status: "retryable", reason: "slow down", throttled: true }
        : { status: "accepted" },
    );
    const { pump, consumer, metrics } = await setup(records, sink);
    pump.start();
    await until(() => consumer.commits.length === 1, "the batch is committed");

    expect(sink.calls).toEqual([
      ["id-0", "id-1", "id-2", "id-3", "id-4", "id-5"],
      ["id-1", "id-4"],
      ["id-1", "id-4"],
    ]);
    expect([...sink.accepted].sort()).toEqual(records.map((r) => r.id).sort());
    expect(series(metrics, "logpipe_output_retried_total", { output: "test-output" })).toBe(4);
    expect(series(metrics, "logpipe_output_events_total", { output: "test-output" })).toBe(6);
  });

  it("retries the whole remainder when the sink throws instead of answering", async () => {
    let failures = 1;
    const sink = new ScriptedSink();
    const write = sink.write.bind(sink);
    sink.write = async (batch) => {
      if (failures-- > 0) throw new Error("socket hang up");
      return write(batch);
    };
    const { pump, consumer } = await setup([record(0), record(1)], sink);
    pump.start();
    await until(() => consumer.commits.length === 1, "the batch is committed");
    expect(sink.accepted).toEqual(["id-0", "id-1"]);
  });

  it("dead-letters rejected items with output, stage sending, code and reason, and commits the batch", async () => {
    const sink = new ScriptedSink((event) =>
      event.id === "id-2"
        ? { status: "rejected", code: "too_old", reason: "older than 14 days" }
        : { status: "accepted" },
    );
    const { pump, consumer, metrics, deadLetters } = await setup([record(1), record(2), record(3)], sink);
    pump.start();
    await until(() => consumer.commits.length === 1, "the batch is committed");

    const { files, lines } = await deadLetters();
    expect(files).toEqual(["test-output-2025-03-04.ndjson"]);
    expect(lines).toEqual([
      {
        output: "test-output",
        stage: "sending",
        code: "too_old",
        reason: "older than 14 days",
        time: "2025-03-04T05:06:07.000Z",
        event: { id: "id-2", message: "event 2" },
      },
    ]);
    expect(sink.calls).toHaveLength(1);
    expect(series(metrics, "logpipe_dead_letters_total", { output: "test-output", code: "too_old" })).toBe(1);
  });

  it("dead-letters records the transforms refuse with stage processing and the raw record", async () => {
    const transform = (r: IncomingRecord): TransformResult =>
      r.record.n === 1
        ? { ok: false, code: "invalid_time", reason: "message is not a string", intentional: false }
        : ok(r);
    const sink = new ScriptedSink();
    const { pump, consumer, deadLetters } = await setup([record(0), record(1), record(2)], sink, {
      transform,
    });
    pump.start();
    await until(() => consumer.commits.length === 1, "the batch is committed");

    const { lines } = await deadLetters();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      output: "test-output",
      stage: "processing",
      code: "invalid_time",
      reason: "message is not a string",
      event: record(1),
    });
    expect(sink.calls).toEqual([["id-0", "id-2"]]);
  });

  it("counts intentional drops without dead-lettering them", async () => {
    const transform = (r: IncomingRecord): TransformResult =>
      r.record.n === 0
        ? { ok: false, code: "dropped_level", reason: "below min level", intentional: true }
        : ok(r);
    const sink = new ScriptedSink();
    const { pump, consumer, metrics, deadLetters } = await setup([record(0), record(1)], sink, { transform });
    pump.start();
    await until(() => consumer.commits.length === 1, "the batch is committed");

    expect((await deadLetters()).lines).toEqual([]);
    expect(sink.calls).toEqual([["id-1"]]);
    expect(
      series(metrics, "logpipe_events_dropped_total", { output: "test-output", code: "dropped_level" }),
    ).toBe(1);
  });

  it("commits a batch only after the sink accepted it", async () => {
    const { sink, release } = gatedSink();
    const { pump, consumer } = await setup([record(0), record(1)], sink);
    pump.start();
    await until(() => sink.calls.length === 1, "the sink received the batch");
    await new Promise((r) => setImmediate(r));
    expect(consumer.commits).toEqual([]);

    release();
    await until(() => consumer.commits.length === 1, "the batch is committed");
    expect(consumer.committedIds()).toEqual(["id-0", "id-1"]);
  });

  it("takes the records out of a batch it delivers, so a batch in flight pins none of them", async () => {
    const { sink, release } = gatedSink();
    const { pump, consumer } = await setup([record(0), record(1)], sink);
    const read = vi.spyOn(consumer, "read");
    pump.start();
    await until(() => sink.calls.length === 1, "the sink received the batch");
    const batch = await read.mock.results[0]!.value;
    expect(batch.records).toEqual([]);
    release();
    await until(() => consumer.commits.length === 1, "the batch is committed");
    expect(consumer.committedIds()).toEqual(["id-0", "id-1"]);
  });

  it("leaves a batch uncommitted when shut down while the sink keeps failing", async () => {
    const sink = new ScriptedSink(() => ({ status: "retryable", reason: "503" }));
    const { pump, consumer, deadLetters } = await setup([record(0), record(1)], sink);
    pump.start();
    await until(() => sink.calls.length >= 3, "the sink was tried a few times");
    await pump.shutdown();

    expect(consumer.commits).toEqual([]);
    expect(pump.status().retrying).toBe(true);
    expect(pump.status().lastError).toContain("503");
    expect((await deadLetters()).lines).toEqual([]);
  });

  it("leaves a batch uncommitted when shut down while the sink holds it", async () => {
    const sink = new ScriptedSink();
    sink.gate = new Promise<void>(() => undefined);
    const { pump, consumer } = await setup([record(0)], sink);
    pump.start();
    await until(() => sink.calls.length === 1, "the sink received the batch");
    await pump.shutdown();
    expect(consumer.commits).toEqual([]);
  });

  it("delivers every batch of a long backlog in order of commit", async () => {
    const records = Array.from({ length: 95 }, (_, i) => record(i));
    const sink = new ScriptedSink();
    const { pump, consumer } = await setup(records, sink, { maxBatch: 10 });
    pump.start();
    await until(() => consumer.committedIds().length === 95, "every batch is committed");
    expect(consumer.committedIds()).toEqual(records.map((r) => r.id));
    expect(consumer.commits.map((b) => b.index)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it("shuts down cleanly without having started, and twice", async () => {
    const { pump } = await setup([], new ScriptedSink());
    await pump.shutdown();
    await expect(pump.shutdown()).resolves.toBeUndefined();
  });
});
