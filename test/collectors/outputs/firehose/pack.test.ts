import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Line,
  type PackedRecord,
  type PackLimits,
  packEvents,
  planCalls,
  planRecords,
} from "../../../../collectors/outputs/firehose/pack.js";
import type { LogEvent } from "../../../../core/event/schema.js";
import { FIREHOSE } from "../../../../core/limits.js";
import { splitLines } from "../../../support/fake-firehose.js";
import { makeEvent, makeEvents } from "./helpers.js";

const DEFAULTS: PackLimits = {
  maxRecordBytes: FIREHOSE.MAX_RECORD_BYTES,
  maxBatchRecords: FIREHOSE.PUT_BATCH_MAX_RECORDS,
  maxBatchBytes: FIREHOSE.PUT_BATCH_MAX_BYTES,
  oneEventPerRecord: false,
};

/** Checks every PutRecordBatch rule and that each line is carried exactly once, in order. */
function checkPlan(lines: Line[], limits: PackLimits): void {
  const records = planRecords(lines, limits.maxRecordBytes, limits.oneEventPerRecord);
  const calls = planCalls(records, limits.maxBatchRecords, limits.maxBatchBytes);
  const sizes = new Map(lines.map((l) => [l.index, l.bytes]));
  const carried: number[] = [];
  for (const call of calls) {
    expect(call.length).toBeGreaterThan(0);
    expect(call.length).toBeLessThanOrEqual(limits.maxBatchRecords);
    expect(call.reduce((sum, r) => sum + r.bytes, 0)).toBeLessThanOrEqual(limits.maxBatchBytes);
    for (const record of call) {
      expect(record.events.length).toBeGreaterThan(0);
      if (limits.oneEventPerRecord) expect(record.events).toHaveLength(1);
      const bytes = record.events.reduce((sum, i) => sum + sizes.get(i)!, 0);
      expect(record.bytes).toBe(bytes);
      expect(bytes).toBeLessThanOrEqual(limits.maxRecordBytes);
      carried.push(...record.events);
    }
  }
  expect(carried).toEqual(lines.map((l) => l.index));
}

const lineSizes = (maxSmall: number, maxLarge: number) =>
  fc.array(
    fc.oneof(
      { weight: 10, arbitrary: fc.integer({ min: 1, max: maxSmall }) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: maxLarge }) },
    ),
    { maxLength: 1_500 },
  );

const indexed = (sizes: number[]): Line[] => sizes.map((bytes, index) => ({ index, bytes }));

describe("planRecords and planCalls", () => {
  it("keep every call within 500 records and 4 MiB and every record within 1,000 KiB, for random sizes", () => {
    fc.assert(
      fc.property(lineSizes(4_000, FIREHOSE.MAX_RECORD_BYTES), fc.boolean(), (sizes, oneEventPerRecord) =>
        checkPlan(indexed(sizes), { ...DEFAULTS, oneEventPerRecord }),
      ),
      { numRuns: 150 },
    );
  });

  it("keep every call and record within random smaller limits", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.boolean(),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 300 }),
        (maxRecordBytes, maxBatchRecords, extraBatchBytes, oneEventPerRecord, fractions) => {
          const lines = indexed(fractions.map((f) => Math.max(1, Math.ceil(f * maxRecordBytes))));
          checkPlan(lines, {
            maxRecordBytes,
            maxBatchRecords,
            maxBatchBytes: maxRecordBytes + extraBatchBytes,
            oneEventPerRecord,
          });
        },
      ),
    );
  });

  it("pack lines into as few records as order allows", () => {
    const records = planRecords(indexed([400, 400, 300, 500, 600]), 1_000, false);
    expect(records.map((r) => r.events)).toEqual([[0, 1], [2, 3], [4]]);
  });

  it("fill a record to exactly the cap", () => {
    const records = planRecords(indexed([500, 500, 1]), 1_000, false);
    expect(records.map((r) => r.bytes)).toEqual([1_000, 1]);
  });

  it("cut calls at the record count and at the byte cap, whichever comes first", () => {
    const records = [600, 600, 600, 100, 100].map((bytes) => ({ bytes }));
    expect(planCalls(records, 2, 1_300).map((c) => c.map((r) => r.bytes))).toEqual([
      [600, 600],
      [600, 100],
      [100],
    ]);
    expect(planCalls(records, 10, 1_300).map((c) => c.length)).toEqual([2, 3]);
  });

  it("refuse a line larger than the record cap instead of building an invalid record", () => {
    expect(() => planRecords(indexed([10, 1_001]), 1_000, false)).toThrow(RangeError);
  });

  it("refuse a record larger than the call cap", () => {
    expect(() => planCalls([{ bytes: 2_000 }], 500, 1_000)).toThrow(RangeError);
  });

  it("make no records and no calls from nothing", () => {
    expect(planRecords([], 1_000, false)).toEqual([]);
    expect(planCalls([], 500, 1_000)).toEqual([]);
  });
});

