import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type DeadLetter, DeadLetterWriter } from "../../../collectors/dead-letter/dead-letter.js";
import { replayDeadLetters } from "../../../collectors/dead-letter/replay.js";
import type { IncomingRecord } from "../../../core/event/incoming.js";
import type { LogEvent } from "../../../core/event/schema.js";
import { MetricsRegistry } from "../../../core/metrics.js";
import type { ItemOutcome, Sink } from "../../../core/stage.js";
import type { TransformResult } from "../../../processors/transforms/index.js";

const T = Date.parse("2025-03-04T10:00:00Z");

/** An in-memory output that answers each event by id. */
class MemorySink implements Sink<LogEvent> {
  readonly name = "cloudwatch_logs";
  readonly stored: LogEvent[] = [];
  readonly calls: string[][] = [];
  constructor(private readonly answer: (event: LogEvent) => ItemOutcome = () => ({ status: "accepted" })) {}
  async start(): Promise<void> {}
  async shutdown(): Promise<void> {}
  async write(batch: readonly LogEvent[]): Promise<ItemOutcome[]> {
    this.calls.push(batch.map((e) => e.id));
    return batch.map((event) => {
      const outcome = this.answer(event);
      if (outcome.status === "accepted") this.stored.push(event);
      return outcome;
    });
  }
}

const sent = (n: number): Omit<DeadLetter, "time"> => ({
  output: "cloudwatch_logs",
  stage: "sending",
  code: "too_old",
  reason: "older than 14 days",
  event: { id: `id-${n}`, message: `event ${n}` },
});

const raw = (n: number): IncomingRecord => ({
  id: `raw-${n}`,
  time: T,
  receivedAt: T,
  tag: "app",
  source: "http",
  record: { message: `raw ${n}` },
});

const transform = (r: IncomingRecord): TransformResult =>
  typeof r.record.message === "string"
    ? { ok: true, event: { id: r.id, message: r.record.message } as unknown as LogEvent }
    : { ok: false, code: "invalid_time", reason: "message is not a string", intentional: false };

