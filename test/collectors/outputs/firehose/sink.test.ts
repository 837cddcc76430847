import { afterEach, describe, expect, it } from "vitest";
import {
  type FirehoseOutputConfig,
  FirehoseOutputConfigSchema,
} from "../../../../collectors/outputs/firehose/config.js";
import {
  createFirehoseOutput,
  type FirehoseSink,
  type Logger,
} from "../../../../collectors/outputs/firehose/sink.js";
import type { LogEvent } from "../../../../core/event/schema.js";
import { MetricsRegistry } from "../../../../core/metrics.js";
import type { ItemOutcome } from "../../../../core/stage.js";
import { FakeFirehose, MAX_RECORDS, MAX_REQUEST_BYTES, splitLines } from "../../../support/fake-firehose.js";
import { instantClock, makeEvent, makeEvents, sdkClient } from "./helpers.js";

const M = "logpipe_firehose";
const OUT = 'output="firehose"';

interface Setup {
  fake: FakeFirehose;
  sink: FirehoseSink;
  metrics: MetricsRegistry;
  clock: ReturnType<typeof instantClock>;
  logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }>;
  metric(name: string): number;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function setup(overrides: Record<string, unknown> = {}): Promise<Setup> {
  const fake = await FakeFirehose.start();
  const client = sdkClient(fake);
  cleanups.push(async () => {
    client.destroy();
    await fake.close();
  });
  const config: FirehoseOutputConfig = FirehoseOutputConfigSchema.parse({
    delivery_stream: "logs",
    region: "us-east-1",
    ...overrides,
  });
  const metrics = new MetricsRegistry();
  const clock = instantClock();
  const logs: Setup["logs"] = [];
  const log: Logger = (level, message, fields) =>
    logs.push({ level, message, ...(fields ? { fields } : {}) });
  const sink = createFirehoseOutput(config, { client, metrics, log, clock, random: () => 0.5 });
  return { fake, sink, metrics, clock, logs, metric: (name) => metrics.snapshot()[name] ?? 0 };
}

const accepted: ItemOutcome = { status: "accepted" };
const ids = (events: LogEvent[]) => events.map((e) => e.id);
const sorted = (values: string[]) => [...values].sort();
/** Matches a record carrying the event with this id. */
const carrying = (id: string) => (data: Buffer) => data.includes(`"id":"${id}"`);
/** Records small enough that a handful of test events spread over several of them. */
const SMALL_RECORDS = { max_record_bytes: 400, max_batch_bytes: 4_000 };

