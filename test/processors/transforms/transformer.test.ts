import { describe, expect, it } from "vitest";
import type { IncomingRecord } from "../../../core/event/incoming.js";
import { LogEventSchema } from "../../../core/event/schema.js";
import { MetricsRegistry } from "../../../core/metrics.js";
import {
  compileTransforms,
  createTransformer,
  fromCloudWatchLogEvent,
  TransformsConfigSchema,
  tagFromLogGroup,
  transformBatch,
  transformRecord,
} from "../../../processors/transforms/index.js";
import { utf8Bytes } from "../../../processors/transforms/strings.js";
import { incoming, keep, T0 } from "./support.js";

const VISA = "4111111111111111";

describe("id", () => {
  const transform = createTransformer({});

  it("takes an id carried in the record over the input's id", () => {
    expect(keep(transform, { id: "01FORWARDER", message: "x" }).id).toBe("01FORWARDER");
  });

  it("takes an id carried in a JSON message over a CloudWatch event id", () => {
    const event = keep(transform, { message: '{"id":"01FORWARDER","msg":"x"}' }, { id: "3659…cloudwatch" });
    expect(event.id).toBe("01FORWARDER");
  });

  it.each([
    ["empty", ""],
    ["too long", "x".repeat(129)],
    ["not a string", 12345],
  ])("keeps the input's id when the record's id is %s", (_name, id) => {
    const event = keep(transform, { id, message: "x" });
    expect(event.id).toBe("01JEXAMPLE0000000000000000");
    expect(event.attrs).toEqual({ id: String(id) });
  });

  it("reads the id from the configured field only", () => {
    const custom = createTransformer({ id_field: "event_id" });
    const event = keep(custom, { id: "user-thing", event_id: "01UPSTREAM" });
    expect(event.id).toBe("01UPSTREAM");
    expect(event.attrs).toEqual({ id: "user-thing" });
  });

  it("ignores record ids when the id field is null", () => {
    const event = keep(createTransformer({ id_field: null }), { id: "01UPSTREAM" });
    expect(event.id).toBe("01JEXAMPLE0000000000000000");
    expect(event.attrs).toEqual({ id: "01UPSTREAM" });
  });

  it("drops a record whose input id is unusable too", () => {
    const result = transform(incoming({ message: "x" }, { id: "" }));
    expect(result).toMatchObject({ ok: false, code: "invalid_id", intentional: false });
  });
});

describe("enrichment", () => {
  it("takes the service from the tag's first segment", () => {
    expect(keep(createTransformer({}), { message: "x" }, { tag: "checkout.access" }).service).toBe(
      "checkout",
    );
  });

  it("takes a tag without dots whole", () => {
    expect(keep(createTransformer({}), { message: "x" }, { tag: "billing" }).service).toBe("billing");
  });

  it("prefers the record's service over the tag", () => {
    expect(keep(createTransformer({}), { service: "cart" }, { tag: "checkout.access" }).service).toBe("cart");
  });

  it("falls back to the configured default when the tag is not used", () => {
    const transform = createTransformer({ service_from_tag: false, defaults: { service: "fallback" } });
    expect(keep(transform, { message: "x" }).service).toBe("fallback");
  });

  it("falls back to unknown for an empty tag", () => {
    expect(keep(createTransformer({}), { message: "x" }, { tag: "" }).service).toBe("unknown");
  });

  it("fills env, region and host from defaults only when the record has none", () => {
    const transform = createTransformer({ defaults: { env: "prod", region: "eu-west-1", host: "node-1" } });
    expect(keep(transform, { message: "x" })).toMatchObject({
      env: "prod",
      region: "eu-west-1",
      host: "node-1",
    });
    expect(keep(transform, { env: "staging", host: "h2" })).toMatchObject({
      env: "staging",
      region: "eu-west-1",
      host: "h2",
    });
  });

  it("sets ingest_time from the receive time and source from the input", () => {
    const event = keep(createTransformer({}), { message: "x" }, { receivedAt: T0 + 1234, source: "http" });
    expect(event.ingest_time).toBe("2025-12-05T18:00:01.234Z");
    expect(event.source).toBe("http");
  });

  it("sets log group and stream from the context", () => {
    const event = keep(
      createTransformer({}),
      { message: "x" },
      {},
      { log_group: "/ecs/app", log_stream: "s/1" },
    );
    expect(event).toMatchObject({ log_group: "/ecs/app", log_stream: "s/1" });
  });
});

