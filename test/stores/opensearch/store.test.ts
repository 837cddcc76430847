import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSearchMappings } from "../../../core/event/projections/opensearch.js";
import type { LogEvent } from "../../../core/event/schema.js";
import { MetricsRegistry } from "../../../core/metrics.js";
import type { Clock } from "../../../core/retry.js";
import type { ItemOutcome } from "../../../core/stage.js";
import { setupOpenSearch } from "../../../stores/opensearch/setup.js";
import { OpenSearchStore } from "../../../stores/opensearch/store.js";
import { countFields, FakeOpenSearch, ITEM_FAULTS } from "../../support/fake-opensearch.js";
import { fakeClient, makeEvent, makeEvents, makeStore, type StoreHarness, storeConfig } from "./helpers.js";

let fake: FakeOpenSearch;
let harness: StoreHarness | undefined;

beforeEach(async () => {
  fake = await FakeOpenSearch.start();
});

afterEach(async () => {
  await harness?.store.shutdown();
  harness = undefined;
  await fake.close();
});

function open(overrides: Record<string, unknown> = {}): StoreHarness {
  harness = makeStore(fake, overrides);
  return harness;
}

const ids = (events: readonly LogEvent[]) => events.map((e) => e.id);
const statuses = (outcomes: readonly ItemOutcome[]) => outcomes.map((o) => o.status);

describe("writing", () => {
  it("writes every event once, with its id as _id, into the service's daily index", async () => {
    const { store } = open();
    const events = [
      ...makeEvents(3),
      makeEvent(3, { service: "cart", "@timestamp": "2026-01-06T00:00:00.000Z" }),
    ];
    const outcomes = await store.write(events);
    expect(statuses(outcomes)).toEqual(["accepted", "accepted", "accepted", "accepted"]);
    expect(fake.docIds()).toEqual(ids(events));
    expect([...fake.indices.keys()].sort()).toEqual(["logs-cart-2026.01.06", "logs-checkout-2026.01.05"]);
    expect(fake.indices.get("logs-cart-2026.01.06")!.docs.get("ev-00003")!.source).toEqual(events[3]);
  });

  it("answers an empty batch without a request", async () => {
    const { store } = open();
    expect(await store.write([])).toEqual([]);
    expect(fake.requests).toHaveLength(0);
  });

  it("cuts a large write into bodies of at most max_bulk_bytes", async () => {
    const { store } = open({ max_bulk_bytes: 8_192 });
    const events = makeEvents(200, { message: "m".repeat(300) });
    const outcomes = await store.write(events);
    expect(statuses(outcomes).every((s) => s === "accepted")).toBe(true);
    const bulks = fake.bulkRequests();
    expect(bulks.length).toBeGreaterThan(5);
    for (const r of bulks) expect(r.bytes).toBeLessThanOrEqual(8_192);
    expect(fake.bulkIds().flat()).toEqual(ids(events));
  });

  it("rejects an event whose timestamp names no day without sending it", async () => {
    const { store } = open();
    const outcomes = await store.write([makeEvent(0), makeEvent(1, { "@timestamp": "garbage" })]);
    expect(outcomes[1]).toMatchObject({ status: "rejected", code: "invalid_event" });
    expect(fake.bulkIds()).toEqual([["ev-00000"]]);
  });
});

