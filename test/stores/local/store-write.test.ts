import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterEach, describe, expect, it } from "vitest";
import { duckdbCreateTableDdl } from "../../../core/event/projections/duckdb.js";
import type { LogEvent } from "../../../core/event/schema.js";
import { sealEvent } from "../../../core/event/sealed.js";
import { DB_FILE_NAME, LocalQueryError, LocalStore } from "../../../stores/local/index.js";
import { event, type Harness, openHarness, T0 } from "./helpers.js";

let h: Harness;
afterEach(async () => {
  await h?.cleanup();
});

const ids = (events: LogEvent[]) => events.map((e) => e.id);

describe("writing and searching", () => {
  it("accepts every event of a batch and finds them again", async () => {
    h = await openHarness();
    const batch = [event(), event(), event()];
    const outcomes = await h.store.write(batch);
    expect(outcomes).toEqual(batch.map(() => ({ status: "accepted" })));
    const found = await h.store.search(undefined, { limit: 10 });
    expect(found).toHaveLength(3);
    expect(h.metrics.snapshot()["logpipe_local_store_rows_written_total"]).toBe(3);
  });

  it("returns events shaped like LogEvent, with unset fields omitted", async () => {
    h = await openHarness();
    const full: LogEvent = event({
      env: "prod",
      host: "ip-10-0-0-1",
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
      http: { method: "POST", path: "/orders", status: 201, latency_ms: 12.5, client_ip: "10.0.0.9" },
      ingest_time: "2026-01-05T10:00:01.000Z",
      attrs: { "user.id": "42" },
    });
    const bare = event();
    await h.store.write([full, bare]);
    const found = await h.store.search(undefined, { limit: 10 });
    expect(found.find((e) => e.id === full.id)).toEqual(full);
    expect(found.find((e) => e.id === bare.id)).toEqual(bare);
  });

  it("filters with a compiled condition and its parameters", async () => {
    h = await openHarness();
    const error = event({ level: "error" });
    await h.store.write([event(), error, event({ level: "warn" })]);
    const found = await h.store.search({ where: `"level" = $1`, params: ["error"] }, { limit: 10 });
    expect(ids(found)).toEqual([error.id]);
  });

  it("filters on http members and attrs keys", async () => {
    h = await openHarness();
    const slow = event({ http: { status: 503 }, attrs: { "k8s.pod": "api-1" } });
    await h.store.write([event({ http: { status: 200 } }), slow]);
    const byStatus = await h.store.search({ where: `"http"."status" >= $1`, params: [500] }, { limit: 10 });
    expect(ids(byStatus)).toEqual([slow.id]);
    const byAttr = await h.store.search(
      { where: `"attrs"[$1] = $2`, params: ["k8s.pod", "api-1"] },
      { limit: 10 },
    );
    expect(ids(byAttr)).toEqual([slow.id]);
  });

  it("answers newest first, cut at the limit", async () => {
    h = await openHarness();
    const events = [0, 3, 1, 2].map((s) => event({ at: T0 + s * 1000 }));
    await h.store.write(events);
    const found = await h.store.search(undefined, { limit: 2 });
    expect(found.map((e) => e["@timestamp"])).toEqual([
      "2026-01-05T10:00:03.000Z",
      "2026-01-05T10:00:02.000Z",
    ]);
  });

  it("bounds the time window with an inclusive since and an exclusive until", async () => {
    h = await openHarness();
    await h.store.write([0, 1, 2, 3].map((s) => event({ at: T0 + s * 1000 })));
    const found = await h.store.search(undefined, {
      since: new Date(T0 + 1000),
      until: new Date(T0 + 3000),
      limit: 10,
    });
    expect(found.map((e) => e["@timestamp"])).toEqual([
      "2026-01-05T10:00:02.000Z",
      "2026-01-05T10:00:01.000Z",
    ]);
  });

  it("reports a condition DuckDB cannot run as a query error", async () => {
    h = await openHarness();
    await expect(
      h.store.search({ where: `"no_such_column" = $1`, params: ["x"] }, { limit: 1 }),
    ).rejects.toMatchObject({
      name: "LocalQueryError",
      code: "search_invalid",
    });
    await expect(
      h.store.search({ where: `"level" = = $1`, params: ["x"] }, { limit: 1 }),
    ).rejects.toBeInstanceOf(LocalQueryError);
  });

  it("refuses a condition that smuggles in a second statement", async () => {
    h = await openHarness();
    await h.store.write([event()]);
    const where = `1 = 1) LIMIT 1; DROP TABLE events; SELECT * FROM events WHERE (1 = 1`;
    await expect(h.store.search({ where, params: [] }, { limit: 1 })).rejects.toMatchObject({
      code: "search_invalid",
    });
    expect(await h.store.search(undefined, { limit: 10 })).toHaveLength(1);
  });

  it("merges writes that arrive while one runs, answering each its own outcomes", async () => {
    h = await openHarness();
    const batches = Array.from({ length: 6 }, () => [event(), event()]);
    const outcomes = await Promise.all(batches.map((b) => h.store.write(b)));
    expect(outcomes.every((o) => o.length === 2 && o.every((x) => x.status === "accepted"))).toBe(true);
    expect(h.store.stats()).toMatchObject({ stagedRows: 12, hotRows: 0 });
    await h.store.refresh();
    expect(h.store.stats()).toMatchObject({ stagedRows: 0, hotRows: 12 });
  });
});

