import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildRequests,
  checkTimeWindow,
} from "../../../../collectors/outputs/cloudwatch-logs/request-builder.js";
import { compileTemplate } from "../../../../collectors/outputs/cloudwatch-logs/template.js";
import type { LogEvent } from "../../../../core/event/schema.js";
import { CLOUDWATCH_LOGS } from "../../../../core/limits.js";
import { at, makeEvent, T0 } from "./helpers.js";

const DAY = 86_400_000;
const HOUR = 3_600_000;

const options = (overrides: Partial<Parameters<typeof buildRequests>[1]> = {}) => ({
  logGroup: compileTemplate("group", "/logpipe/{service}", {}),
  logStream: compileTemplate("stream", "{host}", { host: "fallback" }),
  maxEventBytes: 1_048_550,
  now: T0,
  ...overrides,
});

describe("checkTimeWindow", () => {
  it("accepts events from 14 days ago up to 2 hours ahead", () => {
    expect(checkTimeWindow(T0 - 14 * DAY, T0)).toBeUndefined();
    expect(checkTimeWindow(T0 + 2 * HOUR, T0)).toBeUndefined();
  });

  it("answers too_old for an event more than 14 days old", () => {
    expect(checkTimeWindow(T0 - 14 * DAY - 1, T0)?.code).toBe("too_old");
  });

  it("answers too_new for an event more than 2 hours ahead", () => {
    const rejection = checkTimeWindow(T0 + 2 * HOUR + 1, T0);
    expect(rejection?.code).toBe("too_new");
    expect(rejection?.reason).toContain("2 hours");
  });

  it("answers expired for an event older than the group's retention", () => {
    expect(checkTimeWindow(T0 - 4 * DAY, T0, 3)?.code).toBe("expired");
    expect(checkTimeWindow(T0 - 2 * DAY, T0, 3)).toBeUndefined();
  });

  it("prefers too_old when an event is past both the retention and 14 days", () => {
    expect(checkTimeWindow(T0 - 20 * DAY, T0, 7)?.code).toBe("too_old");
  });
});

describe("buildRequests", () => {
  it("answers events outside the time window without sending them", () => {
    const events = [
      makeEvent({ "@timestamp": at(T0 - 15 * DAY) }),
      makeEvent(),
      makeEvent({ "@timestamp": at(T0 + 3 * HOUR) }),
      makeEvent({ "@timestamp": at(T0 - 8 * DAY) }),
    ];
    const built = buildRequests(events, options({ retentionDays: 7 }));
    expect([...built.rejected].map(([i, r]) => [i, r.code])).toEqual([
      [0, "too_old"],
      [2, "too_new"],
      [3, "expired"],
    ]);
    expect(built.requests.flatMap((r) => r.events.map((e) => e.index))).toEqual([1]);
  });

  it("answers an unparseable timestamp as invalid_timestamp", () => {
    const built = buildRequests([makeEvent({ "@timestamp": "yesterday" })], options());
    expect(built.rejected.get(0)?.code).toBe("invalid_timestamp");
    expect(built.requests).toEqual([]);
  });

  it("routes events to one request per group and stream", () => {
    const events = [
      makeEvent({ service: "a", host: "h1" }),
      makeEvent({ service: "b", host: "h1" }),
      makeEvent({ service: "a", host: "h2" }),
      makeEvent({ service: "a", host: "h1" }),
    ];
    const built = buildRequests(events, options());
    expect(
      built.requests.map((r) => [r.logGroupName, r.logStreamName, r.events.map((e) => e.index)]),
    ).toEqual([
      ["/logpipe/a", "h1", [0, 3]],
      ["/logpipe/b", "h1", [1]],
      ["/logpipe/a", "h2", [2]],
    ]);
  });

  it("sends each event's JSON with its @timestamp as epoch milliseconds", () => {
    const event = makeEvent({ "@timestamp": "2026-03-10T11:59:58.123Z" });
    const [request] = buildRequests([event], options()).requests;
    expect(request!.events[0]).toMatchObject({
      timestamp: Date.parse("2026-03-10T11:59:58.123Z"),
      message: JSON.stringify(event),
    });
  });

  it("counts truncated events by what was cut", () => {
    const built = buildRequests(
      [makeEvent({ message: "x".repeat(3_000) }), makeEvent()],
      options({ maxEventBytes: 1_000 }),
    );
    expect(built.truncated).toEqual({ message: 1, attrs: 0 });
  });

  it("answers every event exactly once and builds only valid requests", () => {
    const eventArb = fc.record({
      offset: fc.integer({ min: -16 * DAY, max: 3 * HOUR }),
      message: fc.string({ unit: "binary", maxLength: 3_000 }),
      service: fc.constantFrom("a", "b", "c d"),
      host: fc.option(fc.constantFrom("h1", "h:2"), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.array(eventArb, { maxLength: 120 }),
        fc.integer({ min: 512, max: 4_000 }),
        (specs, cap) => {
          const events: LogEvent[] = specs.map((s, i) =>
            makeEvent({
              id: `id-${i}`,
              "@timestamp": at(T0 + s.offset),
              message: s.message,
              service: s.service,
              host: s.host,
            }),
          );
          const built = buildRequests(events, options({ maxEventBytes: cap }));
          const answered = [
            ...built.rejected.keys(),
            ...built.requests.flatMap((r) => r.events.map((e) => e.index)),
          ];
          expect(answered.sort((a, b) => a - b)).toEqual(events.map((_, i) => i));
          for (const request of built.requests) {
            expect(request.events.length).toBeLessThanOrEqual(CLOUDWATCH_LOGS.PUT_MAX_EVENTS);
            let size = 0;
            for (let i = 0; i < request.events.length; i++) {
              const e = request.events[i]!;
              expect(Buffer.byteLength(e.message)).toBe(e.bytes);
              expect(e.bytes).toBeLessThanOrEqual(cap);
              expect((JSON.parse(e.message) as LogEvent).id).toBe(`id-${e.index}`);
              if (i > 0) expect(e.timestamp).toBeGreaterThanOrEqual(request.events[i - 1]!.timestamp);
              size += e.bytes + CLOUDWATCH_LOGS.EVENT_OVERHEAD_BYTES;
            }
            expect(size).toBeLessThanOrEqual(CLOUDWATCH_LOGS.PUT_MAX_BATCH_BYTES);
            const span = request.events[request.events.length - 1]!.timestamp - request.events[0]!.timestamp;
            expect(span).toBeLessThanOrEqual(CLOUDWATCH_LOGS.PUT_MAX_SPAN_MS);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
