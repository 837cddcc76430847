import { describe, expect, it } from "vitest";
import { type LogEvent, LogEventSchema } from "../../../core/event/schema.js";
import { MetricsRegistry } from "../../../core/metrics.js";
import {
  createSubscriptionProcessor,
  DeadLetterFailedError,
  SubscriptionDecodeError,
  type SubscriptionProcessorDeps,
  SubscriptionRetryError,
} from "../../../processors/handlers/index.js";
import { createTransformer } from "../../../processors/transforms/index.js";
import { encodeSubscription, readFixture } from "../../fixtures/aws/encode.js";
import { MemoryDeadLetters, type Script, ScriptedSink, T0, VirtualClock } from "./support.js";

const DATA = readFixture<{ logEvents: { id: string; message: string }[] }>(
  "cloudwatch-data-message.decoded.json",
);
const FORWARDER_ID = "01KBQ0M5T8F4ZK2Y7W1N9C3D6E";
const START_ID = DATA.logEvents[0]!.id;
const PAYMENTS_ID = DATA.logEvents[2]!.id;
const INVOCATION = { remainingMs: 60_000, requestId: "req-1" };

function setup(overrides: Partial<SubscriptionProcessorDeps> & { scripts?: Record<string, Script> } = {}) {
  const clock = new VirtualClock();
  const deadLetter = new MemoryDeadLetters();
  const sinks = Object.entries(
    overrides.scripts ?? { opensearch: () => ({ status: "accepted" as const }) },
  ).map(([name, script]) => new ScriptedSink(name, script));
  const processor = createSubscriptionProcessor({
    transform: createTransformer({}),
    sinks,
    deadLetter,
    clock,
    random: () => 0.5,
    ...overrides,
  });
  return { processor, sinks, deadLetter, clock };
}

function message(logEvents: unknown[], logGroup = "/logpipe/checkout") {
  return {
    messageType: "DATA_MESSAGE",
    owner: "123456789012",
    logGroup,
    logStream: "i-0abc/app",
    subscriptionFilters: ["logpipe"],
    logEvents,
  };
}

function logEvent(id: string, message: string, timestamp = T0) {
  return { id, timestamp, message };
}

function storedBy(sink: ScriptedSink, id: string): LogEvent {
  const event = sink.stored.get(id);
  if (!event) throw new Error(`no event ${id} in ${sink.name}; has ${[...sink.stored.keys()].join(", ")}`);
  return event;
}

describe("decoding before writing", () => {
  it("throws a decode error and calls no sink when the payload is not base64", async () => {
    const { processor, sinks, deadLetter } = setup();
    await expect(
      processor.process(readFixture("cloudwatch-malformed-base64.json"), INVOCATION),
    ).rejects.toThrow(SubscriptionDecodeError);
    expect(sinks[0]!.writes).toEqual([]);
    expect(deadLetter.calls).toBe(0);
  });

  it("throws a decode error and calls no sink when the gzip stream is truncated", async () => {
    const { processor, sinks } = setup();
    const error = await processor
      .process(readFixture("cloudwatch-truncated-gzip.json"), INVOCATION)
      .catch((e) => e);
    expect(error).toBeInstanceOf(SubscriptionDecodeError);
    expect((error as SubscriptionDecodeError).code).toBe("decode_gzip");
    expect(sinks[0]!.writes).toEqual([]);
  });
});

describe("message types", () => {
  it("skips a control message and counts it", async () => {
    const metrics = new MetricsRegistry();
    const { processor, sinks, deadLetter } = setup({ metrics });
    const summary = await processor.process(readFixture("cloudwatch-control-message.json"), INVOCATION);
    expect(summary).toMatchObject({ messageType: "CONTROL_MESSAGE", events: 0, kept: 0 });
    expect(sinks[0]!.writes).toEqual([]);
    expect(deadLetter.calls).toBe(0);
    expect(metrics.counter("logpipe_subscription_messages_total", "").get({ type: "CONTROL_MESSAGE" })).toBe(
      1,
    );
  });

  it("sends every event of a data message to the sink as valid LogEvents", async () => {
    const { processor, sinks } = setup();
    const summary = await processor.process(readFixture("cloudwatch-data-message.json"), INVOCATION);
    expect(summary).toMatchObject({
      events: 4,
      kept: 4,
      sinks: { opensearch: { accepted: 4, leftover: 0 } },
    });
    for (const event of sinks[0]!.stored.values()) expect(() => LogEventSchema.parse(event)).not.toThrow();
  });
});

