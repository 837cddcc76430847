import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { IncomingRecord } from "../../../core/event/incoming.js";
import { LogEventSchema } from "../../../core/event/schema.js";
import { MetricsRegistry } from "../../../core/metrics.js";
import { createTransformer } from "../../../processors/transforms/index.js";
import { utf8Bytes } from "../../../processors/transforms/strings.js";

const LIMITS = {
  max_message_bytes: 256,
  max_attrs: 5,
  max_attr_value_bytes: 64,
  max_key_length: 16,
  max_depth: 3,
};
const DROP_CODES = ["dropped_level", "invalid_id", "invalid_time", "transform_error"];

/** Keys the transforms treat specially, so generated records hit every mapping. */
const SPECIAL_KEYS = [
  "message",
  "msg",
  "log",
  "text",
  "level",
  "severity",
  "log.level",
  "time",
  "ts",
  "@timestamp",
  "timestamp",
  "trace_id",
  "span_id",
  "request_id",
  "service",
  "env",
  "region",
  "host",
  "hostname",
  "id",
  "ingest_time",
  "source",
  "log_group",
  "http",
  "method",
  "path",
  "url",
  "status",
  "status_code",
  "duration_ms",
  "client_ip",
  "user_agent",
  "req",
  "res",
  "attrs",
  "password",
  "__proto__",
  "constructor",
  "",
];

const textUnit = fc.oneof(
  fc.constantFrom("\ud800", "\udc00", "@", ".", "{", "}", '"', "4", "1", " ", "é", "😀", "\n", "AKIA", "eyJ"),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
);
const text = fc.string({ unit: textUnit, maxLength: 40 });
const longText = fc.string({ unit: textUnit, minLength: 200, maxLength: 400 });
const key = fc.oneof(fc.constantFrom(...SPECIAL_KEYS), text);

const scalar = fc.oneof(
  text,
  longText,
  fc.constantFrom(
    "info",
    "WARN",
    "30",
    "201",
    "/a?b=1",
    "203.0.113.7",
    "2025-12-05T18:00:00Z",
    "4111111111111111",
  ),
  fc.double(),
  fc.integer(),
  fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY, 1e300, 1764957600123, 30, 201),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
  fc.uint8Array({ maxLength: 16 }),
  fc.date({ noInvalidDate: false }),
);

const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(key, tie("value"), { maxKeys: 6 }),
  ),
}));

const record = fc.oneof(
  fc.dictionary(key, value, { maxKeys: 12 }),
  // The application's line as JSON inside the envelope, as Docker and Fluent Bit send it.
  fc
    .tuple(fc.dictionary(key, fc.jsonValue({ maxDepth: 4 }), { maxKeys: 10 }), fc.dictionary(key, value))
    .map(([line, envelope]) => ({ ...envelope, log: JSON.stringify(line) })),
  value,
);

const input: fc.Arbitrary<IncomingRecord> = fc.record({
  id: fc.oneof(fc.constant("01JEXAMPLE0000000000000000"), text),
  time: fc.oneof(fc.constant(1_764_957_600_000), fc.double()),
  receivedAt: fc.oneof(fc.constant(1_764_957_600_500), fc.double()),
  tag: text,
  source: text,
  record: record as fc.Arbitrary<Record<string, unknown>>,
});

describe("any input", () => {
  it("yields a valid, bounded event or a counted drop, and never throws", () => {
    const metrics = new MetricsRegistry();
    const transform = createTransformer({ limits: LIMITS, drop_levels: ["trace"] }, { metrics });
    let drops = 0;
    fc.assert(
      fc.property(input, fc.option(fc.record({ log_group: text, log_stream: text })), (inp, context) => {
        const result = transform(inp, context ?? undefined);
        if (!result.ok) {
          drops++;
          expect(DROP_CODES).toContain(result.code);
          expect(result.code).not.toBe("transform_error");
          return;
        }
        const event = result.event;
        expect(LogEventSchema.safeParse(event).error).toBeUndefined();
        expect(utf8Bytes(event.message)).toBeLessThanOrEqual(LIMITS.max_message_bytes);
        const attrs = event.attrs ?? {};
        expect(Object.keys(attrs).length).toBeLessThanOrEqual(LIMITS.max_attrs + 3);
        for (const v of Object.values(attrs))
          expect(utf8Bytes(v)).toBeLessThanOrEqual(LIMITS.max_attr_value_bytes);
        expect(JSON.parse(JSON.stringify(event))).toEqual(event);
      }),
      { numRuns: 600 },
    );
    const counted = Object.entries(metrics.snapshot())
      .filter(([name]) => name.startsWith("logpipe_transform_dropped_total"))
      .reduce((sum, [, n]) => sum + n, 0);
    expect(counted).toBe(drops);
  });

  it("yields valid events with the default limits", () => {
    const transform = createTransformer({});
    fc.assert(
      fc.property(input, (inp) => {
        const result = transform(inp);
        if (result.ok) expect(LogEventSchema.safeParse(result.event).error).toBeUndefined();
        else expect(result.code).not.toBe("transform_error");
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ["default", {}],
    ["small", LIMITS],
  ])(
    "gives the same event when a kept event is transformed again from its JSON, with %s limits",
    (_name, limits) => {
      const transform = createTransformer({ limits });
      // A logpipe event is recognised by its ingest_time, which needs a valid receive time.
      const received = fc.record({ receivedAt: fc.integer({ min: 0, max: 4_102_444_800_000 }) });
      fc.assert(
        fc.property(
          fc.tuple(input, received).map(([inp, r]) => ({ ...inp, ...r })),
          (inp) => {
            const first = transform(inp);
            if (!first.ok) return;
            const again = transform({
              ...inp,
              id: "other",
              record: { message: JSON.stringify(first.event) },
            });
            expect(again.ok && again.event).toEqual(first.event);
          },
        ),
        { numRuns: 300 },
      );
    },
  );
});
