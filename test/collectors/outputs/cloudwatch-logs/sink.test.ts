import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { afterEach, describe, expect, it } from "vitest";
import {
  type CloudWatchLogsOutputConfig,
  CloudWatchLogsOutputConfigSchema,
} from "../../../../collectors/outputs/cloudwatch-logs/config.js";
import {
  type CloudWatchLogsSink,
  createCloudWatchLogsOutput,
  type Logger,
} from "../../../../collectors/outputs/cloudwatch-logs/sink.js";
import type { LogEvent } from "../../../../core/event/schema.js";
import { MetricsRegistry } from "../../../../core/metrics.js";
import type { ItemOutcome } from "../../../../core/stage.js";
import { FakeCloudWatchLogs } from "../../../support/fake-cloudwatch-logs.js";
import { at, instantClock, makeEvent, T0 } from "./helpers.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const M = "logpipe_cloudwatch_logs";
const OUT = 'output="cloudwatch_logs"';

interface Setup {
  fake: FakeCloudWatchLogs;
  sink: CloudWatchLogsSink;
  metrics: MetricsRegistry;
  clock: ReturnType<typeof instantClock>;
  logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }>;
  metric(name: string): number;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function setup(overrides: Record<string, unknown> = {}, fake?: FakeCloudWatchLogs): Promise<Setup> {
  const server = fake ?? (await FakeCloudWatchLogs.start({ now: () => T0 }));
  const client = new CloudWatchLogsClient({
    endpoint: server.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake-secret" },
    // The output's retry loop does the retrying, as in production (see client.ts).
    maxAttempts: 1,
  });
  cleanups.push(async () => {
    client.destroy();
    await server.close();
  });
  const config: CloudWatchLogsOutputConfig = CloudWatchLogsOutputConfigSchema.parse({
    region: "us-east-1",
    ...overrides,
  });
  const metrics = new MetricsRegistry();
  const clock = instantClock();
  const logs: Setup["logs"] = [];
  const log: Logger = (level, message, fields) =>
    logs.push({ level, message, ...(fields ? { fields } : {}) });
  const sink = createCloudWatchLogsOutput(config, {
    client,
    metrics,
    now: () => T0,
    log,
    clock,
    random: () => 0.5,
    hostname: "test-host",
  });
  return {
    fake: server,
    sink,
    metrics,
    clock,
    logs,
    metric: (name) => metrics.snapshot()[name] ?? 0,
  };
}

function storedIds(fake: FakeCloudWatchLogs): string[] {
  return fake.allMessages().map((m) => String(m.event.id));
}

const accepted: ItemOutcome = { status: "accepted" };

