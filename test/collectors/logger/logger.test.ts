import { describe, expect, test } from "vitest";
import { createLogger } from "../../../collectors/logger/logger.js";
import { ConfigError } from "../../../core/config/errors.js";
import type { IncomingRecord } from "../../../core/event/incoming.js";
import { eventually, startForwarder, testLogger, unusedPort } from "./harness.js";

const TIME = Date.UTC(2026, 2, 1, 12, 0, 0, 123);
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

function byMessage(records: IncomingRecord[], message: string): IncomingRecord {
  const found = records.find((r) => r.record["message"] === message);
  if (!found) throw new Error(`no record with message ${message}`);
  return found;
}

describe("createLogger: what arrives at the forwarder", () => {
  test("an event arrives with its message, fields, service, env, host, id and millisecond time", async () => {
    const fw = await startForwarder();
    const { logger } = testLogger(fw.port, {}, { now: () => TIME });

    logger.info("order placed", { order_id: 42, amount: 9.5, tags: ["a", "b"], paid: true });
    await logger.flush();

    expect(fw.target.records).toHaveLength(1);
    const stored = fw.target.records[0]!;
    expect(stored.time).toBe(TIME);
    expect(stored.tag).toBe("checkout");
    expect(stored.record).toEqual({
      id: expect.stringMatching(ULID),
      level: "info",
      message: "order placed",
      service: "checkout",
      env: "test",
      host: "web-1",
      order_id: 42,
      amount: 9.5,
      tags: ["a", "b"],
      paid: true,
    });
  });

  test("each event gets its own id, time-ordered by the event time", async () => {
    const fw = await startForwarder();
    let now = TIME;
    const { logger } = testLogger(fw.port, {}, { now: () => now++ });

    for (let i = 0; i < 5; i++) logger.info(`event ${i}`);
    await logger.flush();

    const ids = fw.target.records.map((r) => r.record["id"] as string);
    expect(new Set(ids).size).toBe(5);
    expect([...ids].sort()).toEqual(ids);
    expect(fw.target.records.map((r) => r.time)).toEqual([TIME, TIME + 1, TIME + 2, TIME + 3, TIME + 4]);
  });

  test("each level method sends its own level name", async () => {
    const fw = await startForwarder();
    const { logger } = testLogger(fw.port, { level: "trace" });

    logger.trace("t");
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    logger.error("e");
    logger.fatal("f");
    logger.log("warn", "dynamic");
    await logger.flush();

    expect(fw.target.records.map((r) => [r.record["message"], r.record["level"]])).toEqual([
      ["t", "trace"],
      ["d", "debug"],
      ["i", "info"],
      ["w", "warn"],
      ["e", "error"],
      ["f", "fatal"],
      ["dynamic", "warn"],
    ]);
  });

  test("events below the threshold are not sent, and isLevelEnabled says so", async () => {
    const fw = await startForwarder();
    const { logger } = testLogger(fw.port, { level: "warn" });

    logger.debug("too low");
    logger.info("still too low");
    logger.warn("kept");
    logger.error("kept too");
    await logger.flush();

    expect(fw.target.records.map((r) => r.record["message"])).toEqual(["kept", "kept too"]);
    expect(logger.isLevelEnabled("info")).toBe(false);
    expect(logger.isLevelEnabled("warn")).toBe(true);
    expect(logger.stats().dropped).toBe(0);
  });

  test("the threshold can be changed at run time, and silent logs nothing", async () => {
    const fw = await startForwarder();
    const { logger } = testLogger(fw.port, { level: "info" });

    logger.level = "debug";
    logger.debug("now visible");
    logger.level = "silent";
    logger.fatal("not even this");
    await logger.flush();

    expect(fw.target.records.map((r) => r.record["message"])).toEqual(["now visible"]);
    expect(logger.isLevelEnabled("fatal")).toBe(false);
  });

  test("child loggers carry their bindings, a grandchild merges both, and call fields win", async () => {
    const fw = await startForwarder();
    const { logger } = testLogger(fw.port);
    const request = logger.child({ request_id: "r-1", route: "/orders" });
    const step = request.child({ step: "charge", route: "/orders/:id" });

    request.info("from child");
    step.info("from grandchild", { step: "refund" });
    logger.info("from root");
    await logger.flush();

    const records = fw.target.records;
    expect(byMessage(records, "from child").record).toMatchObject({ request_id: "r-1", route: "/orders" });
    expect(byMessage(records, "from grandchild").record).toMatchObject({
      request_id: "r-1",
      route: "/orders/:id",
      step: "refund",
    });
    expect(byMessage(records, "from root").record).not.toHaveProperty("request_id");
  });

  test("a child can have its own threshold without changing its parent's", async () => {
    const fw = await startForwarder();
    const { logger } = testLogger(fw.port, { level: "info" });
    const verbose = logger.child({ component: "db" }, { level: "debug" });

    verbose.debug("child debug");
    logger.debug("parent debug");
    await logger.flush();

    expect(fw.target.records.map((r) => r.record["message"])).toEqual(["child debug"]);
    expect(logger.level).toBe("info");
  });

  test("an Error under err is flattened into error.type, error.message and error.stack", async () => {
    const fw = await startForwarder();
    const { logger } = testLogger(fw.port);
    const error = Object.assign(new TypeError("card declined"), { code: "E_CARD" });

    logger.error("payment failed", { err: error, order_id: 7 });
    await logger.flush();

    const record = fw.target.records[0]!.record;
    expect(record).toMatchObject({
      message: "payment failed",
      order_id: 7,
      "error.type": "TypeError",
      "error.message": "card declined",
      "error.code": "E_CARD",
    });
    expect(record["error.stack"]).toContain("TypeError: card declined");
    expect(record).not.toHaveProperty("err");
  });

  test("an Error given as the message becomes both the message and the error fields", async () => {
    const fw = await startForwarder();
    const { logger } = testLogger(fw.port);

    (logger.error as (message: unknown) => void)(new RangeError("out of stock"));
    await logger.flush();

    expect(fw.target.records[0]!.record).toMatchObject({
      message: "out of stock",
      "error.type": "RangeError",
      "error.message": "out of stock",
    });
  });

  test("fields named like the logger's own keep their value under fields.<name>", async () => {
    const fw = await startForwarder();
    const { logger } = testLogger(fw.port);

    logger.info("real message", { message: "shadow", level: "debug", id: "mine" });
    await logger.flush();

    const record = fw.target.records[0]!.record;
    expect(record).toMatchObject({
      message: "real message",
      level: "info",
      "fields.message": "shadow",
      "fields.level": "debug",
      "fields.id": "mine",
    });
    expect(record["id"]).toMatch(ULID);
  });

  test("hostile fields (a cycle, a BigInt, a throwing getter) are sent in a safe form", async () => {
    const fw = await startForwarder();
    const { logger } = testLogger(fw.port);
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic["self"] = cyclic;
    const trap = {
      get boom() {
        throw new Error("getter exploded");
      },
    };

    expect(() => logger.info("odd values", { cyclic, big: 10n ** 30n, trap })).not.toThrow();
    await logger.flush();

    expect(fw.target.records[0]!.record).toMatchObject({
      cyclic: { name: "loop", self: "[Circular]" },
      big: "1000000000000000000000000000000",
      trap: { boom: "[Throws: getter exploded]" },
    });
  });
});