describe("Firehose output: sending", () => {
  it("packs events as newline-delimited JSON into one record and accepts them all", async () => {
    const { fake, sink } = await setup();
    const events = makeEvents(5);
    expect(await sink.write(events)).toEqual(events.map(() => accepted));
    expect(fake.callsOf("PutRecordBatch")).toHaveLength(1);
    expect(fake.records()).toHaveLength(1);
    expect(fake.records()[0]!.toString("utf8")).toBe(events.map((e) => `${JSON.stringify(e)}\n`).join(""));
  });

  it("answers an empty batch with no outcomes and no calls", async () => {
    const { fake, sink } = await setup();
    expect(await sink.write([])).toEqual([]);
    expect(fake.calls).toEqual([]);
  });

  it("sends one record per event when one_event_per_record is set", async () => {
    const { fake, sink } = await setup({ one_event_per_record: true });
    const events = makeEvents(3);
    await sink.write(events);
    expect(fake.records().map((r) => splitLines(r).length)).toEqual([1, 1, 1]);
    expect(fake.eventIds()).toEqual(ids(events));
  });

  it("splits a large write into calls the service accepts: at most 500 records and 4 MiB each", async () => {
    const { fake, sink } = await setup({ one_event_per_record: true });
    const events = [...makeEvents(1_100), ...makeEvents(4, { message: "z".repeat(900_000) })];
    const outcomes = await sink.write(events);
    expect(outcomes.every((o) => o.status === "accepted")).toBe(true);
    const calls = fake.callsOf("PutRecordBatch");
    // Calls run concurrently, so records may arrive out of order; each must arrive once.
    expect(calls.length).toBeGreaterThanOrEqual(3);
    for (const call of calls) {
      expect(call.status).toBe(200);
      expect(call.records.length).toBeLessThanOrEqual(MAX_RECORDS);
      expect(call.bytes).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    }
    expect(sorted(fake.eventIds())).toEqual(sorted(ids(events)));
  });

  it("packs megabytes of events into full records within every service limit", async () => {
    const { fake, sink } = await setup();
    const events = makeEvents(1_200, { message: "m".repeat(2_000) });
    await sink.write(events);
    const calls = fake.callsOf("PutRecordBatch");
    expect(calls.every((c) => c.status === 200 && c.bytes <= MAX_REQUEST_BYTES)).toBe(true);
    const records = fake.records();
    const line = Buffer.byteLength(JSON.stringify(events[0])) + 1;
    const perRecord = Math.floor(1_024_000 / line);
    expect(records.length).toBe(Math.ceil(events.length / perRecord));
    // Every record but the last one packed is full: the next event would not have fitted.
    expect(records.filter((r) => r.length <= 1_024_000 - line)).toHaveLength(1);
    expect(fake.eventIds()).toEqual(ids(events));
  });

  it("truncates an event too large for one record and delivers it with a marker", async () => {
    const { fake, sink, metric } = await setup();
    const event = makeEvent({ message: "x".repeat(1_100_000) });
    expect(await sink.write([event])).toEqual([accepted]);
    const [stored] = fake.events();
    expect(stored).toMatchObject({ id: event.id });
    expect(String(stored!.message)).toMatch(/…\[truncated \d+ bytes\]$/);
    expect(metric(`${M}_truncated_total{${OUT},part="message"}`)).toBe(1);
  });

  it("rejects an event that cannot fit any record as too_large and delivers the rest", async () => {
    const { fake, sink } = await setup({ max_record_bytes: 512, max_batch_bytes: 4_096 });
    const huge = makeEvent({ log_group: "g".repeat(512) });
    const fine = makeEvent();
    const [first, second] = await sink.write([huge, fine]);
    expect(first).toMatchObject({ status: "rejected", code: "too_large" });
    expect(second).toEqual(accepted);
    expect(fake.eventIds()).toEqual([fine.id]);
  });

  it("counts events, records, records per call and bytes per record", async () => {
    const { sink, metric } = await setup(SMALL_RECORDS);
    const events = makeEvents(6);
    await sink.write(events);
    const records = metric(`${M}_record_bytes_count{${OUT}}`);
    expect(records).toBeGreaterThan(1);
    expect(metric(`${M}_records_sent_total{${OUT}}`)).toBe(records);
    expect(metric(`${M}_events_sent_total{${OUT}}`)).toBe(6);
    expect(metric(`${M}_records_per_call_count{${OUT}}`)).toBe(1);
    expect(metric(`${M}_records_per_call_sum{${OUT}}`)).toBe(records);
    expect(metric(`${M}_record_bytes_sum{${OUT}}`)).toBe(
      events.reduce((sum, e) => sum + Buffer.byteLength(JSON.stringify(e)) + 1, 0),
    );
    expect(metric(`${M}_api_calls_total{outcome="ok",${OUT}}`)).toBe(1);
  });
});

