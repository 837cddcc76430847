import type { Client } from "@opensearch-project/opensearch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MetricsRegistry } from "../../../core/metrics.js";
import { QueryFieldError, QuerySyntaxError } from "../../../core/query/index.js";
import {
  buildSearchBody,
  hitsToEvents,
  OpenSearchSearchError,
  searchOpenSearch,
} from "../../../stores/opensearch/search.js";
import { setupOpenSearch } from "../../../stores/opensearch/setup.js";
import { OpenSearchStore } from "../../../stores/opensearch/store.js";
import { ALL_IDS, allBut, FIXTURE_EVENTS } from "../../core/query/fixture-events.js";
import { FakeOpenSearch } from "../../support/fake-opensearch.js";
import { fakeClient, makeEvent, storeConfig } from "./helpers.js";

let fake: FakeOpenSearch;
let client: Client;

beforeAll(async () => {
  fake = await FakeOpenSearch.start();
  client = fakeClient(fake);
  await setupOpenSearch(client, { templateName: "logpipe-logs", deleteAfterDays: 7 });
  const store = new OpenSearchStore(storeConfig(fake.endpoint), { metrics: new MetricsRegistry() });
  const outcomes = await store.write(FIXTURE_EVENTS);
  await store.shutdown();
  expect(outcomes.every((o) => o.status === "accepted")).toBe(true);
});

afterAll(async () => {
  await client.close();
  await fake.close();
});

async function ids(query: string, limit = 100): Promise<string[]> {
  const events = await searchOpenSearch(client, { query, limit });
  return events.map((e) => e.id).sort();
}

/**
 * [query, ids]: the same answers the local store gives (test/core/query/sql-duckdb.test.ts),
 * except where flat_object differs (ranges on attrs compare text).
 */
const CASES: Array<[string, string[]]> = [
  ["level:error", ["e01", "e04", "e17"]],
  ["level:ERROR", []],
  ["level:(error or fatal)", ["e01", "e04", "e10", "e17"]],
  ["level:error and service:checkout", ["e01"]],
  ["service:checkout and not level:error", ["e02", "e10", "e18"]],
  ["level:error or level:warn and service:checkout", ["e01", "e02", "e04", "e17"]],
  ["not env:prod", allBut("e01", "e02", "e06")],
  ["not http.status:200", allBut("e02", "e03")],
  ["env:*", ["e01", "e02", "e03", "e06"]],
  ["http:*", ["e01", "e02", "e03", "e10", "e13", "e18"]],
  ["service:check*", ["e01", "e02", "e04", "e10", "e18"]],
  ["http.path:/health*", ["e02", "e03"]],
  ["level:error and service:checkout and not path:/health*", ["e01"]],
  ["http.status >= 200 and http.status < 300", ["e01", "e02", "e03"]],
  ["http.latency_ms > 100", ["e02", "e10"]],
  ["http.client_ip:10.0.0.1", ["e13"]],
  ["message:order", ["e01", "e10", "e11", "e12"]],
  ['message:"order placed"', ["e01", "e10", "e11"]],
  ["alice timed", ["e01", "e02", "e06"]],
  ["message:db.internal", ["e04"]],
  ["message:example", []],
  ["message:ord*", ["e01", "e10", "e11", "e12"]],
  ["message:*order", ["e01", "e05", "e10", "e11", "e12"]],
  ["ÉCHEC", ["e17"]],
  ['not message:"!!!"', ALL_IDS],
  ["attrs.user.id:42", ["e01", "e18"]],
  ["user.id:4*", ["e01", "e18"]],
  ["tenant:acme", ["e01"]],
  ["attrs:*", ["e01", "e02", "e05", "e06", "e07", "e16", "e18"]],
  // flat_object keeps values as strings: "900" and "abc" sort after "1000" as text.
  ["attrs.duration_ms > 1000", ["e02", "e05", "e16", "e18"]],
  ["constructor:x or __proto__:y", []],
  ["@timestamp:2026-01-05", allBut("e14", "e16", "e17", "e18", "e19", "e20")],
  ["@timestamp >= 2026-01-06", ["e14"]],
  ['@timestamp:"2026-01-05T12:00:00+02:00"', ["e01"]],
  ["service:50%_off", ["e07"]],
  ["service:cart?service", []],
  ['service:"O\'Reilly \\"quoted\\""', ["e08"]],
  ["service:back\\\\*", ["e09"]],
  ["", ALL_IDS],
];

describe("DQL through searchOpenSearch", () => {
  it.each(CASES)("%s", async (query, expected) => {
    expect(await ids(query)).toEqual([...expected].sort());
  });
});