describe("createLogger: bounded, non-blocking queue", () => {
  test("with the forwarder down, log() returns at once and drops what does not fit, counted", async () => {
    const port = await unusedPort();
    const { logger } = testLogger(port, { queue: { maxEvents: 100 } });

    for (let i = 0; i < 1000; i++) logger.info("while down", { i });

    // Nothing was awaited: the counts are already final for this burst.
    expect(logger.stats()).toMatchObject({ queued: 100, dropped: 900, acked: 0 });
    expect(logger.droppedCount).toBe(900);
  });

  test("the byte bound drops too, and an event larger than the whole queue is dropped as oversized", async () => {
    const port = await unusedPort();
    const { logger, diagnostics } = testLogger(port, {
      queue: { maxEvents: 1000, maxBytes: 4096 },
      limits: { maxStringLength: 100_000 },
    });

    logger.info("huge", { blob: "x".repeat(10_000) });
    for (let i = 0; i < 100; i++) logger.info("small", { pad: "y".repeat(100) });

    const stats = logger.stats();
    expect(stats.queuedBytes).toBeLessThanOrEqual(4096);
    expect(stats.queued).toBeGreaterThan(0);
    expect(stats.queued + stats.dropped).toBe(101);
    await logger.close(0);
    expect(diagnostics[0]!.fields).toMatchObject({ oversized: 1, queue_full: stats.dropped - 1 });
  });

  test("a burst of drops is reported once with its count, later drops in the interval are held for the next report", async () => {
    const port = await unusedPort();
    const { logger, diagnostics } = testLogger(port, { queue: { maxEvents: 10 }, warnIntervalMs: 60_000 });

    for (let i = 0; i < 50; i++) logger.info("burst");
    await eventually(() =>
      expect(diagnostics.filter((d) => d.message.startsWith("dropped"))).toHaveLength(1),
    );
    for (let i = 0; i < 5; i++) logger.info("more");
    expect(diagnostics.filter((d) => d.message.startsWith("dropped"))).toHaveLength(1);

    await logger.close(0);
    const drops = diagnostics.filter((d) => d.message.startsWith("dropped"));
    expect(drops.map((d) => d.fields?.["dropped"])).toEqual([40, 5]);
    expect(drops[0]!.level).toBe("warn");
    expect(drops[0]!.message).toContain("queue_full: 40");
  });

  test("the default diagnostics go to stderr", async () => {
    const port = await unusedPort();
    const logger = createLogger(
      { service: "svc", forwarder: { port }, queue: { maxEvents: 1 } },
      { trace: null },
    );
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      logger.info("kept");
      logger.info("dropped");
      await logger.close(0);
    } finally {
      process.stderr.write = original;
    }
    expect(written.some((line) => /^logpipe logger warn: dropped 1 event /.test(line))).toBe(true);
  });
});

