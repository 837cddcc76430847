import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { type LogEvent, LogEventSchema } from "../../../core/event/schema.js";
import { LAMBDA } from "../../../core/limits.js";
import {
  FirehoseEventError,
  type FirehoseProcessOptions,
  type FirehoseTransformationEvent,
  type FirehoseTransformationResultRecord,
  processFirehoseRecords,
} from "../../../processors/handlers/index.js";
import { createTransformer, type Transform } from "../../../processors/transforms/index.js";
import { firehoseEvent, packLines, readFixture } from "../../fixtures/aws/encode.js";
import { T0 } from "./support.js";

const transform = createTransformer({});
const PACKED = readFixture<FirehoseTransformationEvent>("firehose-packed.json");
/** Only the packed record whose events span three partitions. */
const MIXED: FirehoseTransformationEvent = { ...PACKED, records: [PACKED.records[1]!] };
const ON: FirehoseProcessOptions = { partitionKeys: true, reingest: true, now: T0 };

function lines(answer: FirehoseTransformationResultRecord): LogEvent[] {
  return Buffer.from(answer.data, "base64")
    .toString("utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as LogEvent);
}

function reingested(buffers: readonly Buffer[]): LogEvent[][] {
  return buffers.map((b) =>
    b
      .toString("utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as LogEvent),
  );
}

function event(id: string, timestamp: string, service = "checkout", extra: Record<string, unknown> = {}) {
  return { id, "@timestamp": timestamp, service, level: "info", message: `event ${id}`, ...extra };
}

/** A transform that fails lines containing POISON, as a transform error would. */
const poisoned: Transform = (input, context) =>
  String(input.record.message).includes("POISON")
    ? { ok: false, code: "transform_error", reason: "transform failed: boom", intentional: false }
    : transform(input, context);

describe("answers", () => {
  it("answers every recordId exactly once, in input order", () => {
    const { response } = processFirehoseRecords(PACKED, transform, ON);
    expect(response.records.map((r) => r.recordId)).toEqual(PACKED.records.map((r) => r.recordId));
  });

  it("answers only the documented results, each with a data string", () => {
    const { response } = processFirehoseRecords(PACKED, transform, ON);
    for (const answer of response.records) {
      expect(["Ok", "Dropped", "ProcessingFailed"]).toContain(answer.result);
      expect(typeof answer.data).toBe("string");
    }
  });

  it("answers a packed record Ok with one valid LogEvent per line, in the lake schema", () => {
    const { response } = processFirehoseRecords(PACKED, transform, ON);
    const events = lines(response.records[0]!);
    expect(response.records[0]!.result).toBe("Ok");
    expect(events.map((e) => e.id)).toEqual([
      "01KBQ0R1A1B2C3D4E5F6G7H8J1",
      "01KBQ0R1A1B2C3D4E5F6G7H8J2",
      "01KBQ0R1A1B2C3D4E5F6G7H8J3",
    ]);
    for (const e of events) expect(() => LogEventSchema.parse(e)).not.toThrow();
  });

  it("gives partition keys service, dt and hour", () => {
    const { response } = processFirehoseRecords(PACKED, transform, ON);
    expect(response.records[0]!.metadata).toEqual({
      partitionKeys: { service: "checkout", dt: "2025-12-05", hour: "18" },
    });
  });

  it("gives no metadata when partition keys are off", () => {
    const { response } = processFirehoseRecords(PACKED, transform, { ...ON, partitionKeys: false });
    expect(response.records.every((r) => r.metadata === undefined)).toBe(true);
    expect(lines(response.records[1]!)).toHaveLength(4);
  });

  it("turns plain-text lines into events of source firehose", () => {
    const { response } = processFirehoseRecords(PACKED, transform, ON);
    const events = lines(response.records[2]!);
    expect(events.map((e) => e.message)).toEqual([
      "2025-12-05 18:00:04 INFO  [main] c.e.checkout.OrderService - order 81723 placed",
      "2025-12-05 18:00:05 WARN  [main] c.e.checkout.OrderService - retrying payment",
    ]);
    expect(events[0]!.source).toBe("firehose");
  });

  it("gives lines without an id the same distinct ids every time the record is processed", () => {
    const first = lines(processFirehoseRecords(PACKED, transform, ON).response.records[2]!).map((e) => e.id);
    const again = lines(processFirehoseRecords(PACKED, transform, ON).response.records[2]!).map((e) => e.id);
    expect(new Set(first).size).toBe(2);
    expect(again).toEqual(first);
  });

  it("transforms a gzip CloudWatch Logs subscription record event by event", () => {
    const { response } = processFirehoseRecords(PACKED, transform, { ...ON, partitionKeys: false });
    const events = lines(response.records[3]!);
    expect(events).toHaveLength(4);
    expect(events[1]).toMatchObject({
      id: "01KBQ0M5T8F4ZK2Y7W1N9C3D6E",
      log_group: "/aws/lambda/checkout-api",
    });
  });

  it("drops a CloudWatch control message record", () => {
    const { response } = processFirehoseRecords(PACKED, transform, ON);
    expect(response.records[4]!.result).toBe("Dropped");
  });

  it("drops an empty record", () => {
    const { response } = processFirehoseRecords(firehoseEvent([{ data: "\n\n" }]), transform, ON);
    expect(response.records[0]!.result).toBe("Dropped");
  });

  it("drops a record whose every event was dropped on purpose, counting them", () => {
    const quiet = createTransformer({ drop_levels: ["debug"] });
    const data = packLines([event("a", "2025-12-05T18:00:00.000Z", "x", { level: "debug" })]);
    const { response, stats, deadLetters } = processFirehoseRecords(firehoseEvent([{ data }]), quiet, ON);
    expect(response.records[0]!.result).toBe("Dropped");
    expect(stats.droppedIntentionally).toBe(1);
    expect(deadLetters).toEqual([]);
  });

  it("fails a record whose data is not base64", () => {
    const ev = firehoseEvent([{ data: "x" }]);
    ev.records[0]!.data = "%%%";
    const { response } = processFirehoseRecords(ev, transform, ON);
    expect(response.records[0]).toEqual({
      recordId: ev.records[0]!.recordId,
      result: "ProcessingFailed",
      data: "",
    });
  });

  it("fails a record whose gzip data is truncated", () => {
    const gz = gzipSync(Buffer.from(packLines([event("a", "2025-12-05T18:00:00.000Z")])));
    const { response } = processFirehoseRecords(firehoseEvent([{ data: gz.subarray(0, 12) }]), transform, ON);
    expect(response.records[0]!.result).toBe("ProcessingFailed");
  });

  it("keeps the good lines of a partly bad record and dead-letters the bad ones with their reason", () => {
    const data = `${packLines([event("a", "2025-12-05T18:00:00.000Z")])}POISON line\n`;
    const { response, deadLetters } = processFirehoseRecords(firehoseEvent([{ data }]), poisoned, ON);
    expect(response.records[0]!.result).toBe("Ok");
    expect(lines(response.records[0]!).map((e) => e.id)).toEqual(["a"]);
    expect(deadLetters).toEqual([
      expect.objectContaining({
        output: "firehose_transform",
        code: "transform_error",
        reason: "transform failed: boom",
        event: expect.objectContaining({ line: "POISON line" }),
      }),
    ]);
  });

  it("fails a record none of whose lines can be used, without dead-lettering them twice", () => {
    const { response, deadLetters } = processFirehoseRecords(
      firehoseEvent([{ data: "POISON one\nPOISON two\n" }]),
      poisoned,
      ON,
    );
    expect(response.records[0]!.result).toBe("ProcessingFailed");
    expect(deadLetters).toEqual([]);
  });

  it("refuses an event without a records array", () => {
    expect(() => processFirehoseRecords({} as FirehoseTransformationEvent, transform, ON)).toThrow(
      FirehoseEventError,
    );
  });

  it("refuses a record without a recordId, since it could not be answered", () => {
    const ev = {
      ...firehoseEvent([{ data: "x" }]),
      records: [{ data: "eA==" }],
    } as unknown as FirehoseTransformationEvent;
    expect(() => processFirehoseRecords(ev, transform, ON)).toThrow(/recordId/);
  });
});

describe("records mixing partitions", () => {
  it("keeps the largest partition in the answer and puts the others back, one partition per record", () => {
    const { response, reingest, stats } = processFirehoseRecords(MIXED, transform, ON);
    const mixed = response.records[0]!;
    expect(mixed.result).toBe("Ok");
    expect(mixed.metadata?.partitionKeys).toEqual({ service: "checkout", dt: "2025-12-05", hour: "18" });
    expect(lines(mixed).map((e) => e.id)).toEqual([
      "01KBQ0R1A1B2C3D4E5F6G7H8K1",
      "01KBQ0R1A1B2C3D4E5F6G7H8K4",
    ]);
    const back = reingested(reingest);
    expect(back.map((rec) => rec.map((e) => e.id))).toEqual([
      ["01KBQ0R1A1B2C3D4E5F6G7H8K2"],
      ["01KBQ0R1A1B2C3D4E5F6G7H8K3"],
    ]);
    expect(stats.reingestedEvents).toBe(2);
  });

  it("answers the events put back Ok in their own partition, unchanged, on the next pass", () => {
    const first = processFirehoseRecords(MIXED, transform, ON);
    const next = processFirehoseRecords(
      firehoseEvent(first.reingest.map((data) => ({ data }))),
      transform,
      ON,
    );
    expect(next.response.records.map((r) => r.result)).toEqual(["Ok", "Ok"]);
    expect(next.response.records.map((r) => r.metadata?.partitionKeys)).toEqual([
      { service: "payments", dt: "2025-12-05", hour: "18" },
      { service: "checkout", dt: "2025-12-05", hour: "19" },
    ]);
    expect(next.reingest).toEqual([]);
    expect(next.response.records.flatMap(lines)).toEqual(reingested(first.reingest).flat());
  });

  it("keeps a mixed record whole under its largest partition when nothing may be put back, counting the rest", () => {
    const { response, reingest, stats } = processFirehoseRecords(MIXED, transform, {
      ...ON,
      reingest: false,
    });
    expect(lines(response.records[0]!)).toHaveLength(4);
    expect(reingest).toEqual([]);
    expect(stats.misfiled).toBe(2);
  });

  it("puts nothing back into a stream whose source is a Kinesis data stream", () => {
    const kinesis = readFixture<FirehoseTransformationEvent>("firehose-kinesis-source.json");
    const { response, reingest, stats } = processFirehoseRecords(kinesis, transform, ON);
    expect(response.records[0]!.result).toBe("Ok");
    expect(reingest).toEqual([]);
    expect(stats.misfiled).toBe(2);
  });
});

describe("response size", () => {
  /** Records of about `bytes` each, packed with ~2 KB events of one partition (few events keep it quick). */
  function bigRecords(count: number, bytes: number): ReturnType<typeof firehoseEvent> {
    const perRecord = Math.floor(bytes / 2_000);
    return firehoseEvent(
      Array.from({ length: count }, (_, r) => ({
        data: packLines(
          Array.from({ length: perRecord }, (_, i) =>
            event(`r${r}-${i}`, "2025-12-05T18:00:00.000Z", "checkout", { pad: "p".repeat(1_900) }),
          ),
        ),
      })),
    );
  }

  it("stays under the 6 MB Lambda response cap, putting back the records that do not fit", () => {
    const input = bigRecords(6, 950 * 1024);
    const { response, reingest, stats } = processFirehoseRecords(input, transform, ON);
    expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThanOrEqual(LAMBDA.SYNC_PAYLOAD_MAX_BYTES);
    expect(response.records.map((r) => r.recordId)).toEqual(input.records.map((r) => r.recordId));
    const answered = response.records
      .filter((r) => r.result === "Ok")
      .flatMap(lines)
      .map((e) => e.id);
    const back = reingested(reingest)
      .flat()
      .map((e) => e.id);
    expect(stats.overflowed).toBeGreaterThan(0);
    expect(answered.length + back.length).toBe(6 * Math.floor((950 * 1024) / 2_000));
    expect(new Set([...answered, ...back]).size).toBe(answered.length + back.length);
    for (const record of reingest) expect(record.length).toBeLessThanOrEqual(1000 * 1024);
  });

  it("puts back a single record whose own answer is larger than the response may be", () => {
    const shortLines = Array.from({ length: 3_000 }, (_, i) => `line ${i}`).join("\n");
    const input = firehoseEvent([{ data: shortLines }]);
    const { response, reingest } = processFirehoseRecords(input, transform, {
      ...ON,
      limits: { maxResponseBytes: 64 * 1024, maxRecordBytes: 100 * 1024 },
    });
    expect(response.records[0]!.result).toBe("Dropped");
    expect(reingest.length).toBeGreaterThan(1);
    expect(reingested(reingest).flat()).toHaveLength(3_000);
    for (const record of reingest) expect(record.length).toBeLessThanOrEqual(100 * 1024);
  });

  it("answers records that do not fit ProcessingFailed when nothing may be put back", () => {
    const input = bigRecords(3, 200 * 1024);
    const unbounded = processFirehoseRecords(input, transform, ON).response;
    const oneAnswer = Buffer.byteLength(JSON.stringify(unbounded.records[0]));
    const maxResponseBytes = Math.floor(2.5 * oneAnswer);
    const { response, stats } = processFirehoseRecords(input, transform, {
      ...ON,
      reingest: false,
      limits: { maxResponseBytes },
    });
    expect(response.records.map((r) => r.result)).toEqual(["Ok", "Ok", "ProcessingFailed"]);
    expect(stats.overflowed).toBe(1);
    expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThanOrEqual(maxResponseBytes);
  });

  it("still answers every record when even the minimal answers leave no room for data", () => {
    const input = bigRecords(4, 10 * 1024);
    const { response } = processFirehoseRecords(input, transform, {
      ...ON,
      limits: { maxResponseBytes: 400 },
    });
    expect(response.records.map((r) => r.result)).toEqual(["Dropped", "Dropped", "Dropped", "Dropped"]);
  });
});