describe("event time", () => {
  const transform = createTransformer({});

  it("uses the input's time, to the millisecond, when the record has none", () => {
    expect(keep(transform, { message: "x" }, { time: T0 + 7.9 })["@timestamp"]).toBe(
      "2025-12-05T18:00:00.007Z",
    );
  });

  it("falls back to the receive time when the input's time is unusable", () => {
    expect(keep(transform, { message: "x" }, { time: Number.NaN })["@timestamp"]).toBe(
      "2025-12-05T18:00:00.500Z",
    );
  });

  it("writes the record's time in schema form when the record wrote it another way", () => {
    const event = keep(transform, { time: "2025-12-05T19:00:00.123+01:00", message: "x" });
    expect(event["@timestamp"]).toBe("2025-12-05T18:00:00.123Z");
  });

  it("writes a rolled-over date in the record as the day it stands for", () => {
    const event = keep(transform, { "@timestamp": "2025-11-31T10:00:00.000Z", message: "x" });
    expect(event["@timestamp"]).toBe("2025-12-01T10:00:00.000Z");
  });

  it("builds events that are plain objects", () => {
    const event = keep(transform, { message: "x" });
    expect(Object.getPrototypeOf(event)).toBe(Object.prototype);
    expect(event).toStrictEqual({ ...event });
  });

  it("drops a record without any usable time", () => {
    const result = transform(incoming({ message: "x" }, { time: -1, receivedAt: Number.NaN }));
    expect(result).toMatchObject({ ok: false, code: "invalid_time", intentional: false });
  });
});

describe("drops", () => {
  it("drops configured levels on purpose and counts them by code", () => {
    const metrics = new MetricsRegistry();
    const transform = createTransformer({ drop_levels: ["debug"] }, { metrics });
    const result = transform(incoming({ level: "DEBUG", message: "noise" }));
    expect(result).toEqual({
      ok: false,
      code: "dropped_level",
      reason: "level debug is in drop_levels",
      intentional: true,
    });
    expect(transform(incoming({ level: "info" })).ok).toBe(true);
    expect(metrics.snapshot()).toMatchObject({
      'logpipe_transform_dropped_total{code="dropped_level"}': 1,
      logpipe_transform_events_total: 1,
    });
  });

  it("turns an unexpected failure into a counted transform_error drop", () => {
    const metrics = new MetricsRegistry();
    const transform = createTransformer({}, { metrics });
    const hostile = {
      get message(): string {
        throw new Error("getter exploded");
      },
    };
    const result = transform(incoming(hostile));
    expect(result).toMatchObject({ ok: false, code: "transform_error", intentional: false });
    expect(!result.ok && result.reason).toContain("getter exploded");
    expect(metrics.snapshot()['logpipe_transform_dropped_total{code="transform_error"}']).toBe(1);
  });
});