describe("results", () => {
  it("come newest first", async () => {
    const events = await searchOpenSearch(client, { query: "", limit: 100 });
    const times = events.map((e) => Date.parse(e["@timestamp"]));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(events[0]!.id).toBe("e14");
  });

  it("are the LogEvents that were written", async () => {
    const [event] = await searchOpenSearch(client, { query: "tenant:acme", limit: 10 });
    expect(event).toEqual(FIXTURE_EVENTS.find((e) => e.id === "e01"));
  });

  it("stop at the limit", async () => {
    const events = await searchOpenSearch(client, { query: "", limit: 3 });
    expect(events.map((e) => e.id)).toEqual(["e14", "e15", "e13"]);
  });

  it("page with search_after past one request, without gaps or repeats", async () => {
    const paged = await searchOpenSearch(client, { query: "", limit: 100, pageSize: 3 });
    const whole = await searchOpenSearch(client, { query: "", limit: 100 });
    expect(paged.map((e) => e.id)).toEqual(whole.map((e) => e.id));
    expect(fake.requests.filter((r) => r.path.endsWith("/_search")).length).toBeGreaterThan(7);
  });

  it("keep to the time window, since inclusive and until exclusive", async () => {
    const events = await searchOpenSearch(client, {
      query: "service:cron",
      since: new Date("2026-01-05T23:59:59.999Z"),
      until: Date.parse("2026-01-06T00:00:00.000Z"),
      limit: 10,
    });
    expect(events.map((e) => e.id)).toEqual(["e15"]);
  });

  it("are empty when no index exists yet", async () => {
    expect(await searchOpenSearch(client, { query: "", limit: 10, indexPrefix: "nothing-" })).toEqual([]);
  });
});

describe("search requests", () => {
  it("wrap the compiled query and the window in a filter, sorted by time then id", () => {
    const body = buildSearchBody({ query: "level:error", since: 0, until: 1_000 }, 50);
    expect(body).toEqual({
      query: {
        bool: {
          filter: [
            { term: { level: "error" } },
            { range: { "@timestamp": { gte: "1970-01-01T00:00:00.000Z", lt: "1970-01-01T00:00:01.000Z" } } },
          ],
        },
      },
      sort: [
        { "@timestamp": { order: "desc", unmapped_type: "date" } },
        { id: { order: "desc", unmapped_type: "keyword" } },
      ],
      size: 50,
      track_total_hits: false,
    });
  });

  it("go to the prefix pattern", async () => {
    fake.requests.length = 0;
    await searchOpenSearch(client, { query: "", limit: 1 });
    expect(fake.requests[0]).toMatchObject({
      method: "POST",
      path: "/logs-*/_search",
      query: { ignore_unavailable: "true", allow_no_indices: "true" },
    });
  });

  it("fail on bad DQL before any request", async () => {
    fake.requests.length = 0;
    await expect(searchOpenSearch(client, { query: "level:(error", limit: 1 })).rejects.toBeInstanceOf(
      QuerySyntaxError,
    );
    await expect(searchOpenSearch(client, { query: "http.status:abc", limit: 1 })).rejects.toBeInstanceOf(
      QueryFieldError,
    );
    expect(fake.requests).toHaveLength(0);
  });

  it("report a failed search with the service's reason", async () => {
    fake.failRequests(
      { status: 503, type: "search_phase_execution_exception", reason: "all shards failed" },
      {
        path: /_search$/,
      },
    );
    await expect(searchOpenSearch(client, { query: "", limit: 1 })).rejects.toMatchObject({
      name: "OpenSearchSearchError",
      message: expect.stringContaining("all shards failed"),
    });
  });

  it("refuse a response without hits rather than answer empty", async () => {
    fake.failRequests({ status: 200, rawBody: "<html>gateway</html>" }, { path: /_search$/ });
    await expect(searchOpenSearch(client, { query: "", limit: 1 })).rejects.toBeInstanceOf(
      OpenSearchSearchError,
    );
  });
});

describe("indices written without the template", () => {
  it("fail to sort with a hint to run setup", async () => {
    const bare = await FakeOpenSearch.start();
    const bareClient = fakeClient(bare);
    try {
      const store = new OpenSearchStore(storeConfig(bare.endpoint), { metrics: new MetricsRegistry() });
      await store.write([makeEvent(1)]);
      await store.shutdown();
      await expect(searchOpenSearch(bareClient, { query: "", limit: 1 })).rejects.toThrow(
        /logpipe opensearch setup/,
      );
    } finally {
      await bareClient.close();
      await bare.close();
    }
  });
});

describe("hitsToEvents", () => {
  it("skips and counts documents that are not LogEvents", () => {
    const good = makeEvent(1);
    const { events, skipped } = hitsToEvents([
      { source: good, sort: undefined },
      { source: { foo: "bar" }, sort: undefined },
      { source: undefined, sort: undefined },
    ]);
    expect(events).toEqual([good]);
    expect(skipped).toBe(2);
  });
});