describe("event fields", () => {
  it("keeps the id the forwarder carried in the message over the CloudWatch id", async () => {
    const { processor, sinks } = setup();
    await processor.process(readFixture("cloudwatch-data-message.json"), INVOCATION);
    expect(storedBy(sinks[0]!, FORWARDER_ID).message).toBe("order placed");
    expect(sinks[0]!.stored.has(DATA.logEvents[1]!.id)).toBe(false);
  });

  it("falls back to the CloudWatch event id when the message carries none", async () => {
    const { processor, sinks } = setup();
    await processor.process(readFixture("cloudwatch-data-message.json"), INVOCATION);
    expect(storedBy(sinks[0]!, START_ID).message).toMatch(/^START RequestId/);
  });

  it("takes the service from a Lambda log group when the event names none", async () => {
    const { processor, sinks } = setup();
    await processor.process(readFixture("cloudwatch-data-message.json"), INVOCATION);
    expect(storedBy(sinks[0]!, START_ID).service).toBe("checkout-api");
  });

  it("keeps the service the event names over the log group", async () => {
    const { processor, sinks } = setup();
    await processor.process(readFixture("cloudwatch-data-message.json"), INVOCATION);
    expect(storedBy(sinks[0]!, PAYMENTS_ID).service).toBe("payments");
  });

  it.each([
    ["/logpipe/checkout", "checkout"],
    ["/aws/lambda/fn-name", "fn-name"],
    ["/ecs/inventory", "inventory"],
  ])("names the service of %s %s", async (logGroup, service) => {
    const { processor, sinks } = setup();
    await processor.process(encodeSubscription(message([logEvent("1", "plain text")], logGroup)), INVOCATION);
    expect(storedBy(sinks[0]!, "1").service).toBe(service);
  });

  it("takes the service from the configured log group pattern", async () => {
    const { processor, sinks } = setup({ serviceFromLogGroup: /^\/teams\/[^/]+\/(?<service>[^/]+)\/app$/ });
    await processor.process(
      encodeSubscription(message([logEvent("1", "x")], "/teams/shop/cart/app")),
      INVOCATION,
    );
    expect(storedBy(sinks[0]!, "1").service).toBe("cart");
  });

  it("sets log_group, log_stream and source cloudwatch", async () => {
    const { processor, sinks } = setup();
    await processor.process(readFixture("cloudwatch-data-message.json"), INVOCATION);
    expect(storedBy(sinks[0]!, START_ID)).toMatchObject({
      source: "cloudwatch",
      log_group: "/aws/lambda/checkout-api",
      log_stream: "2025/12/05/[$LATEST]6f1c9b0e2a7d4c3b8e5f1a2b3c4d5e6f",
    });
  });

  it("merges extractedFields into the event's fields", async () => {
    const { processor, sinks } = setup();
    await processor.process(readFixture("cloudwatch-extracted-fields.json"), INVOCATION);
    const event = [...sinks[0]!.stored.values()][0]!;
    expect(event.http).toMatchObject({ status: 200, client_ip: "203.0.113.9" });
    expect(event.attrs).toMatchObject({ user: "frank", bytes: "1534" });
    expect(event.service).toBe("storefront");
  });

  it("does not let an extracted id replace the id inside the message", async () => {
    const { processor, sinks } = setup();
    const withId = {
      ...logEvent("cw-1", JSON.stringify({ id: "fwd-1", message: "hi" })),
      extractedFields: { id: "extracted-1" },
    };
    await processor.process(encodeSubscription(message([withId])), INVOCATION);
    expect(storedBy(sinks[0]!, "fwd-1").attrs).toMatchObject({ extracted_id: "extracted-1" });
  });

  it("stamps LOGPIPE_ENV-style defaults from the transform config", async () => {
    const { processor, sinks } = setup({ transform: createTransformer({ defaults: { env: "staging" } }) });
    await processor.process(encodeSubscription(message([logEvent("1", "x")])), INVOCATION);
    expect(storedBy(sinks[0]!, "1").env).toBe("staging");
  });
});

