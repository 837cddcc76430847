import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type BatchLimits,
  type EncodedEvent,
  splitIntoBatches,
} from "../../../../collectors/outputs/cloudwatch-logs/batch.js";
import { PUT_LOG_EVENTS_LIMITS } from "../../../../collectors/outputs/cloudwatch-logs/request-builder.js";
import { CLOUDWATCH_LOGS } from "../../../../core/limits.js";
import { T0 } from "./helpers.js";

const HOUR = 3_600_000;

function checkBatches(input: EncodedEvent[], limits: BatchLimits): void {
  const batches = splitIntoBatches(input, limits);
  const seen: number[] = [];
  let previousLast: EncodedEvent | undefined;
  for (const batch of batches) {
    expect(batch.events.length).toBeGreaterThan(0);
    expect(batch.events.length).toBeLessThanOrEqual(limits.maxEvents);
    const bytes = batch.events.reduce((sum, e) => sum + e.bytes + limits.perEventOverhead, 0);
    expect(batch.bytes).toBe(bytes);
    expect(bytes).toBeLessThanOrEqual(limits.maxBytes);
    for (let i = 1; i < batch.events.length; i++) {
      expect(batch.events[i]!.timestamp).toBeGreaterThanOrEqual(batch.events[i - 1]!.timestamp);
    }
    const first = batch.events[0]!;
    const last = batch.events[batch.events.length - 1]!;
    expect(last.timestamp - first.timestamp).toBeLessThanOrEqual(limits.maxSpanMs);
    // Batches follow each other in time, so one stream's events arrive in order overall.
    if (previousLast) expect(first.timestamp).toBeGreaterThanOrEqual(previousLast.timestamp);
    previousLast = last;
    seen.push(...batch.events.map((e) => e.index));
  }
  expect(seen.sort((a, b) => a - b)).toEqual(input.map((e) => e.index).sort((a, b) => a - b));
}

const event = (maxBytes: number, spreadMs: number) =>
  fc.record({
    timestamp: fc.integer({ min: T0, max: T0 + spreadMs }),
    bytes: fc.integer({ min: 1, max: maxBytes }),
  });

function indexed(events: Array<{ timestamp: number; bytes: number }>): EncodedEvent[] {
  return events.map((e, index) => ({ index, timestamp: e.timestamp, bytes: e.bytes, message: "" }));
}

describe("splitIntoBatches", () => {
  it("keeps every batch within every PutLogEvents rule for random sizes and timestamps", () => {
    const limits = PUT_LOG_EVENTS_LIMITS;
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            { weight: 8, arbitrary: event(2_000, 4 * 24 * HOUR) },
            { weight: 1, arbitrary: event(CLOUDWATCH_LOGS.DEFAULT_MAX_EVENT_BYTES - 26, 4 * 24 * HOUR) },
          ),
          { maxLength: 400 },
        ),
        (events) => checkBatches(indexed(events), limits),
      ),
      { numRuns: 200 },
    );
  });

  it("keeps every batch within small random limits, exercising each limit often", () => {
    fc.assert(
      fc.property(
        fc.record({
          maxEvents: fc.integer({ min: 1, max: 12 }),
          maxBytes: fc.integer({ min: 60, max: 600 }),
          maxSpanMs: fc.integer({ min: 0, max: 100 }),
        }),
        fc.array(
          fc.record({ timestamp: fc.integer({ min: 0, max: 500 }), bytes: fc.integer({ min: 1, max: 34 }) }),
          {
            maxLength: 200,
          },
        ),
        (partial, events) => {
          const limits: BatchLimits = { ...partial, perEventOverhead: 26 };
          checkBatches(indexed(events), limits);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("starts a new batch only when the next event would break a limit", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ timestamp: fc.integer({ min: 0, max: 300 }), bytes: fc.integer({ min: 1, max: 40 }) }),
          {
            maxLength: 150,
          },
        ),
        (events) => {
          const limits: BatchLimits = { maxEvents: 7, maxBytes: 400, perEventOverhead: 26, maxSpanMs: 50 };
          const batches = splitIntoBatches(indexed(events), limits);
          for (let i = 1; i < batches.length; i++) {
            const previous = batches[i - 1]!;
            const next = batches[i]!.events[0]!;
            const wouldFit =
              previous.events.length < limits.maxEvents &&
              previous.bytes + next.bytes + 26 <= limits.maxBytes &&
              next.timestamp - previous.events[0]!.timestamp <= limits.maxSpanMs;
            expect(wouldFit).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("sorts by timestamp and keeps arrival order among equal timestamps", () => {
    const input = indexed([
      { timestamp: 30, bytes: 1 },
      { timestamp: 10, bytes: 1 },
      { timestamp: 30, bytes: 1 },
      { timestamp: 10, bytes: 1 },
      { timestamp: 20, bytes: 1 },
    ]);
    const [batch] = splitIntoBatches(input, PUT_LOG_EVENTS_LIMITS);
    expect(batch!.events.map((e) => e.index)).toEqual([1, 3, 4, 0, 2]);
  });

  it("splits a stream spanning three days into requests of at most 24 hours each", () => {
    const input = indexed(Array.from({ length: 73 }, (_, h) => ({ timestamp: T0 + h * HOUR, bytes: 10 })));
    const batches = splitIntoBatches(input, PUT_LOG_EVENTS_LIMITS);
    expect(batches.map((b) => b.events.length)).toEqual([25, 25, 23]);
    for (const b of batches) {
      expect(b.events[b.events.length - 1]!.timestamp - b.events[0]!.timestamp).toBeLessThanOrEqual(
        24 * HOUR,
      );
    }
  });

  it("splits at exactly 10,000 events", () => {
    const input = indexed(Array.from({ length: 25_000 }, () => ({ timestamp: T0, bytes: 1 })));
    expect(splitIntoBatches(input, PUT_LOG_EVENTS_LIMITS).map((b) => b.events.length)).toEqual([
      10_000, 10_000, 5_000,
    ]);
  });

  it("splits at the byte limit counting 26 bytes per event", () => {
    // 1,022 × (1000 + 26) = 1,048,572 ≤ 1,048,576 < 1,023 × 1,026.
    const input = indexed(Array.from({ length: 2_100 }, () => ({ timestamp: T0, bytes: 1000 })));
    expect(splitIntoBatches(input, PUT_LOG_EVENTS_LIMITS).map((b) => b.events.length)).toEqual([
      1022, 1022, 56,
    ]);
  });

  it("puts a maximum-size event in a request of its own", () => {
    const max = CLOUDWATCH_LOGS.DEFAULT_MAX_EVENT_BYTES - 26;
    const input = indexed([
      { timestamp: T0, bytes: 10 },
      { timestamp: T0 + 1, bytes: max },
      { timestamp: T0 + 2, bytes: 10 },
    ]);
    expect(splitIntoBatches(input, PUT_LOG_EVENTS_LIMITS).map((b) => b.events.map((e) => e.index))).toEqual([
      [0],
      [1],
      [2],
    ]);
  });

  it("refuses an event that could never fit a request instead of looping", () => {
    const input = indexed([{ timestamp: T0, bytes: CLOUDWATCH_LOGS.PUT_MAX_BATCH_BYTES }]);
    expect(() => splitIntoBatches(input, PUT_LOG_EVENTS_LIMITS)).toThrow(RangeError);
  });

  it("returns no batches for no events", () => {
    expect(splitIntoBatches([], PUT_LOG_EVENTS_LIMITS)).toEqual([]);
  });
});