describe("duplicates", () => {
  it("stores a redelivered batch once and accepts it again", async () => {
    h = await openHarness();
    const batch = [event(), event()];
    await h.store.write(batch);
    const again = await h.store.write([...batch, event()]);
    expect(again.every((o) => o.status === "accepted")).toBe(true);
    expect(await h.store.search(undefined, { limit: 10 })).toHaveLength(3);
    expect((await h.store.sql("SELECT count(*) AS n FROM logs")).rows).toEqual([[3]]);
    expect(h.metrics.snapshot()["logpipe_local_store_duplicates_total"]).toBe(2);
  });

  it("stores an id repeated within one batch once", async () => {
    h = await openHarness();
    const e = event();
    const outcomes = await h.store.write([e, { ...e }, event()]);
    expect(outcomes.map((o) => o.status)).toEqual(["accepted", "accepted", "accepted"]);
    expect(await h.store.search(undefined, { limit: 10 })).toHaveLength(2);
  });

  it("finds a redelivered event however far its batch spreads in time", async () => {
    h = await openHarness();
    const old = event({ at: T0 - 86_400_000 });
    await h.store.write([old]);
    await h.store.flush();
    await h.reopen();
    const outcomes = await h.store.write([event({ at: T0 + 3_600_000 }), { ...old }, event({ at: T0 })]);
    expect(outcomes.every((o) => o.status === "accepted")).toBe(true);
    expect((await h.store.sql(`SELECT count(*) FROM events WHERE id = '${old.id}'`)).rows).toEqual([[1]]);
    expect((await h.store.sql("SELECT count(*) FROM logs")).rows).toEqual([[3]]);
  });

  it("treats an id that comes again with another @timestamp as a different event", async () => {
    h = await openHarness();
    const first = event({ at: T0 });
    await h.store.write([first]);
    await h.store.write([{ ...first, "@timestamp": new Date(T0 + 1).toISOString() }]);
    expect(await h.store.search({ where: `"id" = $1`, params: [first.id] }, { limit: 10 })).toHaveLength(2);
  });

  it("stores a redelivered event once even when its values need the lenient parse", async () => {
    h = await openHarness();
    const odd = { ...event(), http: { status: "teapot" } } as unknown as LogEvent;
    await h.store.write([odd]);
    expect(await h.store.write([{ ...odd }])).toEqual([{ status: "accepted" }]);
    expect((await h.store.sql(`SELECT count(*) FROM events WHERE id = '${odd.id}'`)).rows).toEqual([[1]]);
  });

  it("keeps each (id, @timestamp) once when copies of both arrive before a load", async () => {
    h = await openHarness();
    const first = event({ at: T0 });
    const second = { ...first, "@timestamp": new Date(T0 + 1).toISOString() };
    await h.store.write([first, second]);
    await h.store.write([{ ...second }, { ...first }, { ...second }]);
    expect(await h.store.search({ where: `"id" = $1`, params: [first.id] }, { limit: 10 })).toHaveLength(2);
    expect(h.metrics.snapshot()["logpipe_local_store_duplicates_total"]).toBe(3);
  });

  it("keeps an id once even when its copies arrive in concurrent writes", async () => {
    h = await openHarness();
    const e = event();
    await Promise.all([h.store.write([e]), h.store.write([{ ...e }]), h.store.write([{ ...e }])]);
    expect((await h.store.sql(`SELECT count(*) FROM events WHERE id = '${e.id}'`)).rows).toEqual([[1]]);
  });
});