describe("per-item failures", () => {
  it("resends only the throttled items, rejects mapping errors for good, and writes nothing twice", async () => {
    const { store, clock, metrics } = open({ op_type: "create" });
    const events = makeEvents(10);
    // ev-00008 was written by an earlier delivery: create answers 409 for it.
    await store.write([events[8]!]);
    fake.requests.length = 0;
    fake.failItem("ev-00003", ITEM_FAULTS.throttled);
    fake.failItem("ev-00005", ITEM_FAULTS.throttled, ITEM_FAULTS.circuitBreaker);
    fake.failItem("ev-00007", ITEM_FAULTS.mapping);

    const outcomes = await store.write(events);

    expect(outcomes[7]).toEqual({
      status: "rejected",
      code: "mapping_error",
      reason: `mapper_parsing_exception: ${ITEM_FAULTS.mapping.reason}`,
    });
    expect(statuses(outcomes).filter((s) => s === "accepted")).toHaveLength(9);
    expect(fake.bulkIds()).toEqual([ids(events), ["ev-00003", "ev-00005"], ["ev-00005"]]);
    expect(fake.docIds()).toEqual(ids(events).filter((id) => id !== "ev-00007"));
    expect(fake.allDocs().every((d) => d.version === 1)).toBe(true);
    // Throttling waits at least the throttle floor, twice.
    expect(clock.slept).toHaveLength(2);
    for (const ms of clock.slept) expect(ms).toBeGreaterThanOrEqual(1_000);
    expect(metrics.snapshot()).toMatchObject({
      'logpipe_opensearch_events_written_total{result="exists"}': 1,
      'logpipe_opensearch_events_rejected_total{code="mapping_error"}': 1,
      logpipe_opensearch_items_resent_total: 3,
    });
  });

  it("counts a 409 on create as already written", async () => {
    const { store } = open({ op_type: "create" });
    const events = makeEvents(5);
    await store.write(events);
    const again = await store.write(events);
    expect(statuses(again)).toEqual(Array(5).fill("accepted"));
    expect(fake.allDocs().map((d) => d.version)).toEqual(Array(5).fill(1));
  });

  it("overwrites a resent event with itself when op_type is index", async () => {
    const { store } = open();
    const events = makeEvents(3);
    await store.write(events);
    expect(statuses(await store.write(events))).toEqual(["accepted", "accepted", "accepted"]);
    expect(fake.docIds()).toEqual(ids(events));
  });

  it("rejects a value the mapping refuses, with the service's reason, and never resends it", async () => {
    const client = fakeClient(fake);
    await setupOpenSearch(client, { templateName: "logpipe", deleteAfterDays: 7 });
    await client.close();
    const { store } = open();
    const bad = makeEvent(1, { http: { client_ip: "not-an-ip" } });
    const outcomes = await store.write([makeEvent(0), bad]);
    expect(outcomes[1]).toMatchObject({
      status: "rejected",
      code: "mapping_error",
      reason: expect.stringContaining("failed to parse field [http.client_ip] of type [ip]"),
    });
    expect(fake.bulkRequests()).toHaveLength(1);
  });

  it("hands items back as retryable and throttled when the retry budget runs out", async () => {
    const { store, logs } = open({ retry: { max_attempts: 3 } });
    fake.failItem("ev-00001", ...Array(10).fill(ITEM_FAULTS.throttled));
    const outcomes = await store.write(makeEvents(3));
    expect(outcomes[1]).toMatchObject({
      status: "retryable",
      throttled: true,
      reason: expect.stringMatching(/gave up after 3 attempts/),
    });
    expect(statuses(outcomes)).toEqual(["accepted", "retryable", "accepted"]);
    expect(fake.bulkIds()).toEqual([["ev-00000", "ev-00001", "ev-00002"], ["ev-00001"], ["ev-00001"]]);
    expect(logs.some((l) => l.fields?.["code"] === "retry_exhausted")).toBe(true);
  });

  it("gives up within the elapsed budget", async () => {
    const { store, clock } = open({
      retry: { max_attempts: 100, max_elapsed_ms: 10_000, max_delay_ms: 5_000 },
    });
    fake.failItem("ev-00000", ...Array(100).fill(ITEM_FAULTS.unavailable));
    const outcomes = await store.write(makeEvents(1));
    expect(outcomes[0]).toMatchObject({ status: "retryable" });
    expect(clock.now()).toBeLessThanOrEqual(10_000);
  });
});