/** The events carried by packed calls, parsed back from the record data. */
function carried(
  calls: PackedRecord[][],
): Array<{ record: PackedRecord; events: Array<Record<string, unknown>> }> {
  return calls
    .flat()
    .map((record) => ({ record, events: splitLines(record.data).map((l) => JSON.parse(l)) }));
}

const unicodeMessage = fc.string({ unit: "binary", maxLength: 3_000 });

describe("packEvents", () => {
  it("writes each event as its JSON followed by a newline", () => {
    const events = makeEvents(3);
    const { calls } = packEvents(events, DEFAULTS);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(1);
    expect(calls[0]![0]!.data.toString("utf8")).toBe(events.map((e) => `${JSON.stringify(e)}\n`).join(""));
    expect(calls[0]![0]!.events).toEqual([0, 1, 2]);
  });

  it("packs ten thousand small events into two records of one call", () => {
    const { calls } = packEvents(makeEvents(10_000), DEFAULTS);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(2);
    expect(calls[0]![0]!.bytes).toBeGreaterThan(FIREHOSE.MAX_RECORD_BYTES - 200);
  });

  it("sends each event as its own record in one-event-per-record mode, 500 records a call", () => {
    const { calls } = packEvents(makeEvents(1_200), { ...DEFAULTS, oneEventPerRecord: true });
    expect(calls.map((c) => c.length)).toEqual([500, 500, 200]);
    expect(calls.flat().every((r) => r.events.length === 1 && r.data.toString().endsWith("}\n"))).toBe(true);
  });

  it("carries every event exactly once, in order, as valid JSON within every limit, for random events", () => {
    fc.assert(
      fc.property(
        fc.array(unicodeMessage, { maxLength: 60 }),
        fc.integer({ min: 256, max: 4_000 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 8_000 }),
        fc.boolean(),
        (messages, maxRecordBytes, maxBatchRecords, extra, oneEventPerRecord) => {
          const events = messages.map((message) => makeEvent({ message }));
          const limits = {
            maxRecordBytes,
            maxBatchRecords,
            maxBatchBytes: maxRecordBytes + extra,
            oneEventPerRecord,
          };
          const { calls, rejected } = packEvents(events, limits);
          expect(rejected.size).toBe(0);
          const ids: string[] = [];
          for (const call of calls) {
            expect(call.length).toBeLessThanOrEqual(maxBatchRecords);
            expect(call.reduce((sum, r) => sum + r.data.length, 0)).toBeLessThanOrEqual(limits.maxBatchBytes);
          }
          for (const { record, events: inRecord } of carried(calls)) {
            expect(record.data.length).toBe(record.bytes);
            expect(record.data.length).toBeLessThanOrEqual(maxRecordBytes);
            if (oneEventPerRecord) expect(inRecord).toHaveLength(1);
            expect(inRecord.map((e) => e.id)).toEqual(record.events.map((i) => events[i]!.id));
            ids.push(...inRecord.map((e) => String(e.id)));
          }
          expect(ids).toEqual(events.map((e) => e.id));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("keeps an event that fits byte for byte, and marks one that had to be cut", () => {
    fc.assert(
      fc.property(fc.array(unicodeMessage, { minLength: 1, maxLength: 20 }), (messages) => {
        const events = messages.map((message) => makeEvent({ message }));
        const { calls } = packEvents(events, { ...DEFAULTS, maxRecordBytes: 1_024, maxBatchBytes: 4_096 });
        for (const { record, events: inRecord } of carried(calls)) {
          inRecord.forEach((parsed, k) => {
            const original = events[record.events[k]!]!;
            if (Buffer.byteLength(JSON.stringify(original)) + 1 <= 1_024) {
              expect(parsed).toEqual(JSON.parse(JSON.stringify(original)));
            } else {
              expect(parsed.message).toMatch(/…\[truncated \d+ bytes\]$/);
              expect({ ...parsed, message: "" }).toEqual({
                ...JSON.parse(JSON.stringify(original)),
                message: "",
              });
            }
          });
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe("packEvents with oversized events", () => {
  it("truncates an event over the record cap so its line fits and its JSON stays valid", () => {
    const event = makeEvent({ message: "x".repeat(FIREHOSE.MAX_RECORD_BYTES + 50_000) });
    const { calls, rejected, truncated } = packEvents([event], DEFAULTS);
    expect(rejected.size).toBe(0);
    expect(truncated).toEqual({ message: 1, attrs: 0 });
    const record = calls[0]![0]!;
    expect(record.data.length).toBeLessThanOrEqual(FIREHOSE.MAX_RECORD_BYTES);
    expect(record.data.length).toBeGreaterThan(FIREHOSE.MAX_RECORD_BYTES - 64);
    const parsed = JSON.parse(splitLines(record.data)[0]!) as LogEvent;
    expect(parsed.id).toBe(event.id);
    expect(parsed.message).toMatch(/^x+…\[truncated \d+ bytes\]$/);
    const kept = parsed.message.length - parsed.message.indexOf("…");
    const dropped = Number(/truncated (\d+) bytes/.exec(parsed.message)![1]);
    expect(parsed.message.length - kept + dropped).toBe(event.message.length);
  });

  it("cuts a multi-byte message on a character boundary", () => {
    const event = makeEvent({ message: "é😀漢".repeat(200) });
    const { calls } = packEvents([event], { ...DEFAULTS, maxRecordBytes: 512, maxBatchBytes: 512 });
    const line = splitLines(calls[0]![0]!.data)[0]!;
    expect(line).not.toContain("\uFFFD");
    const parsed = JSON.parse(line) as LogEvent;
    expect(event.message.startsWith(parsed.message.slice(0, parsed.message.indexOf("…")))).toBe(true);
  });

  it("keeps events before and after an oversized one in their own records, in order", () => {
    const events = [makeEvent(), makeEvent({ message: "y".repeat(5_000) }), makeEvent()];
    const { calls } = packEvents(events, { ...DEFAULTS, maxRecordBytes: 1_000, maxBatchBytes: 4_000 });
    const ids = carried(calls).flatMap((c) => c.events.map((e) => e.id));
    expect(ids).toEqual(events.map((e) => e.id));
    expect(calls.flat().every((r) => r.data.length <= 1_000)).toBe(true);
  });

  it("rejects an event whose fixed fields alone exceed the record cap, and packs the rest", () => {
    const huge = makeEvent({ log_group: "g".repeat(512), log_stream: "s".repeat(512) });
    const fine = makeEvent();
    const { calls, rejected } = packEvents([huge, fine], {
      ...DEFAULTS,
      maxRecordBytes: 512,
      maxBatchBytes: 512,
    });
    expect(rejected.get(0)).toMatchObject({ code: "too_large" });
    expect(carried(calls).flatMap((c) => c.events.map((e) => e.id))).toEqual([fine.id]);
  });

  it("rejects an event that cannot be serialised without failing the batch", () => {
    const bad = makeEvent({ attrs: { n: 1n as unknown as string } });
    const fine = makeEvent();
    const { calls, rejected } = packEvents([bad, fine], DEFAULTS);
    expect(rejected.get(0)).toMatchObject({ code: "unencodable" });
    expect(calls.flat().flatMap((r) => r.events)).toEqual([1]);
  });
});