describe("createLogger: acknowledgements, retries, flush and close", () => {
  test("flush() resolves only after the forwarder acknowledged every event", async () => {
    const fw = await startForwarder();
    fw.target.appendDelayMs = 200;
    const { logger } = testLogger(fw.port);

    for (let i = 0; i < 20; i++) logger.info("slow append", { i });
    await logger.flush();

    expect(fw.target.records).toHaveLength(20);
    expect(logger.stats()).toMatchObject({ queued: 0, inFlight: 0, acked: 20, failed: 0 });
  });

  test("events logged while the forwarder is down are delivered once it comes up", async () => {
    const port = await unusedPort();
    const { logger } = testLogger(port, { maxRetries: 1000, retry: { initialDelayMs: 20, maxDelayMs: 100 } });

    for (let i = 0; i < 5; i++) logger.info("queued while down", { i });
    await eventually(() => expect(logger.stats().retried).toBeGreaterThan(0));
    const fw = await startForwarder({ port });
    await logger.flush(30_000);

    expect(fw.target.records.map((r) => r.record["i"])).toEqual([0, 1, 2, 3, 4]);
    expect(logger.stats()).toMatchObject({ acked: 5, failed: 0, dropped: 0 });
  });

  test("a chunk whose connection broke before the ack is sent again and stored once", async () => {
    const fw = await startForwarder();
    fw.target.failNextAppend = new Error("disk full");
    const { logger } = testLogger(fw.port);

    logger.info("first try fails", { n: 1 });
    logger.info("first try fails", { n: 2 });
    await logger.flush();

    expect(fw.target.records.map((r) => r.record["n"])).toEqual([1, 2]);
    expect(logger.stats()).toMatchObject({ acked: 2, retried: 2, sent: 4, failed: 0 });
  });

  test("a resent chunk keeps its event ids, so a duplicate stored by a slow forwarder is recognisable", async () => {
    const fw = await startForwarder();
    // Appends outlast the ack timeout: each attempt is stored, late, and the client has moved on.
    fw.target.appendDelayMs = 300;
    const { logger } = testLogger(fw.port, { ackTimeoutMs: 100, maxRetries: 2 });

    logger.info("slow", { n: 1 });
    await eventually(() => expect(fw.target.records.length).toBeGreaterThanOrEqual(2));

    const ids = new Set(fw.target.records.map((r) => r.record["id"]));
    expect(ids.size).toBe(1);
  });

  test("an event never acknowledged is retried maxRetries times, then counted as failed and reported", async () => {
    const fw = await startForwarder();
    fw.target.setFull(true);
    const { logger, diagnostics } = testLogger(fw.port, { ackTimeoutMs: 150, maxRetries: 2 });

    logger.info("never acked", { n: 1 });
    logger.info("never acked", { n: 2 });
    await logger.flush();

    expect(logger.stats()).toMatchObject({ sent: 6, retried: 4, failed: 2, acked: 0, queued: 0 });
    const failure = await eventually(() => diagnostics.find((d) => d.level === "error")!.message);
    expect(failure).toMatch(/gave up on 2 events .*no ack from the forwarder within 150 ms/);
  });

  test("flush() gives up waiting after its timeout and resolves anyway", async () => {
    const port = await unusedPort();
    const { logger } = testLogger(port, { maxRetries: 1000 });

    logger.info("stuck");
    await logger.flush(100);

    expect(logger.stats()).toMatchObject({ queued: 1, acked: 0, failed: 0 });
  });

  test("close() gives up on what is still unsent, counts it as failed and drops later events", async () => {
    const port = await unusedPort();
    const { logger, diagnostics } = testLogger(port, { maxRetries: 1000 });

    for (let i = 0; i < 3; i++) logger.info("never delivered");
    await logger.close(50);
    logger.info("after close");

    expect(logger.stats()).toMatchObject({ queued: 0, failed: 3, acked: 0, dropped: 1 });
    expect(diagnostics.some((d) => d.level === "error" && d.fields?.["failed"] === 3)).toBe(true);
  });

  test("flush and close are idempotent and safe with nothing logged", async () => {
    const fw = await startForwarder();
    const { logger } = testLogger(fw.port);

    await logger.flush();
    await logger.flush();
    logger.info("one");
    const first = logger.close();
    const second = logger.close();
    expect(second).toBe(first);
    await first;
    await logger.flush();

    expect(fw.target.records).toHaveLength(1);
    expect(logger.stats()).toMatchObject({ acked: 1, failed: 0 });
  });
});