describe("sealed events", () => {
  it("stores the JSON text a sealed event carries", async () => {
    h = await openHarness();
    const sealed = sealEvent(event({ attrs: { "k8s.pod": "api-1" } }));
    await h.store.write([sealed]);
    const [found] = await h.store.search(undefined, { limit: 1 });
    expect(found).toEqual({ ...sealed });
  });

  it("replaces lone surrogates in carried text as in serialised events", async () => {
    h = await openHarness();
    const sealed = sealEvent(event({ message: "broken \ud800 text" }));
    expect(await h.store.write([sealed])).toEqual([{ status: "accepted" }]);
    const [found] = await h.store.search(undefined, { limit: 1 });
    expect(found?.message).toBe("broken \ufffd text");
  });
});

describe("bad events", () => {
  it("rejects malformed events with a reason and stores the rest of the batch", async () => {
    h = await openHarness();
    const good = event();
    const batch = [
      { ...event(), "@timestamp": "not a time" },
      good,
      { ...event(), id: "" },
      "garbage",
      { ...event(), service: "/".repeat(100) },
    ] as unknown as LogEvent[];
    const outcomes = await h.store.write(batch);
    expect(outcomes.map((o) => o.status)).toEqual([
      "rejected",
      "accepted",
      "rejected",
      "rejected",
      "rejected",
    ]);
    expect(outcomes[0]).toMatchObject({
      code: "invalid_event",
      reason: expect.stringContaining("@timestamp"),
    });
    expect(ids(await h.store.search(undefined, { limit: 10 }))).toEqual([good.id]);
    expect(h.metrics.snapshot()['logpipe_local_store_rejected_total{code="invalid_event"}']).toBe(4);
  });

  it("stores text DuckDB's JSON reader would refuse (lone surrogates) with a replacement character", async () => {
    h = await openHarness();
    const e = event({ message: "broken \ud800 text", attrs: { "key\udc00": "v" } });
    expect(await h.store.write([e, event()])).toEqual([{ status: "accepted" }, { status: "accepted" }]);
    const [found] = await h.store.search({ where: `"id" = $1`, params: [e.id] }, { limit: 1 });
    expect(found).toMatchObject({ message: "broken \ufffd text", attrs: { "key\ufffd": "v" } });
  });

  it("stores an oversized message whole", async () => {
    h = await openHarness();
    const big = event({ message: "x".repeat(2_000_000) });
    await h.store.write([big]);
    const [found] = await h.store.search(undefined, { limit: 1 });
    expect(found?.message.length).toBe(2_000_000);
  });

  it("stores values of the wrong type as DuckDB converts them rather than failing the batch", async () => {
    h = await openHarness();
    const odd = {
      ...event(),
      http: { status: "teapot", latency_ms: Number.POSITIVE_INFINITY },
      attrs: { n: 5, nested: { a: 1 } },
    };
    const outcomes = await h.store.write([odd as unknown as LogEvent, event()]);
    expect(outcomes.map((o) => o.status)).toEqual(["accepted", "accepted"]);
    const [found] = await h.store.search({ where: `"id" = $1`, params: [odd.id] }, { limit: 1 });
    expect(found?.http).toBeUndefined();
    expect(found?.attrs).toEqual({ n: "5", nested: '{"a":1}' });
  });
});