describe("drops", () => {
  it("dead-letters a malformed log event with its reason and delivers the rest", async () => {
    const { processor, sinks, deadLetter } = setup();
    const summary = await processor.process(
      encodeSubscription(message([logEvent("1", "fine"), { id: "2", timestamp: "noon", message: "bad" }])),
      INVOCATION,
    );
    expect(summary).toMatchObject({ kept: 1, invalid: 1 });
    expect([...sinks[0]!.stored.keys()]).toEqual(["1"]);
    expect(deadLetter.byOutput("transform")).toEqual([
      expect.objectContaining({ code: "invalid_log_event", reason: expect.stringContaining("timestamp") }),
    ]);
  });

  it("counts intentional drops without dead-lettering them", async () => {
    const { processor, sinks, deadLetter } = setup({
      transform: createTransformer({ drop_levels: ["debug"] }),
    });
    const summary = await processor.process(
      encodeSubscription(
        message([logEvent("1", JSON.stringify({ level: "debug", message: "noise" })), logEvent("2", "kept")]),
      ),
      INVOCATION,
    );
    expect(summary.droppedIntentionally).toBe(1);
    expect([...sinks[0]!.stored.keys()]).toEqual(["2"]);
    expect(deadLetter.entries).toEqual([]);
  });

  it("writes dead letters with the invocation's request id", async () => {
    const { processor, deadLetter } = setup();
    await processor.process(encodeSubscription(message([{ id: "x" }])), {
      ...INVOCATION,
      requestId: "req-42",
    });
    expect(deadLetter.contexts[0]!.requestId).toBe("req-42");
  });
});