describe("redaction in events", () => {
  it("redacts the message, attribute values, the path and the user agent", () => {
    const event = keep(createTransformer({}), {
      message: `paid with ${VISA}`,
      user: { email: "alice@example.com" },
      http: { method: "GET", path: "/users/alice@example.com?token=1", user_agent: "bot (ops@example.com)" },
    });
    expect(event.message).toBe("paid with [REDACTED:card]");
    expect(event.attrs).toEqual({ "user.email": "[REDACTED:email]", "http.query": "token=1" });
    expect(event.http).toMatchObject({
      path: "/users/[REDACTED:email]",
      user_agent: "bot ([REDACTED:email])",
    });
  });

  it("never touches ids", () => {
    const id = "alice@example.com";
    const event = keep(createTransformer({}), {
      id,
      trace_id: id,
      span_id: "bob@example.com",
      request_id: id,
    });
    expect(event).toMatchObject({ id, trace_id: id, span_id: "bob@example.com", request_id: id });
  });

  it("reports redactions per kind in stats and in logpipe_redactions_total", () => {
    const metrics = new MetricsRegistry();
    const transform = createTransformer({}, { metrics });
    const result = transform(incoming({ message: "a@example.com b@example.com", card: VISA }));
    expect(result.ok && result.stats).toEqual({ redactions: { email: 2, card: 1 } });
    transform(incoming({ message: "c@example.com" }));
    expect(metrics.snapshot()).toMatchObject({
      'logpipe_redactions_total{kind="email"}': 3,
      'logpipe_redactions_total{kind="card"}': 1,
    });
  });

  it("carries no stats for an event nothing happened to", () => {
    const result = createTransformer({})(incoming({ message: "order placed" }));
    expect(result).toEqual({ ok: true, event: expect.any(Object) });
  });

  it("leaves everything in place when redaction is disabled", () => {
    const event = keep(createTransformer({ redact: { enabled: false } }), {
      message: "a@example.com",
      password: "p",
    });
    expect(event.message).toBe("a@example.com");
    expect(event.attrs).toEqual({ password: "p" });
  });

  it("redacts a secret that straddles the truncation point before cutting", () => {
    const transform = createTransformer({ limits: { max_message_bytes: 256 } });
    const message = `${"x".repeat(240)} ${VISA} tail`;
    const event = keep(transform, { message });
    expect(event.message).not.toContain("4111");
    expect(event.message).toMatch(/…\[truncated \d+ bytes\]$/);
  });
});

describe("size bounds", () => {
  it("truncates a long message on a character boundary with a marker", () => {
    const metrics = new MetricsRegistry();
    const transform = createTransformer({ limits: { max_message_bytes: 1024 } }, { metrics });
    const message = "€".repeat(2000);
    const result = transform(incoming({ message }));
    if (!result.ok) throw new Error(result.reason);
    const out = result.event.message;
    expect(utf8Bytes(out)).toBeLessThanOrEqual(1024);
    const kept = out.slice(0, out.indexOf("…["));
    expect(kept).toBe("€".repeat(kept.length));
    expect(out.endsWith(`…[truncated ${6000 - utf8Bytes(kept)} bytes]`)).toBe(true);
    expect(result.stats).toEqual({ truncated: 1 });
    expect(metrics.snapshot().logpipe_transform_truncated_total).toBe(1);
  });

  it("truncates a huge message quickly and reports the full number of removed bytes", () => {
    const event = keep(createTransformer({}), { message: "a".repeat(5_000_000) });
    expect(utf8Bytes(event.message)).toBeLessThanOrEqual(32_768);
    const kept = event.message.indexOf("…");
    expect(event.message.endsWith(`[truncated ${5_000_000 - kept} bytes]`)).toBe(true);
  });

  it("bounds attribute values", () => {
    const event = keep(createTransformer({ limits: { max_attr_value_bytes: 64 } }), {
      note: "n".repeat(500),
    });
    expect(utf8Bytes(event.attrs!.note!)).toBeLessThanOrEqual(64);
    expect(event.attrs!.note).toMatch(/^n+…\[truncated \d+ bytes\]$/);
  });

  it("folds keys beyond max_attrs into _overflow with their count", () => {
    const metrics = new MetricsRegistry();
    const transform = createTransformer({ limits: { max_attrs: 3 } }, { metrics });
    const result = transform(incoming({ a: 1, b: 2, c: 3, d: 4, e: { f: 5 } }));
    if (!result.ok) throw new Error(result.reason);
    expect(result.event.attrs).toEqual({
      a: "1",
      b: "2",
      c: "3",
      _overflow: '{"d":"4","e.f":"5"}',
      _overflow_keys: "2",
    });
    expect(result.stats).toEqual({ overflowKeys: 2 });
    expect(metrics.snapshot().logpipe_transform_overflow_keys_total).toBe(2);
  });

  it("bounds _overflow and still counts every folded key", () => {
    const record = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`key${i}`, "v".repeat(20)]));
    const event = keep(createTransformer({ limits: { max_attr_value_bytes: 1024 } }), record);
    const attrs = event.attrs!;
    expect(Object.keys(attrs)).toHaveLength(102);
    expect(attrs._overflow_keys).toBe("9900");
    expect(utf8Bytes(attrs._overflow!)).toBeLessThanOrEqual(1024);
    expect(Object.keys(JSON.parse(attrs._overflow!)).length).toBeGreaterThan(10);
  });

  it("redacts what is folded into _overflow", () => {
    const event = keep(createTransformer({ limits: { max_attrs: 0 } }), { note: "mail alice@example.com" });
    expect(event.attrs).toEqual({ _overflow: '{"note":"mail [REDACTED:email]"}', _overflow_keys: "1" });
  });

  it("keeps an event's own reserved attributes outside the cap when it is transformed again", () => {
    const transform = createTransformer({ limits: { max_attrs: 1 } });
    const event = keep(transform, {
      message: "x",
      attrs: { a: "1", level_raw: "banana", _overflow: '{"b":"2"}', _overflow_keys: "1" },
    });
    expect(event.attrs).toEqual({ a: "1", level_raw: "banana", _overflow: '{"b":"2"}', _overflow_keys: "1" });
  });

  it("keeps objects deeper than max_depth as one JSON value", () => {
    const event = keep(createTransformer({ limits: { max_depth: 2 } }), { a: { b: { c: { d: 1 } } } });
    expect(event.attrs).toEqual({ "a.b": '{"c":{"d":1}}' });
  });

  it("cuts very long keys", () => {
    const event = keep(createTransformer({ limits: { max_key_length: 16 } }), { ["k".repeat(1000)]: 1 });
    expect(event.attrs).toEqual({ ["k".repeat(16)]: "1" });
  });
});