describe("tail", () => {
  it("starts at the newest arrival and then returns what arrives, oldest first", async () => {
    h = await openHarness();
    await h.store.write([event()]);
    const start = await h.store.tailAfter(undefined, { limit: 10 });
    expect(start.events).toEqual([]);
    const later = [event({ at: T0 + 5000 }), event({ at: T0 - 5000 })];
    await h.store.write(later);
    const next = await h.store.tailAfter(start.cursor, { limit: 10 });
    expect(ids(next.events).sort()).toEqual(ids(later).sort());
    expect((await h.store.tailAfter(next.cursor, { limit: 10 })).events).toEqual([]);
  });

  it("pages through one large batch without losing or repeating an event", async () => {
    h = await openHarness();
    const { cursor } = await h.store.tailAfter(undefined, { limit: 1 });
    const batch = Array.from({ length: 7 }, () => event());
    await h.store.write(batch);
    const seen: string[] = [];
    let at = cursor;
    for (let i = 0; i < 5; i++) {
      const page = await h.store.tailAfter(at, { limit: 3 });
      seen.push(...ids(page.events));
      at = page.cursor;
    }
    expect(seen.sort()).toEqual(ids(batch).sort());
  });

  it("filters a tail and starts one from a point in time", async () => {
    h = await openHarness();
    const old = event({ at: T0 - 60_000, level: "error" });
    const recent = event({ at: T0, level: "error" });
    await h.store.write([old, recent, event({ at: T0 })]);
    const result = await h.store.tailSince(new Date(T0 - 1000), {
      where: { where: `"level" = $1`, params: ["error"] },
      limit: 10,
    });
    expect(ids(result.events)).toEqual([recent.id]);
    const fresh = event({ level: "error" });
    await h.store.write([fresh]);
    expect(ids((await h.store.tailAfter(result.cursor, { limit: 10 })).events)).toEqual([fresh.id]);
  });

  it.each(["", "abc", "1:"])("refuses the cursor %j", async (cursor) => {
    h = await openHarness();
    await expect(h.store.tailAfter(cursor, { limit: 1 })).rejects.toMatchObject({ code: "bad_cursor" });
  });
});

describe("stores made by earlier versions", () => {
  it("drops the primary key on id once and keeps every row, its sequence and its dedupe", async () => {
    h = await openHarness();
    const storeDir = join(h.dataDir, "old", "store");
    await mkdir(storeDir, { recursive: true });
    const kept = event();
    const instance = await DuckDBInstance.create(join(storeDir, DB_FILE_NAME));
    const c = await instance.connect();
    await c.run(duckdbCreateTableDdl("events"));
    await c.run(`ALTER TABLE events ADD COLUMN _seq BIGINT`);
    await c.run(
      `INSERT INTO events (id, "@timestamp", service, level, message, _seq) VALUES ($1, $2::TIMESTAMP_MS, $3, $4, $5, 4)`,
      [
        kept.id,
        kept["@timestamp"].replace("T", " ").replace("Z", ""),
        kept.service,
        kept.level,
        kept.message,
      ],
    );
    c.closeSync();
    instance.closeSync();
    await h.store.shutdown();
    h.store = await LocalStore.open({ dir: storeDir }, { metrics: h.metrics, now: () => h.clock.now });
    const keys = await h.store.sql(
      "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'events' AND constraint_type = 'PRIMARY KEY'",
    );
    expect(keys.rows).toEqual([[0]]);
    expect(await h.store.search(undefined, { limit: 10 })).toEqual([kept]);
    const { cursor } = await h.store.tailAfter(undefined, { limit: 10 });
    const fresh = event();
    await h.store.write([{ ...kept }, fresh]);
    expect(ids((await h.store.tailAfter(cursor, { limit: 10 })).events)).toEqual([fresh.id]);
    expect((await h.store.sql("SELECT max(_seq) FROM events")).rows).toEqual([[5]]);
  });
});