describe("whole-request failures", () => {
  it("retries a throttled request and honours Retry-After", async () => {
    const { store, clock } = open();
    fake.failRequests({
      status: 429,
      type: "es_rejected_execution_exception",
      reason: "busy",
      headers: { "retry-after": "3" },
    });
    const outcomes = await store.write(makeEvents(4));
    expect(statuses(outcomes)).toEqual(Array(4).fill("accepted"));
    expect(fake.bulkRequests().map((r) => r.status)).toEqual([429, 200]);
    expect(clock.slept[0]).toBeGreaterThanOrEqual(3_000);
  });

  it.each([500, 502, 503])("retries HTTP %i", async (status) => {
    const { store } = open();
    fake.failRequests({ status }, { times: 2 });
    expect(statuses(await store.write(makeEvents(2)))).toEqual(["accepted", "accepted"]);
    expect(fake.bulkRequests()).toHaveLength(3);
  });

  it("retries after a dropped connection", async () => {
    const { store } = open();
    fake.failRequests({ drop: true });
    expect(statuses(await store.write(makeEvents(3)))).toEqual(Array(3).fill("accepted"));
    expect(fake.docIds()).toEqual(ids(makeEvents(3)));
  });

  it("does not send the remaining bodies of an attempt once one is throttled", async () => {
    const { store } = open({ max_bulk_bytes: 2_048 });
    const events = makeEvents(30, { message: "z".repeat(200) });
    fake.failRequests({ status: 429 });
    const outcomes = await store.write(events);
    expect(statuses(outcomes).every((s) => s === "accepted")).toBe(true);
    const [first, ...rest] = fake.bulkRequests();
    expect(first!.status).toBe(429);
    // Everything the throttled body held is sent again, and nothing was sent beside it.
    expect(rest.flatMap((r) => r.bulk!.map((a) => a.id))).toEqual(ids(events));
  });

  it.each([401, 403])("rejects every item as auth on HTTP %i without retrying", async (status) => {
    const { store } = open();
    fake.failRequests({ status, reason: "no permissions for [indices:data/write/bulk]" });
    const outcomes = await store.write(makeEvents(2));
    expect(outcomes).toEqual(
      Array(2).fill({ status: "rejected", code: "auth", reason: expect.stringContaining("no permissions") }),
    );
    expect(fake.bulkRequests()).toHaveLength(1);
  });

  it("rejects a request the server refuses as malformed, without retrying", async () => {
    const { store } = open();
    fake.failRequests({
      status: 400,
      type: "illegal_argument_exception",
      reason: "Malformed action/metadata line [1]",
    });
    const outcomes = await store.write(makeEvents(1));
    expect(outcomes[0]).toMatchObject({ status: "rejected", code: "illegal_argument" });
  });
});

describe("413 request too large", () => {
  it("splits the request in halves until they fit, and writes everything once", async () => {
    const { store, metrics } = open();
    const events = makeEvents(16, { message: "q".repeat(400) });
    // Room for about three items per request.
    fake.maxBodyBytes = 1_800;
    const outcomes = await store.write(events);
    expect(statuses(outcomes)).toEqual(Array(16).fill("accepted"));
    const bulks = fake.bulkRequests();
    const refused = bulks.filter((r) => r.status === 413);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.bulk!.map((a) => a.id)).toEqual(ids(events));
    expect(bulks.filter((r) => r.status === 200).flatMap((r) => r.bulk!.map((a) => a.id))).toEqual(
      ids(events),
    );
    expect(fake.allDocs().every((d) => d.version === 1)).toBe(true);
    expect(metrics.snapshot()["logpipe_opensearch_bulk_splits_total"]).toBeGreaterThan(0);
  });

  it("rejects a single event that is still too large, and writes the rest", async () => {
    const { store } = open();
    fake.maxBodyBytes = 2_000;
    const events = [makeEvent(0), makeEvent(1, { message: "h".repeat(5_000) }), makeEvent(2)];
    const outcomes = await store.write(events);
    expect(outcomes[1]).toMatchObject({
      status: "rejected",
      code: "too_large",
      reason: expect.stringContaining("413"),
    });
    expect(statuses(outcomes)).toEqual(["accepted", "rejected", "accepted"]);
    expect(fake.docIds()).toEqual(["ev-00000", "ev-00002"]);
  });

  it("never changes the body cap for later writes", async () => {
    const { store } = open({ max_bulk_bytes: 1_000_000 });
    fake.maxBodyBytes = 1_500;
    await store.write(makeEvents(10, { message: "k".repeat(300) }));
    fake.maxBodyBytes = 100 * 1024 * 1024;
    fake.requests.length = 0;
    await store.write(makeEvents(10, { message: "k".repeat(300) }));
    expect(fake.bulkRequests()).toHaveLength(1);
  });
});