describe("CloudWatch Logs output", () => {
  it("sends each event as one log event: its JSON as message, its @timestamp as time", async () => {
    const { fake, sink } = await setup();
    const event = makeEvent({ "@timestamp": "2026-03-10T11:30:00.250Z", attrs: { "order.id": "o-1" } });
    expect(await sink.write([event])).toEqual([accepted]);
    const [stored] = fake.getLogEvents("/logpipe/checkout", "web-1");
    expect(stored).toMatchObject({
      timestamp: Date.parse("2026-03-10T11:30:00.250Z"),
      message: JSON.stringify(event),
    });
  });

  it("routes events by the group and stream templates, falling back to the hostname", async () => {
    const { fake, sink } = await setup({ log_group: "/app/{env}/{service}", log_stream: "{host}-{date}" });
    const { host: _omit, ...hostless } = makeEvent({ env: "prod", service: "billing" });
    const events = [makeEvent({ env: "prod" }), hostless];
    expect(await sink.write(events)).toEqual([accepted, accepted]);
    expect(fake.getLogEvents("/app/prod/checkout", "web-1-2026-03-10")).toHaveLength(1);
    expect(fake.getLogEvents("/app/prod/billing", "test-host-2026-03-10")).toHaveLength(1);
  });

  it("answers an empty batch with no outcomes and no calls", async () => {
    const { fake, sink } = await setup();
    expect(await sink.write([])).toEqual([]);
    expect(fake.calls).toEqual([]);
  });

  it("creates each group once with its tags and retention, and each stream once", async () => {
    const { fake, sink } = await setup({ retention_days: 30, tags: { team: "payments", env: "prod" } });
    await sink.write([makeEvent({ host: "a" }), makeEvent({ host: "b" })]);
    await sink.write([makeEvent({ host: "a" }), makeEvent({ host: "b" })]);
    expect(fake.callsOf("CreateLogGroup")).toHaveLength(1);
    expect(fake.callsOf("PutRetentionPolicy")).toHaveLength(1);
    expect(fake.callsOf("CreateLogStream")).toHaveLength(2);
    const group = fake.groups.get("/logpipe/checkout")!;
    expect(group.tags).toEqual({ team: "payments", env: "prod" });
    expect(group.retentionInDays).toBe(30);
    expect(fake.getLogEvents("/logpipe/checkout", "a")).toHaveLength(2);
  });

  it("writes into a group and stream that already exist", async () => {
    const fake = await FakeCloudWatchLogs.start({ now: () => T0 });
    fake.addLogGroup("/logpipe/checkout").streams.set("web-1", []);
    const { sink } = await setup({}, fake);
    expect(await sink.write([makeEvent()])).toEqual([accepted]);
    expect(fake.callsOf("CreateLogGroup")[0]?.errorType).toBe("ResourceAlreadyExistsException");
    expect(fake.getLogEvents("/logpipe/checkout", "web-1")).toHaveLength(1);
  });

  it("retries a throttled request and stores every event exactly once", async () => {
    const { fake, sink, clock, metric } = await setup();
    const events = Array.from({ length: 50 }, () => makeEvent());
    fake.throttleNext(3);
    const outcomes = await sink.write(events);
    expect(outcomes).toEqual(events.map(() => accepted));
    expect(storedIds(fake).sort()).toEqual(events.map((e) => e.id).sort());
    expect(metric(`${M}_throttles_total{operation="PutLogEvents",${OUT}}`)).toBe(3);
    // Throttling is backed off at least a second, and in the retry helper, not the SDK.
    expect(clock.slept).toHaveLength(3);
    for (const ms of clock.slept) expect(ms).toBeGreaterThanOrEqual(1_000);
  });

  it("hands events back retryable and throttled once the retry budget is spent, then delivers them once", async () => {
    const { fake, sink, metric } = await setup({ retry: { max_attempts: 3 } });
    const events = [makeEvent(), makeEvent()];
    fake.throttleNext(3);
    const first = await sink.write(events);
    expect(first).toEqual(
      events.map(() => expect.objectContaining({ status: "retryable", throttled: true })),
    );
    expect(fake.allMessages()).toEqual([]);
    expect(metric(`${M}_events_retryable_total{${OUT}}`)).toBe(2);
    expect(await sink.write(events)).toEqual([accepted, accepted]);
    expect(storedIds(fake).sort()).toEqual(events.map((e) => e.id).sort());
  });

  it("retries 503 ServiceUnavailable and a non-JSON 500", async () => {
    const { fake, sink } = await setup();
    fake.failNext(1, 503);
    fake.failNext(1, 500);
    const events = [makeEvent(), makeEvent()];
    expect(await sink.write(events)).toEqual([accepted, accepted]);
    expect(fake.callsOf("PutLogEvents").map((c) => c.status)).toEqual([503, 500, 200]);
    expect(storedIds(fake).sort()).toEqual(events.map((e) => e.id).sort());
  });

  it("answers retryable without the throttled flag when 5xx outlasts the budget", async () => {
    const { fake, sink } = await setup({ retry: { max_attempts: 2 } });
    fake.failNext(2, 503);
    const [outcome] = await sink.write([makeEvent()]);
    expect(outcome).toMatchObject({ status: "retryable" });
    expect(outcome).not.toHaveProperty("throttled");
  });

  it("retries a connection dropped before the service handled it, storing each event once", async () => {
    const { fake, sink } = await setup();
    fake.dropNext(2, "before");
    const events = [makeEvent(), makeEvent(), makeEvent()];
    expect(await sink.write(events)).toEqual(events.map(() => accepted));
    expect(fake.callsOf("PutLogEvents").map((c) => c.status)).toEqual(["dropped", "dropped", 200]);
    expect(storedIds(fake).sort()).toEqual(events.map((e) => e.id).sort());
  });

  it("resends after a connection dropped once the service had stored the events: duplicates, nothing lost", async () => {
    const { fake, sink } = await setup();
    fake.dropNext(1, "after");
    const events = [makeEvent(), makeEvent()];
    expect(await sink.write(events)).toEqual([accepted, accepted]);
    const ids = storedIds(fake);
    expect(new Set(ids)).toEqual(new Set(events.map((e) => e.id)));
    expect(ids).toHaveLength(4);
  });

  it("maps rejectedLogEventsInfo indexes, which follow the request's sorted order, back to the caller's events", async () => {
    const { fake, sink, metric } = await setup();
    // Ten events, given out of time order: rank r has timestamp T0 - (10 - r) minutes.
    const ranks = [7, 2, 9, 0, 5, 8, 1, 3, 6, 4];
    const events = ranks.map((r) =>
      makeEvent({ "@timestamp": at(T0 - (10 - r) * 60_000), message: `rank ${r}` }),
    );
    fake.rejectNext({ tooOldLogEventEndIndex: 2, expiredLogEventEndIndex: 3, tooNewLogEventStartIndex: 8 });
    const outcomes = await sink.write(events);
    const byRank = new Map(ranks.map((r, i) => [r, outcomes[i]!]));
    expect(byRank.get(0)).toMatchObject({ status: "rejected", code: "too_old" });
    expect(byRank.get(1)).toMatchObject({ status: "rejected", code: "too_old" });
    expect(byRank.get(2)).toMatchObject({ status: "rejected", code: "expired" });
    for (const r of [3, 4, 5, 6, 7]) expect(byRank.get(r)).toEqual(accepted);
    expect(byRank.get(8)).toMatchObject({ status: "rejected", code: "too_new" });
    expect(byRank.get(9)).toMatchObject({ status: "rejected", code: "too_new" });
    expect((byRank.get(8) as { reason: string }).reason).toContain("too new");
    expect(fake.getLogEvents("/logpipe/checkout", "web-1").map((e) => JSON.parse(e.message).message)).toEqual(
      ["rank 3", "rank 4", "rank 5", "rank 6", "rank 7"],
    );
    expect(fake.callsOf("PutLogEvents")).toHaveLength(1);
    expect(metric(`${M}_events_rejected_total{code="too_new",${OUT}}`)).toBe(2);
    expect(metric(`${M}_events_sent_total{${OUT}}`)).toBe(5);
  });

  it("rejects events the service finds too old by its own clock, and never resends them", async () => {
    const fake = await FakeCloudWatchLogs.start({ now: () => T0 + 14 * DAY + 30 * 60_000 });
    const { sink } = await setup({}, fake);
    const old = makeEvent({ "@timestamp": at(T0) });
    const fresh = makeEvent({ "@timestamp": at(T0 + HOUR) });
    const outcomes = await sink.write([fresh, old]);
    expect(outcomes[0]).toEqual(accepted);
    expect(outcomes[1]).toMatchObject({ status: "rejected", code: "too_old" });
    expect(fake.callsOf("PutLogEvents")).toHaveLength(1);
  });

  it("rejects events outside the accepted window before sending them", async () => {
    const { fake, sink, metric } = await setup({ retention_days: 7 });
    const outcomes = await sink.write([
      makeEvent({ "@timestamp": at(T0 - 15 * DAY) }),
      makeEvent({ "@timestamp": at(T0 - 8 * DAY) }),
      makeEvent({ "@timestamp": at(T0 + 3 * HOUR) }),
      makeEvent(),
    ]);
    expect(outcomes.map((o) => (o.status === "rejected" ? o.code : o.status))).toEqual([
      "too_old",
      "expired",
      "too_new",
      "accepted",
    ]);
    const sent = fake.callsOf("PutLogEvents").flatMap((c) => c.body.logEvents as unknown[]);
    expect(sent).toHaveLength(1);
    expect(metric(`${M}_events_rejected_total{code="expired",${OUT}}`)).toBe(1);
  });

  it("re-creates a log group deleted under it, with retention and tags, and delivers", async () => {
    const { fake, sink } = await setup({ retention_days: 14, tags: { team: "x" } });
    await sink.write([makeEvent()]);
    fake.deleteLogGroup("/logpipe/checkout");
    const event = makeEvent();
    expect(await sink.write([event])).toEqual([accepted]);
    expect(fake.callsOf("CreateLogGroup")).toHaveLength(2);
    const group = fake.groups.get("/logpipe/checkout")!;
    expect(group.retentionInDays).toBe(14);
    expect(group.tags).toEqual({ team: "x" });
    expect(fake.getLogEvents("/logpipe/checkout", "web-1").map((e) => JSON.parse(e.message).id)).toEqual([
      event.id,
    ]);
  });

  it("re-creates a log stream deleted under it", async () => {
    const { fake, sink } = await setup();
    await sink.write([makeEvent()]);
    fake.deleteLogStream("/logpipe/checkout", "web-1");
    expect(await sink.write([makeEvent()])).toEqual([accepted]);
    expect(fake.callsOf("CreateLogStream")).toHaveLength(2);
    expect(fake.getLogEvents("/logpipe/checkout", "web-1")).toHaveLength(1);
  });

  it("with create_missing off, creates nothing and hands events back retryable while the group is missing", async () => {
    const { fake, sink } = await setup({ create_missing: false });
    const [outcome] = await sink.write([makeEvent()]);
    expect(outcome).toMatchObject({ status: "retryable" });
    expect((outcome as { reason: string }).reason).toContain("create_missing");
    expect(fake.callsOf("CreateLogGroup")).toEqual([]);
    expect(fake.callsOf("PutLogEvents")).toHaveLength(1);
    fake.addLogGroup("/logpipe/checkout").streams.set("web-1", []);
    expect(await sink.write([makeEvent()])).toEqual([accepted]);
  });

  it("rejects a request the service refuses for good, with its message, without retrying", async () => {
    const { fake, sink, metric } = await setup();
    fake.errorNext(1, "InvalidParameterException", "Log event too large to be processed");
    const outcomes = await sink.write([makeEvent(), makeEvent()]);
    expect(outcomes).toEqual([
      { status: "rejected", code: "invalid_parameter", reason: "Log event too large to be processed" },
      { status: "rejected", code: "invalid_parameter", reason: "Log event too large to be processed" },
    ]);
    expect(fake.callsOf("PutLogEvents")).toHaveLength(1);
    expect(metric(`${M}_api_calls_total{operation="PutLogEvents",outcome="permanent",${OUT}}`)).toBe(1);
  });

  it("rejects with access_denied when PutLogEvents is not permitted", async () => {
    const { fake, sink } = await setup();
    fake.errorNext(1, "AccessDeniedException", "User is not authorized to perform: logs:PutLogEvents");
    const [outcome] = await sink.write([makeEvent()]);
    expect(outcome).toEqual({
      status: "rejected",
      code: "access_denied",
      reason: "User is not authorized to perform: logs:PutLogEvents",
    });
  });

  it("still delivers to an existing group when creating groups is not permitted", async () => {
    const fake = await FakeCloudWatchLogs.start({ now: () => T0 });
    fake.addLogGroup("/logpipe/checkout");
    const { sink, logs } = await setup({}, fake);
    fake.errorNext(1, "AccessDeniedException", "not authorized: logs:CreateLogGroup", "CreateLogGroup");
    expect(await sink.write([makeEvent()])).toEqual([accepted]);
    expect(logs.some((l) => l.level === "warn" && l.message.includes("CreateLogGroup"))).toBe(true);
  });

  it("retries a throttled CreateLogGroup before sending", async () => {
    const { fake, sink } = await setup();
    fake.throttleNext(1, "CreateLogGroup");
    expect(await sink.write([makeEvent()])).toEqual([accepted]);
    expect(fake.callsOf("CreateLogGroup").map((c) => c.status)).toEqual([400, 200]);
  });

  it("truncates an oversized event so the service takes it as valid JSON under the cap", async () => {
    const { fake, sink, metric } = await setup({ max_event_bytes: 2_000 });
    const event = makeEvent({ message: "日本語".repeat(2_000) });
    expect(await sink.write([event])).toEqual([accepted]);
    const [stored] = fake.getLogEvents("/logpipe/checkout", "web-1");
    expect(Buffer.byteLength(stored!.message)).toBeLessThanOrEqual(2_000);
    const parsed = JSON.parse(stored!.message) as LogEvent;
    expect(parsed.id).toBe(event.id);
    expect(parsed.message).toMatch(/…\[truncated \d+ bytes\]$/);
    expect(metric(`${M}_events_truncated_total{${OUT},part="message"}`)).toBe(1);
  });

  it("delivers hostile content intact: quotes, control characters, lone surrogates", async () => {
    const { fake, sink } = await setup();
    const message = 'a"b\\c\u0000\u001f\n\ud800z😀\u2028';
    expect(await sink.write([makeEvent({ message })])).toEqual([accepted]);
    const [stored] = fake.allMessages();
    expect(stored!.event.message).toBe(message);
  });

  it("rejects an event with an unparseable @timestamp and delivers the rest", async () => {
    const { sink } = await setup();
    const outcomes = await sink.write([makeEvent({ "@timestamp": "not a time" }), makeEvent()]);
    expect(outcomes[0]).toMatchObject({ status: "rejected", code: "invalid_timestamp" });
    expect(outcomes[1]).toEqual(accepted);
  });

  it("splits a large backlog into valid requests: the service never refuses one, each event is stored once", async () => {
    const { fake, sink, metric } = await setup({ max_concurrency: 4 });
    const events = Array.from({ length: 25_000 }, (_, i) =>
      makeEvent({
        service: i % 3 === 0 ? "billing" : "checkout",
        // Three days of history, interleaved out of order.
        "@timestamp": at(T0 - ((i * 7919) % (3 * DAY))),
        message: i % 1000 === 0 ? "x".repeat(200_000) : `event ${i} ${"ü".repeat(i % 300)}`,
      }),
    );
    const outcomes = await sink.write(events);
    expect(outcomes.every((o) => o.status === "accepted")).toBe(true);
    expect(fake.calls.filter((c) => c.errorType === "InvalidParameterException")).toEqual([]);
    const ids = storedIds(fake);
    expect(ids).toHaveLength(events.length);
    expect(new Set(ids).size).toBe(events.length);
    const puts = fake.callsOf("PutLogEvents").length;
    expect(puts).toBeGreaterThanOrEqual(8);
    expect(metric(`${M}_batch_events_count{${OUT}}`)).toBe(puts);
    expect(metric(`${M}_events_sent_total{${OUT}}`)).toBe(25_000);
  });

  it("splits a sparse stream spanning three days so the service accepts every request", async () => {
    const { fake, sink } = await setup();
    const events = Array.from({ length: 10 }, (_, i) => makeEvent({ "@timestamp": at(T0 - i * 8 * HOUR) }));
    expect(await sink.write(events)).toEqual(events.map(() => accepted));
    expect(fake.calls.filter((c) => c.errorType !== undefined && c.operation === "PutLogEvents")).toEqual([]);
    expect(fake.callsOf("PutLogEvents").length).toBeGreaterThanOrEqual(3);
    const stored = fake.getLogEvents("/logpipe/checkout", "web-1").map((e) => e.timestamp);
    expect(stored).toEqual([...stored].sort((a, b) => a - b));
    expect(stored).toHaveLength(10);
  });

  it("never runs more PutLogEvents calls at once than the concurrency limit", async () => {
    const { fake, sink } = await setup({ min_concurrency: 3, max_concurrency: 3 });
    fake.putDelayMs = 10;
    const events = Array.from({ length: 20 }, (_, i) => makeEvent({ host: `h${i}` }));
    expect(await sink.write(events)).toEqual(events.map(() => accepted));
    expect(fake.maxConcurrentPuts).toBeLessThanOrEqual(3);
  });

  it("lowers concurrency when throttled and raises it again on success", async () => {
    const { fake, sink, metric } = await setup({ min_concurrency: 1, max_concurrency: 8 });
    const gauge = () => metric(`${M}_concurrency{${OUT}}`);
    const acrossStreams = () => Array.from({ length: 40 }, (_, i) => makeEvent({ host: `h${i}` }));
    expect(gauge()).toBe(1);
    await sink.write(acrossStreams());
    expect(gauge()).toBe(8);
    fake.throttleNext(1);
    expect(await sink.write([makeEvent()])).toEqual([accepted]);
    expect(gauge()).toBe(4);
    await sink.write(acrossStreams());
    expect(gauge()).toBe(8);
  });

  it("counts API calls by operation and outcome", async () => {
    const { fake, sink, metric } = await setup();
    fake.throttleNext(1);
    await sink.write([makeEvent()]);
    expect(metric(`${M}_api_calls_total{operation="PutLogEvents",outcome="throttled",${OUT}}`)).toBe(1);
    expect(metric(`${M}_api_calls_total{operation="PutLogEvents",outcome="ok",${OUT}}`)).toBe(1);
    expect(metric(`${M}_api_calls_total{operation="CreateLogGroup",outcome="ok",${OUT}}`)).toBe(1);
    expect(metric(`${M}_batch_bytes_count{${OUT}}`)).toBe(1);
  });

  it("answers every event retryable when the write is cancelled", async () => {
    const { sink } = await setup();
    const controller = new AbortController();
    controller.abort(new Error("pump stopped"));
    const outcomes = await sink.write([makeEvent(), makeEvent()], controller.signal);
    expect(outcomes).toEqual([
      { status: "retryable", reason: "delivery was cancelled" },
      { status: "retryable", reason: "delivery was cancelled" },
    ]);
  });

  it("shuts down safely without start, twice, and hands later writes back retryable", async () => {
    const { sink, fake } = await setup();
    await sink.shutdown();
    await sink.shutdown();
    const [outcome] = await sink.write([makeEvent()]);
    expect(outcome).toMatchObject({ status: "retryable" });
    expect(fake.calls).toEqual([]);
  });

  it("waits for writes in flight when shutting down", async () => {
    const { sink, fake } = await setup();
    await sink.start();
    fake.putDelayMs = 50;
    const writing = sink.write([makeEvent()]);
    await sink.shutdown();
    expect(fake.getLogEvents("/logpipe/checkout", "web-1")).toHaveLength(1);
    expect(await writing).toEqual([accepted]);
  });
});