describe("Firehose output: partial failures", () => {
  it("resends only the failed records, so every event arrives exactly once", async () => {
    const { fake, sink } = await setup(SMALL_RECORDS);
    const events = makeEvents(9);
    fake.failRecords([1]);
    expect(await sink.write(events)).toEqual(events.map(() => accepted));
    const [first, second] = fake.callsOf("PutRecordBatch");
    expect(first!.records.length).toBeGreaterThan(2);
    expect(second!.records).toEqual([first!.records[1]]);
    expect(sorted(fake.eventIds())).toEqual(sorted(ids(events)));
  });

  it("keeps resending until the failed records are stored, never the accepted ones", async () => {
    const { fake, sink } = await setup(SMALL_RECORDS);
    const events = makeEvents(9);
    fake.failRecords([0, 2], { code: "InternalFailure" });
    fake.failRecords([1], { code: "ServiceUnavailableException" });
    expect(await sink.write(events)).toEqual(events.map(() => accepted));
    expect(
      fake
        .callsOf("PutRecordBatch")
        .map((c) => c.records.length)
        .slice(1),
    ).toEqual([2, 1]);
    expect(sorted(fake.eventIds())).toEqual(sorted(ids(events)));
  });

  it("counts failed records by error code and backs off as throttled for ServiceUnavailableException", async () => {
    const { fake, sink, metric, clock } = await setup(SMALL_RECORDS);
    fake.failRecords([0], { code: "ServiceUnavailableException" });
    fake.failRecords([0], { code: "InternalFailure" });
    await sink.write(makeEvents(6));
    expect(metric(`${M}_record_failures_total{code="ServiceUnavailableException",${OUT}}`)).toBe(1);
    expect(metric(`${M}_record_failures_total{code="InternalFailure",${OUT}}`)).toBe(1);
    expect(metric(`${M}_retries_total{kind="throttled",${OUT}}`)).toBe(1);
    expect(metric(`${M}_retries_total{kind="retryable",${OUT}}`)).toBe(1);
    expect(metric(`${M}_throttles_total{${OUT}}`)).toBe(1);
    // A throttled retry waits at least the retry helper's one-second floor.
    expect(clock.slept[0]).toBeGreaterThanOrEqual(1_000);
  });

  it("rejects the events of a record refused for good and delivers the other records", async () => {
    const { fake, sink } = await setup(SMALL_RECORDS);
    const events = makeEvents(6);
    fake.failRecords(carrying(events[0]!.id), { code: "InvalidArgumentException", message: "bad record" });
    const outcomes = await sink.write(events);
    expect(outcomes[0]).toMatchObject({ status: "rejected", code: "invalid_argument" });
    expect((outcomes[0] as { reason: string }).reason).toContain("bad record");
    expect(outcomes.at(-1)).toEqual(accepted);
    expect(fake.callsOf("PutRecordBatch")).toHaveLength(1);
    expect(fake.eventIds()).not.toContain(events[0]!.id);
  });

  it("after the retry budget, answers retryable only the events of records that still failed", async () => {
    const { fake, sink } = await setup({
      ...SMALL_RECORDS,
      retry: { max_elapsed_ms: 5_000, max_attempts: 100, initial_delay_ms: 100, max_delay_ms: 2_000 },
    });
    const events = makeEvents(9);
    const failing = events[4]!.id;
    fake.failRecords(carrying(failing), {}, 1_000);
    const outcomes = await sink.write(events);
    const failedRecord = fake.callsOf("PutRecordBatch")[0]!.records.find(carrying(failing))!;
    const inFailed = new Set(splitLines(failedRecord).map((l) => String(JSON.parse(l).id)));
    expect(inFailed.size).toBeGreaterThan(0);
    events.forEach((event, i) => {
      if (inFailed.has(event.id)) {
        expect(outcomes[i]).toMatchObject({ status: "retryable", throttled: true });
        expect((outcomes[i] as { reason: string }).reason).toMatch(
          /ServiceUnavailableException.*gave up after/,
        );
      } else {
        expect(outcomes[i]).toEqual(accepted);
      }
    });
    expect(sorted(fake.eventIds())).toEqual(sorted(ids(events).filter((id) => !inFailed.has(id))));
  });

  it("without throttling, answers budget-exhausted records retryable without the throttled flag", async () => {
    const { fake, sink } = await setup({ retry: { max_attempts: 3 } });
    fake.failRecords([0], { code: "InternalFailure" }, 10);
    const [outcome] = await sink.write([makeEvent()]);
    expect(outcome).toMatchObject({ status: "retryable" });
    expect(outcome).not.toHaveProperty("throttled");
    expect(fake.callsOf("PutRecordBatch")).toHaveLength(3);
  });

  it("resends every record when the response does not say which failed", async () => {
    const { fake, sink } = await setup();
    fake.respondNext({ FailedPutCount: 1, Encrypted: false, RequestResponses: [] });
    const events = makeEvents(3);
    expect(await sink.write(events)).toEqual(events.map(() => accepted));
    expect(fake.eventIds()).toEqual(ids(events));
  });

  it("retries a call whose response body is not JSON", async () => {
    const { fake, sink } = await setup();
    fake.respondNext("{ truncated");
    const events = makeEvents(2);
    expect(await sink.write(events)).toEqual(events.map(() => accepted));
    expect(fake.callsOf("PutRecordBatch")).toHaveLength(2);
    expect(fake.eventIds()).toEqual(ids(events));
  });

  it("keeps hostile per-record error codes out of metric labels", async () => {
    const { fake, sink, metric } = await setup();
    fake.failRecords([0], { code: `Evil"}\n${"x".repeat(500)}` });
    expect(await sink.write([makeEvent()])).toEqual([accepted]);
    expect(metric(`${M}_record_failures_total{code="other",${OUT}}`)).toBe(1);
  });

  it("trusts FailedPutCount 0 when the per-record list is missing", async () => {
    const { fake, sink } = await setup();
    fake.respondNext({ FailedPutCount: 0, Encrypted: false });
    expect(await sink.write([makeEvent()])).toEqual([accepted]);
    expect(fake.callsOf("PutRecordBatch")).toHaveLength(1);
  });
});