describe("mapping explosion", () => {
  it("keeps the mapped field count fixed while thousands of new attrs keys arrive", async () => {
    const client = fakeClient(fake);
    await setupOpenSearch(client, { templateName: "logpipe", totalFieldsLimit: 100, deleteAfterDays: 7 });
    await client.close();
    const { store } = open({ max_bulk_bytes: 1_000_000 });
    const events = Array.from({ length: 1_500 }, (_, i) =>
      makeEvent(i, { attrs: { [`key_${i}_a`]: "1", [`key_${i}_b`]: "2", [`nested.key_${i}`]: "3" } }),
    );
    const outcomes = await store.write(events);
    expect(statuses(outcomes).every((s) => s === "accepted")).toBe(true);
    const templateFields = countFields(openSearchMappings().properties as never);
    expect(fake.fieldCount("logs-checkout-2026.01.05")).toBe(templateFields);
    expect(templateFields).toBeLessThanOrEqual(100);
  });

  it("would hit the field limit if attrs were a dynamic object (the cap is real)", async () => {
    const client = fakeClient(fake);
    const mappings = openSearchMappings();
    await client.transport.request({
      method: "PUT",
      path: "/_index_template/naive",
      body: {
        index_patterns: ["logs-*"],
        template: {
          settings: { "index.mapping.total_fields.limit": 100 },
          mappings: { dynamic: true, properties: { ...mappings.properties, attrs: { type: "object" } } },
        },
      },
    });
    await client.close();
    const { store } = open();
    const events = Array.from({ length: 200 }, (_, i) => makeEvent(i, { attrs: { [`key_${i}`]: "v" } }));
    const outcomes = await store.write(events);
    const rejected = outcomes.filter((o) => o.status === "rejected");
    expect(rejected.length).toBeGreaterThan(100);
    expect(rejected[0]).toMatchObject({
      code: "field_limit",
      reason: expect.stringContaining("Limit of total fields [100]"),
    });
    expect(fake.fieldCount("logs-checkout-2026.01.05")).toBeLessThanOrEqual(100);
  });
});

describe("data streams", () => {
  it("creates into one data stream per service", async () => {
    const client = fakeClient(fake);
    await setupOpenSearch(client, { templateName: "logpipe", dataStream: true, deleteAfterDays: 7 });
    await client.close();
    const { store } = open({ data_stream: true });
    const outcomes = await store.write([makeEvent(0), makeEvent(1, { service: "cart" })]);
    expect(statuses(outcomes)).toEqual(["accepted", "accepted"]);
    expect(fake.bulkRequests()[0]!.bulk).toEqual([
      { op: "create", index: "logs-checkout", id: "ev-00000" },
      { op: "create", index: "logs-cart", id: "ev-00001" },
    ]);
    expect(fake.indices.get("logs-cart")?.dataStream).toBe(true);
  });
});

describe("lifecycle", () => {
  it("shuts down without start, twice", async () => {
    const { store } = open();
    await store.shutdown();
    await store.shutdown();
  });

  it("answers writes after shutdown retryable without sending", async () => {
    const { store } = open();
    await store.start();
    await store.shutdown();
    expect(await store.write(makeEvents(2))).toEqual(
      Array(2).fill({ status: "retryable", reason: "opensearch store is shut down" }),
    );
    expect(fake.requests).toHaveLength(0);
  });

  it("lets a write in flight finish before shutdown resolves", async () => {
    const { store } = open();
    fake.failRequests({ status: 503 });
    const writing = store.write(makeEvents(2));
    await store.shutdown();
    expect(statuses(await writing)).toEqual(["accepted", "accepted"]);
  });

  it("answers pending items retryable when the caller cancels during backoff", async () => {
    const controller = new AbortController();
    let sleeping: () => void = () => {};
    const asleep = new Promise<void>((resolve) => {
      sleeping = resolve;
    });
    const clock: Clock = {
      now: () => 0,
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) => {
          sleeping();
          signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
        }),
    };
    const store = new OpenSearchStore(storeConfig(fake.endpoint), { metrics: new MetricsRegistry(), clock });
    fake.failItem("ev-00001", ITEM_FAULTS.throttled);
    const writing = store.write(makeEvents(2), controller.signal);
    await asleep;
    controller.abort(new Error("shutting down"));
    const outcomes = await writing;
    expect(outcomes).toEqual([
      { status: "accepted" },
      { status: "retryable", reason: "delivery was cancelled" },
    ]);
    await store.shutdown();
  });
});