describe("lifecycle", () => {
  it("loads at open what a crash left journaled, dropping a torn line and storing nothing twice", async () => {
    h = await openHarness();
    const stored = event();
    await h.store.write([stored]);
    await h.store.refresh();
    const journaled = event();
    const line = (e: LogEvent) => JSON.stringify(e);
    await writeFile(
      join(h.dataDir, "store", "ingest", "7.ndjson"),
      `${line(journaled)}\n${line(stored)}\n${line(event()).slice(0, 40)}`,
    );
    await writeFile(join(h.dataDir, "store", "ingest", "8.ndjson"), `${line(journaled)}\n`);
    await h.reopen();
    expect(existsSync(join(h.dataDir, "store", "ingest", "7.ndjson"))).toBe(false);
    expect(h.store.stats().hotRows).toBe(2);
    expect(ids(await h.store.search(undefined, { limit: 10 })).sort()).toEqual(
      [stored.id, journaled.id].sort(),
    );
    expect(h.metrics.snapshot()["logpipe_local_store_journal_lines_discarded_total"]).toBe(1);
    // The stored event in 7 and the journaled one again in 8.
    expect(h.metrics.snapshot()["logpipe_local_store_duplicates_total"]).toBe(2);
    const fresh = event();
    await h.store.write([fresh]);
    expect(await h.store.search(undefined, { limit: 10 })).toHaveLength(3);
  });

  it("answers a write once it is journaled and makes it searchable within the refresh interval", async () => {
    h = await openHarness({ refresh: { interval_ms: 50 } });
    await h.store.write([event(), event()]);
    expect(h.store.stats()).toMatchObject({ stagedRows: 2, hotRows: 0 });
    const deadline = Date.now() + 10_000;
    while (h.store.stats().hotRows < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(h.store.stats()).toMatchObject({ stagedRows: 0, hotRows: 2 });
    expect(h.metrics.snapshot()["logpipe_local_store_rows_written_total"]).toBe(2);
  });

  it("loads as soon as refresh.max_rows events are journaled", async () => {
    h = await openHarness({ refresh: { interval_ms: 60_000, max_rows: 3 } });
    await h.store.write([event(), event(), event()]);
    const deadline = Date.now() + 10_000;
    while (h.store.stats().hotRows < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(h.store.stats().hotRows).toBe(3);
  });

  it("answers writes as retryable past max_backlog_rows, and takes them again once loaded", async () => {
    h = await openHarness({ refresh: { interval_ms: 60_000, max_backlog_rows: 2 } });
    expect(await h.store.write([event(), event()])).toEqual([{ status: "accepted" }, { status: "accepted" }]);
    const refused = await h.store.write([event()]);
    expect(refused[0]).toMatchObject({ status: "retryable", reason: expect.stringContaining("backlog") });
    await h.store.refresh();
    expect(await h.store.write([event()])).toEqual([{ status: "accepted" }]);
  });

  it("answers a write it could not journal as retryable and stores it once when sent again", async () => {
    h = await openHarness();
    await rm(join(h.dataDir, "store", "ingest"), { recursive: true });
    const batch = [event(), event()];
    const failed = await h.store.write(batch);
    expect(failed.map((o) => o.status)).toEqual(["retryable", "retryable"]);
    expect(failed[0]).toMatchObject({ reason: expect.stringContaining("journal append failed") });
    expect(h.metrics.snapshot()["logpipe_local_store_write_errors_total"]).toBe(1);
    await mkdir(join(h.dataDir, "store", "ingest"));
    expect(await h.store.write(batch)).toEqual([{ status: "accepted" }, { status: "accepted" }]);
    expect(await h.store.search(undefined, { limit: 10 })).toHaveLength(2);
  });

  it("shuts down twice, without start, and answers writes afterwards as retryable", async () => {
    h = await openHarness();
    await h.store.shutdown();
    await h.store.shutdown();
    const outcomes = await h.store.write([event()]);
    expect(outcomes[0]).toMatchObject({ status: "retryable" });
    await expect(h.store.search(undefined, { limit: 1 })).rejects.toMatchObject({ code: "store_closed" });
  });

  it("flushes on its own once max_rows rows are pending", async () => {
    h = await openHarness({ flush: { max_rows: 5, interval_ms: 3_600_000 } });
    await h.store.start();
    await h.store.write(Array.from({ length: 6 }, () => event()));
    const deadline = Date.now() + 20_000;
    while (h.store.stats().lakeFiles === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(h.store.stats()).toMatchObject({ lakeFiles: 1, pendingRows: 0, lakeRows: 6 });
  });

  it("keeps everything across a shutdown and reopen", async () => {
    h = await openHarness();
    const first = [event(), event()];
    await h.store.write(first);
    await h.store.flush();
    const second = [event()];
    await h.store.write(second);
    await h.reopen();
    expect(await h.store.search(undefined, { limit: 10 })).toHaveLength(3);
    expect((await h.store.sql("SELECT count(*) FROM logs")).rows).toEqual([[3]]);
    expect(h.store.stats()).toMatchObject({ hotRows: 3, pendingRows: 0, lakeRows: 3 });
    await h.store.write(first);
    expect((await h.store.sql("SELECT count(*) FROM logs")).rows).toEqual([[3]]);
  });
});