describe("replayDeadLetters", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  async function setup() {
    const root = await mkdtemp(join(tmpdir(), "logpipe-replay-"));
    dirs.push(root);
    const dir = join(root, "dead-letter");
    const writer = new DeadLetterWriter(dir, new MetricsRegistry(), () => T);
    const remaining = async () => {
      const files = (await readdir(dir)).filter((f) => f.endsWith(".ndjson"));
      const out: DeadLetter[] = [];
      for (const f of files)
        for (const l of (await readFile(join(dir, f), "utf8")).split("\n").filter(Boolean))
          out.push(JSON.parse(l));
      return out;
    };
    return { dir, writer, remaining };
  }

  it("delivers every dead letter the output now accepts and leaves no file behind", async () => {
    const { dir, writer, remaining } = await setup();
    await writer.write([sent(1), sent(2), sent(3)]);
    const sink = new MemorySink();
    const summary = await replayDeadLetters({ dir, output: "cloudwatch_logs", sink, transform, writer });

    expect(summary).toEqual({
      files: 1,
      letters: 3,
      delivered: 3,
      deadLetteredAgain: 0,
      droppedOnPurpose: 0,
      keptForLater: 0,
      unreadable: 0,
    });
    expect(sink.stored.map((e) => e.id)).toEqual(["id-1", "id-2", "id-3"]);
    expect(await remaining()).toEqual([]);
    expect(await readdir(join(dir, "replaying"))).toEqual([]);
  });

  it("counts records the transforms now drop on purpose, and writes back only the unusable ones", async () => {
    const { dir, writer, remaining } = await setup();
    const record = (n: number, level: string): Omit<DeadLetter, "time"> => ({
      output: "cloudwatch_logs",
      stage: "processing",
      code: "invalid_time",
      reason: "earlier refusal",
      event: { ...raw(n), record: { message: `raw ${n}`, level } },
    });
    await writer.write([record(1, "debug"), record(2, "info"), record(3, "error")]);
    const byLevel = (r: IncomingRecord): TransformResult =>
      r.record.level === "debug"
        ? { ok: false, code: "dropped_level", reason: "level debug is dropped", intentional: true }
        : r.record.level === "error"
          ? { ok: false, code: "invalid_time", reason: "still unusable", intentional: false }
          : transform(r);
    const sink = new MemorySink();
    const summary = await replayDeadLetters({
      dir,
      output: "cloudwatch_logs",
      sink,
      transform: byLevel,
      writer,
    });

    expect(summary).toMatchObject({ letters: 3, delivered: 1, droppedOnPurpose: 1, deadLetteredAgain: 1 });
    expect(sink.stored.map((e) => e.id)).toEqual(["raw-2"]);
    const left = await remaining();
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({ code: "invalid_time", reason: "still unusable" });
  });

  it("writes events refused again back as dead letters with the new code and reason", async () => {
    const { dir, writer, remaining } = await setup();
    await writer.write([sent(1), sent(2)]);
    const sink = new MemorySink((e) =>
      e.id === "id-2"
        ? { status: "rejected", code: "too_large", reason: "over 1 MiB" }
        : { status: "accepted" },
    );
    const summary = await replayDeadLetters({ dir, output: "cloudwatch_logs", sink, transform, writer });

    expect(summary).toMatchObject({ delivered: 1, deadLetteredAgain: 1, keptForLater: 0 });
    const left = await remaining();
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({
      output: "cloudwatch_logs",
      stage: "sending",
      code: "too_large",
      reason: "over 1 MiB",
      event: { id: "id-2" },
    });
  });

  it("keeps events that are still failing when the time budget ends, unchanged", async () => {
    const { dir, writer, remaining } = await setup();
    await writer.write([sent(1), sent(2)]);
    const sink = new MemorySink((e) =>
      e.id === "id-1" ? { status: "retryable", reason: "503" } : { status: "accepted" },
    );
    const summary = await replayDeadLetters({
      dir,
      output: "cloudwatch_logs",
      sink,
      transform,
      writer,
      maxElapsedMs: 0,
    });

    expect(summary).toMatchObject({ delivered: 1, deadLetteredAgain: 0, keptForLater: 1 });
    const left = await remaining();
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({ ...sent(1) });
    // Only the failing event was tried again, never the delivered one.
    expect(sink.calls.slice(1).every((call) => call.length === 1 && call[0] === "id-1")).toBe(true);
  });

  it("runs letters refused by the transforms through them again before sending", async () => {
    const { dir, writer, remaining } = await setup();
    const bad = { ...raw(2), record: { message: 42 } };
    await writer.write([
      {
        output: "cloudwatch_logs",
        stage: "processing",
        code: "old_bug",
        reason: "fixed since",
        event: raw(1),
      },
      { output: "cloudwatch_logs", stage: "processing", code: "old_bug", reason: "fixed since", event: bad },
    ]);
    const sink = new MemorySink();
    const summary = await replayDeadLetters({ dir, output: "cloudwatch_logs", sink, transform, writer });

    expect(summary).toMatchObject({ letters: 2, delivered: 1, deadLetteredAgain: 1 });
    expect(sink.stored.map((e) => e.id)).toEqual(["raw-1"]);
    expect(await remaining()).toMatchObject([
      { stage: "processing", code: "invalid_time", reason: "message is not a string", event: bad },
    ]);
  });

  it("keeps unreadable lines as dead letters instead of dropping them", async () => {
    const { dir, writer, remaining } = await setup();
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, "cloudwatch_logs-2025-03-01.ndjson"),
      `${JSON.stringify({ ...sent(1), time: "x" })}\n{"truncated": \n42\n`,
    );
    const sink = new MemorySink();
    const summary = await replayDeadLetters({ dir, output: "cloudwatch_logs", sink, transform, writer });

    expect(summary).toMatchObject({ letters: 1, delivered: 1, unreadable: 2 });
    const left = await remaining();
    expect(left.map((l) => [l.code, l.event])).toEqual([
      ["unreadable_dead_letter", '{"truncated": '],
      ["unreadable_dead_letter", "42"],
    ]);
  });

  it("leaves other outputs' files alone", async () => {
    const { dir, writer, remaining } = await setup();
    await writer.write([{ ...sent(1), output: "firehose" }]);
    const summary = await replayDeadLetters({
      dir,
      output: "cloudwatch_logs",
      sink: new MemorySink(),
      transform,
      writer,
    });
    expect(summary.files).toBe(0);
    expect(await remaining()).toHaveLength(1);
  });

  it("picks up a file a crashed replay left in replaying/", async () => {
    const { dir, writer } = await setup();
    await mkdir(join(dir, "replaying"), { recursive: true });
    await writeFile(
      join(dir, "replaying", "1700000000000-cloudwatch_logs-2025-03-01.ndjson"),
      `${JSON.stringify({ ...sent(7), time: "2025-03-01T00:00:00.000Z" })}\n`,
    );
    const sink = new MemorySink();
    const summary = await replayDeadLetters({ dir, output: "cloudwatch_logs", sink, transform, writer });
    expect(summary).toMatchObject({ files: 1, delivered: 1 });
    expect(sink.stored.map((e) => e.id)).toEqual(["id-7"]);
  });
});