describe("hostile input", () => {
  const transform = createTransformer({});

  it("survives nesting far deeper than the stack", () => {
    const depth = 100_000;
    const line = `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
    const event = keep(transform, { log: line });
    expect(Object.keys(event.attrs!)).toEqual(["a.a.a.a.a.a.a.a"]);
  });

  it("survives deeply nested arrays", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(keep(transform, { deep }).attrs!.deep).toMatch(/^\[\[\[/);
  });

  it("keeps prototype-pollution keys as plain data", () => {
    const record = JSON.parse(
      '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":"x"},"toString":"t"}',
    );
    const event = keep(transform, record);
    expect(event.attrs).toEqual({ "__proto__.polluted": "yes", "constructor.prototype": "x", toString: "t" });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("keeps a __proto__ attribute as an own key", () => {
    const event = keep(transform, JSON.parse('{"__proto__":"p"}'));
    expect(Object.keys(event.attrs!)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(event.attrs)).toBe(Object.prototype);
    expect(JSON.stringify(event.attrs)).toBe('{"__proto__":"p"}');
  });

  it("repairs lone surrogates everywhere", () => {
    const bad = "x\ud800y";
    const event = keep(transform, { message: bad, service: bad, [bad]: bad, trace_id: bad });
    expect(event.message).toBe("x\ufffdy");
    expect(event.service).toBe("x\ufffdy");
    expect(event.trace_id).toBe("x\ufffdy");
    expect(event.attrs).toEqual({ "x\ufffdy": "x\ufffdy" });
  });

  it.each([
    ["null", null],
    ["a string", "just text"],
    ["a number", 5],
    ["an array", [1, 2]],
    ["bytes", Buffer.from("raw")],
  ])("makes an event of a record that is %s", (_name, record) => {
    expect(() => keep(transform, record)).not.toThrow();
  });

  it("handles a cyclic record", () => {
    const record: Record<string, unknown> = { message: "x" };
    record.self = record;
    expect(keep(transform, record).message).toBe("x");
  });

  it("handles an empty key", () => {
    expect(keep(transform, { "": { "": 1 } }).attrs).toEqual({ "_._": "1" });
  });

  it("ignores functions and symbols", () => {
    expect(keep(transform, { f: () => 1, s: Symbol("x"), message: "m" }).attrs).toBeUndefined();
  });
});

describe("CloudWatch Logs input", () => {
  it("derives the tag from the log group's last segment", () => {
    expect(tagFromLogGroup("/aws/lambda/checkout-api")).toBe("checkout-api");
    expect(tagFromLogGroup("/ecs/checkout.web/")).toBe("checkout.web");
    expect(tagFromLogGroup("")).toBe("");
  });

  it("builds an input whose forwarder-stamped id wins over the CloudWatch id", () => {
    const { input, context } = fromCloudWatchLogEvent(
      { id: "3659...cw", timestamp: T0, message: '{"id":"01FWD","level":"warn","msg":"slow"}' },
      { logGroup: "/aws/lambda/checkout-api", logStream: "2025/12/05/[$LATEST]abc", receivedAt: T0 + 10 },
    );
    const result = createTransformer({})(input, context);
    if (!result.ok) throw new Error(result.reason);
    expect(result.event).toEqual({
      id: "01FWD",
      "@timestamp": "2025-12-05T18:00:00.000Z",
      service: "checkout-api",
      level: "warn",
      message: "slow",
      source: "cloudwatch",
      log_group: "/aws/lambda/checkout-api",
      log_stream: "2025/12/05/[$LATEST]abc",
      ingest_time: "2025-12-05T18:00:00.010Z",
    });
  });

  it("keeps a plain-text CloudWatch message with the CloudWatch id", () => {
    const { input, context } = fromCloudWatchLogEvent(
      { id: "3659...cw", timestamp: T0, message: "START RequestId: 8f5 Version: $LATEST\n" },
      { logGroup: "/aws/lambda/fn", logStream: "s", receivedAt: T0 },
    );
    const result = createTransformer({})(input, context);
    expect(result.ok && result.event).toMatchObject({
      id: "3659...cw",
      message: "START RequestId: 8f5 Version: $LATEST",
    });
  });
});

describe("transformBatch", () => {
  it("returns kept events in order and every drop with its position", () => {
    const transform = createTransformer({ drop_levels: ["debug"] });
    const inputs: IncomingRecord[] = [
      incoming({ message: "a" }, { id: "1" }),
      incoming({ message: "b", level: "debug" }, { id: "2" }),
      incoming({ message: "c" }, { id: "3" }),
    ];
    const { events, drops } = transformBatch(transform, inputs);
    expect(events.map((e) => e.message)).toEqual(["a", "c"]);
    expect(drops).toEqual([
      {
        index: 1,
        id: "2",
        code: "dropped_level",
        reason: "level debug is in drop_levels",
        intentional: true,
      },
    ]);
  });
});

describe("transformRecord", () => {
  it("is usable without the factory and without metrics", () => {
    const compiled = compileTransforms(TransformsConfigSchema.parse({}));
    const result = transformRecord(compiled, incoming({ message: "x" }));
    expect(result.ok && LogEventSchema.safeParse(result.event).success).toBe(true);
  });
});

describe("line endings", () => {
  const transform = createTransformer({});

  it.each([
    ["a Docker line's newline", "order placed\n", "order placed"],
    ["a CRLF ending", "order placed\r\n", "order placed"],
    ["blank lines after the text", "order placed\n\n\r\n", "order placed"],
    ["newlines inside the text", "first\nsecond\n", "first\nsecond"],
  ])("drops %s from the message", (_name, message, expected) => {
    expect(keep(transform, { message }).message).toBe(expected);
  });

  it("gives the same message when the event is transformed again from its JSON", () => {
    const first = keep(transform, { message: "tail\n\n" });
    const again = keep(transform, { message: JSON.stringify(first) });
    expect(again.message).toBe(first.message);
  });
});