describe("fan-out and partial failures", () => {
  it("gives every sink the whole batch", async () => {
    const { processor, sinks } = setup({
      scripts: { opensearch: () => ({ status: "accepted" }), s3_lake: () => ({ status: "accepted" }) },
    });
    await processor.process(readFixture("cloudwatch-data-message.json"), INVOCATION);
    expect(sinks.map((s) => s.writes[0]!.length)).toEqual([4, 4]);
  });

  it("resends only the items a sink answered retryable", async () => {
    const flaky = new Set(["b", "d"]);
    const { processor, sinks } = setup({
      scripts: {
        opensearch: (event, attempt) =>
          flaky.has(event.id) && attempt < 3
            ? { status: "retryable", reason: "429 es_rejected_execution_exception", throttled: true }
            : { status: "accepted" },
        s3_lake: () => ({ status: "accepted" }),
      },
    });
    const events = ["a", "b", "c", "d", "e"].map((id) => logEvent(id, `event ${id}`));
    const summary = await processor.process(encodeSubscription(message(events)), INVOCATION);
    expect(sinks[0]!.writes).toEqual([
      ["a", "b", "c", "d", "e"],
      ["b", "d"],
      ["b", "d"],
    ]);
    expect(sinks[1]!.writes).toEqual([["a", "b", "c", "d", "e"]]);
    expect(summary.sinks.opensearch).toEqual({ accepted: 5, rejected: 0, leftover: 0, attempts: 3 });
  });

  it("dead-letters rejected items with the sink's code and reason, and does not resend them", async () => {
    const { processor, sinks, deadLetter } = setup({
      scripts: {
        opensearch: (event) =>
          event.id === "b"
            ? {
                status: "rejected",
                code: "mapper_parsing_exception",
                reason: "failed to parse field [http.status] of type [integer]",
              }
            : { status: "accepted" },
      },
    });
    await processor.process(
      encodeSubscription(message([logEvent("a", "one"), logEvent("b", "two")])),
      INVOCATION,
    );
    expect(sinks[0]!.writes).toEqual([["a", "b"]]);
    expect(deadLetter.entries).toEqual([
      {
        output: "opensearch",
        code: "mapper_parsing_exception",
        reason: "failed to parse field [http.status] of type [integer]",
        time: new Date(T0).toISOString(),
        event: expect.objectContaining({ id: "b", message: "two" }),
      },
    ]);
  });

  it("keeps one sink's failures from touching another sink", async () => {
    const { processor, sinks, deadLetter } = setup({
      scripts: {
        opensearch: () => ({ status: "rejected", code: "index_closed", reason: "closed" }),
        s3_lake: () => ({ status: "accepted" }),
      },
    });
    await processor.process(encodeSubscription(message([logEvent("a", "one")])), INVOCATION);
    expect(sinks[1]!.stored.has("a")).toBe(true);
    expect(deadLetter.entries.map((e) => e.output)).toEqual(["opensearch"]);
  });

  it("throws when retryable work is left at the deadline, after dead-lettering the rejected items", async () => {
    const { processor, sinks, deadLetter, clock } = setup({
      scripts: {
        opensearch: (event) => {
          if (event.id === "stuck")
            return { status: "retryable", reason: "503 unavailable_shards_exception" };
          if (event.id === "bad")
            return { status: "rejected", code: "mapper_parsing_exception", reason: "bad field" };
          return { status: "accepted" };
        },
      },
    });
    const events = [logEvent("ok", "fine"), logEvent("stuck", "waits"), logEvent("bad", "refused")];
    const error = await processor
      .process(encodeSubscription(message(events)), { remainingMs: 30_000, requestId: "r" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubscriptionRetryError);
    expect((error as SubscriptionRetryError).leftover).toEqual({ opensearch: 1 });
    expect((error as SubscriptionRetryError).message).toContain("unavailable_shards_exception");
    expect(sinks[0]!.writes.slice(1).every((ids) => ids.length === 1 && ids[0] === "stuck")).toBe(true);
    expect(deadLetter.entries.map((e) => e.event)).toEqual([expect.objectContaining({ id: "bad" })]);
    // Retries stopped before the safety margin (5 s of 30 s), leaving time to fail cleanly.
    expect(clock.now() - T0).toBeLessThanOrEqual(25_000);
  });

  it("treats a sink that throws as retryable for every item", async () => {
    let calls = 0;
    const throwing = {
      name: "broken",
      start: async () => {},
      shutdown: async () => {},
      write: async () => {
        calls++;
        throw new Error("socket hang up");
      },
    };
    const p = createSubscriptionProcessor({
      transform: createTransformer({}),
      sinks: [throwing],
      deadLetter: new MemoryDeadLetters(),
      clock: new VirtualClock(),
      random: () => 0.5,
    });
    const error = await p
      .process(encodeSubscription(message([logEvent("a", "x")])), { remainingMs: 10_000, requestId: "r" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubscriptionRetryError);
    expect((error as Error).message).toContain("socket hang up");
    expect(calls).toBeGreaterThan(1);
  });

  it("retries a dead-letter write that failed for a transient reason", async () => {
    const { processor, deadLetter } = setup({
      scripts: { opensearch: () => ({ status: "rejected", code: "x", reason: "y" }) },
    });
    deadLetter.failures = { retryable: true, times: 2 };
    await processor.process(encodeSubscription(message([logEvent("a", "x")])), INVOCATION);
    expect(deadLetter.calls).toBe(3);
    expect(deadLetter.entries).toHaveLength(1);
  });

  it("fails the invocation when dead letters cannot be stored", async () => {
    const { processor, deadLetter } = setup({
      scripts: { opensearch: () => ({ status: "rejected", code: "x", reason: "y" }) },
    });
    deadLetter.failures = { retryable: false, times: 1 };
    await expect(
      processor.process(encodeSubscription(message([logEvent("a", "x")])), INVOCATION),
    ).rejects.toBeInstanceOf(DeadLetterFailedError);
  });
});

describe("size", () => {
  it("handles a payload of about 1 MB of log lines", async () => {
    const { processor, sinks } = setup();
    const events = Array.from({ length: 4_000 }, (_, i) =>
      logEvent(
        `cw-${i}`,
        JSON.stringify({
          id: `fwd-${i}`,
          level: i % 10 === 0 ? "error" : "info",
          service: "checkout",
          message: `request ${i} served ${"x".repeat(120)}`,
          http: { method: "GET", path: `/api/items/${i}`, status: 200, latency_ms: i % 50 },
        }),
        T0 + i,
      ),
    );
    const payload = message(events);
    expect(Buffer.byteLength(JSON.stringify(payload))).toBeGreaterThan(1_000_000);
    const summary = await processor.process(encodeSubscription(payload), INVOCATION);
    expect(summary).toMatchObject({ events: 4_000, kept: 4_000 });
    expect(sinks[0]!.stored.get("fwd-3999")?.http?.path).toBe("/api/items/3999");
  });

  it("keeps an event whose message is at the 1 MB CloudWatch event cap, truncated with a marker", async () => {
    const { processor, sinks } = setup();
    const big = "y".repeat(1_048_576 - 26);
    await processor.process(encodeSubscription(message([logEvent("big", big)])), INVOCATION);
    const event = storedBy(sinks[0]!, "big");
    expect(Buffer.byteLength(event.message)).toBeLessThanOrEqual(32_768);
    expect(event.message.startsWith("yyyy")).toBe(true);
    expect(event.message.endsWith("y")).toBe(false);
  });
});