describe("createLogger: shared key and options", () => {
  test("with the forwarder's shared key the handshake succeeds and events are stored", async () => {
    const fw = await startForwarder({ shared_key: "s3cret-key", self_hostname: "forwarder-test" });
    const { logger } = testLogger(fw.port, { forwarder: { sharedKey: "s3cret-key" } });

    logger.info("authenticated");
    await logger.flush();

    expect(fw.target.records.map((r) => r.record["message"])).toEqual(["authenticated"]);
  });

  test("with a wrong shared key nothing is stored and the events fail with a handshake reason", async () => {
    const fw = await startForwarder({ shared_key: "s3cret-key", self_hostname: "forwarder-test" });
    const { logger, diagnostics } = testLogger(fw.port, {
      forwarder: { sharedKey: "wrong-key" },
      maxRetries: 1,
    });

    logger.info("rejected");
    await logger.flush();

    expect(fw.target.records).toHaveLength(0);
    expect(logger.stats()).toMatchObject({ failed: 1, acked: 0 });
    const failure = await eventually(() => diagnostics.find((d) => d.level === "error")!.message);
    expect(failure).toMatch(/shared-key handshake failed: Authentication failed/);
  });

  test("a tag prefix replaces the service name as the Fluent tag", async () => {
    const fw = await startForwarder();
    const { logger } = testLogger(fw.port, { forwarder: { tagPrefix: "app.checkout" } });

    logger.info("tagged");
    await logger.flush();

    expect(fw.target.records[0]!.tag).toBe("app.checkout");
  });

  test("invalid options fail at creation with every problem named by its path", () => {
    expect(() =>
      createLogger({ service: "", forwarder: { port: "24224" }, colour: true } as never, { trace: null }),
    ).toThrow(ConfigError);
    try {
      createLogger({ service: "", forwarder: { port: "24224" } } as never, { trace: null });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain("logger options: service:");
      expect(message).toContain('logger options: forwarder.port: expected number, got string "24224"');
    }
  });
});