describe("Firehose output: whole-call failures", () => {
  it.each(["ServiceUnavailableException", "ThrottlingException", "LimitExceededException"] as const)(
    "retries a call throttled with %s and delivers every event once",
    async (type) => {
      const { fake, sink, metric } = await setup();
      fake.throttleNext(2, type);
      const events = makeEvents(4);
      expect(await sink.write(events)).toEqual(events.map(() => accepted));
      expect(fake.callsOf("PutRecordBatch")).toHaveLength(3);
      expect(fake.eventIds()).toEqual(ids(events));
      expect(metric(`${M}_throttles_total{${OUT}}`)).toBe(2);
    },
  );

  it("retries a bare 5xx", async () => {
    const { fake, sink, metric } = await setup();
    fake.failNext(1, 502);
    const events = makeEvents(2);
    expect(await sink.write(events)).toEqual(events.map(() => accepted));
    expect(fake.eventIds()).toEqual(ids(events));
    expect(metric(`${M}_retries_total{kind="retryable",${OUT}}`)).toBe(1);
  });

  it("retries a connection dropped mid-request", async () => {
    const { fake, sink } = await setup();
    fake.dropNext(1, "before");
    const events = makeEvents(2);
    expect(await sink.write(events)).toEqual(events.map(() => accepted));
    expect(fake.eventIds()).toEqual(ids(events));
  });

  it("delivers at least once when the connection drops after the records were stored", async () => {
    const { fake, sink } = await setup();
    fake.dropNext(1, "after");
    const events = makeEvents(2);
    expect(await sink.write(events)).toEqual(events.map(() => accepted));
    expect(fake.eventIds()).toEqual([...ids(events), ...ids(events)]);
  });

  it("rejects every event with the reason when the stream does not exist, without retrying", async () => {
    const { fake, sink, metric, logs } = await setup({ delivery_stream: "missing" });
    const outcomes = await sink.write(makeEvents(2));
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: "rejected", code: "resource_not_found" });
      expect((outcome as { reason: string }).reason).toContain("Firehose missing under account");
    }
    expect(fake.callsOf("PutRecordBatch")).toHaveLength(1);
    expect(metric(`${M}_rejected_total{code="resource_not_found",${OUT}}`)).toBe(2);
    expect(logs).toEqual([
      expect.objectContaining({
        level: "warn",
        fields: expect.objectContaining({ stage: "sending", code: "resource_not_found", events: 2 }),
      }),
    ]);
  });

  it.each([
    ["AccessDeniedException", "access_denied"],
    ["InvalidKMSResourceException", "invalid_kms_resource"],
    ["InvalidArgumentException", "invalid_argument"],
  ])("rejects the events of a call refused with %s", async (type, code) => {
    const { fake, sink } = await setup();
    fake.errorNext(1, type, "refused");
    const [outcome] = await sink.write([makeEvent()]);
    expect(outcome).toEqual({ status: "rejected", code, reason: `${type}: refused` });
  });

  it("rejects only the records still pending when a permanent error follows a partial failure", async () => {
    const { fake, sink } = await setup(SMALL_RECORDS);
    const events = makeEvents(6);
    fake.failRecords(carrying(events[0]!.id));
    fake.errorNext(1, "AccessDeniedException", "revoked");
    const outcomes = await sink.write(events);
    expect(outcomes[0]).toMatchObject({ status: "rejected", code: "access_denied" });
    expect(outcomes.at(-1)).toEqual(accepted);
  });

  it("answers every event retryable when the budget runs out on server errors", async () => {
    const { fake, sink, metric } = await setup({ retry: { max_attempts: 2 } });
    fake.failNext(5, 500);
    const outcomes = await sink.write(makeEvents(3));
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: "retryable" });
      expect(outcome).not.toHaveProperty("throttled");
    }
    expect(metric(`${M}_retryable_total{${OUT}}`)).toBe(3);
  });

  it("answers throttled events retryable with the throttled flag when throttling outlasts the budget", async () => {
    const { fake, sink } = await setup({ retry: { max_attempts: 2 } });
    fake.throttleNext(5);
    const [outcome] = await sink.write([makeEvent()]);
    expect(outcome).toMatchObject({ status: "retryable", throttled: true });
  });
});

describe("Firehose output: concurrency", () => {
  it("keeps at most max_concurrency calls in flight", async () => {
    const { fake, sink } = await setup({
      one_event_per_record: true,
      max_batch_records: 1,
      max_concurrency: 3,
    });
    const gate = fake.hold();
    const writing = sink.write(makeEvents(8));
    await expect.poll(() => fake.inFlight, { timeout: 10_000 }).toBe(3);
    gate.release();
    expect((await writing).every((o) => o.status === "accepted")).toBe(true);
    expect(fake.maxInFlight).toBe(3);
    expect(fake.callsOf("PutRecordBatch")).toHaveLength(8);
  });

  it("halves the limit when Firehose throttles and grows it back slowly on success", async () => {
    const { fake, sink, metric } = await setup({ max_concurrency: 8 });
    expect(sink.concurrencyLimit).toBe(8);
    fake.throttleNext(1);
    await sink.write([makeEvent()]);
    expect(sink.concurrencyLimit).toBe(4);
    expect(metric(`${M}_concurrency{${OUT}}`)).toBe(4);
    // The retry that followed succeeded: one success out of a window of four.
    for (let i = 0; i < 3; i++) await sink.write([makeEvent()]);
    expect(sink.concurrencyLimit).toBe(5);
  });

  it("treats throttled records of a successful call as a throttling signal", async () => {
    const { fake, sink } = await setup({ max_concurrency: 4 });
    fake.failRecords([0]);
    await sink.write([makeEvent()]);
    expect(sink.concurrencyLimit).toBe(2);
  });

  it("never cuts the limit below min_concurrency", async () => {
    const { fake, sink } = await setup({
      min_concurrency: 2,
      max_concurrency: 4,
      retry: { max_attempts: 5 },
    });
    fake.throttleNext(4);
    await sink.write([makeEvent()]);
    expect(sink.concurrencyLimit).toBe(2);
  });
});

describe("Firehose output: lifecycle", () => {
  it("shuts down without start, twice, and then answers writes retryable", async () => {
    const { fake, sink } = await setup();
    await sink.shutdown();
    await sink.shutdown();
    const [outcome] = await sink.write([makeEvent()]);
    expect(outcome).toMatchObject({ status: "retryable" });
    expect(fake.calls).toEqual([]);
  });

  it("waits for writes in flight when shutting down", async () => {
    const { fake, sink } = await setup();
    await sink.start();
    const gate = fake.hold();
    const writing = sink.write([makeEvent()]);
    await expect.poll(() => fake.inFlight, { timeout: 10_000 }).toBe(1);
    let done = false;
    const stopping = sink.shutdown().then(() => {
      done = true;
    });
    // The gate holds the call, so however long this takes, shutdown cannot have finished.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    gate.release();
    await stopping;
    expect(await writing).toEqual([accepted]);
  });

  it("answers pending events retryable when the caller aborts", async () => {
    const { fake, sink } = await setup();
    const gate = fake.hold();
    const abort = new AbortController();
    const writing = sink.write(makeEvents(2), abort.signal);
    await expect.poll(() => fake.inFlight, { timeout: 10_000 }).toBe(1);
    abort.abort(new Error("stop"));
    const outcomes = await writing;
    gate.release();
    expect(outcomes).toEqual([
      { status: "retryable", reason: "delivery was cancelled" },
      { status: "retryable", reason: "delivery was cancelled" },
    ]);
  });
});
