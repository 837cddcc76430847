import { AthenaClient } from "@aws-sdk/client-athena";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Clock } from "../../../core/retry.js";
import { AthenaQueryError, runAthenaQuery } from "../../../stores/lake/athena.js";
import { FakeAthena } from "../../support/fake-athena.js";

let fake: FakeAthena;
let client: AthenaClient;

beforeAll(async () => {
  fake = await FakeAthena.start();
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.pollsQueued = 1;
  fake.pollsRunning = 1;
  // One attempt per call: waits belong to the retry loop under test, which runs on a fake clock.
  client = new AthenaClient({
    endpoint: fake.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
});

afterEach(() => {
  client.destroy();
});

/** A clock that never waits: it records each sleep and moves time forward. */
function fakeClock(onSleep?: (count: number) => void): Clock & { sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    async sleep(ms, signal) {
      signal?.throwIfAborted();
      sleeps.push(ms);
      now += ms;
      onSleep?.(sleeps.length);
      signal?.throwIfAborted();
    },
  };
}

const request = { database: "logpipe", workgroup: "analytics", outputLocation: "s3://results/athena/" };

describe("runAthenaQuery through the Athena fake", () => {
  it("reads a result of three pages, skipping the header and converting values by type", async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => [
      `svc-${i}`,
      String(i),
      i % 2 === 0 ? "true" : "false",
      i === 7 ? null : `${i}.5`,
    ]);
    const sql = "SELECT service, n, ok, avg FROM logs";
    fake.script(sql, {
      kind: "succeed",
      columns: [
        { name: "service", type: "varchar" },
        { name: "n", type: "bigint" },
        { name: "ok", type: "boolean" },
        { name: "avg", type: "double" },
      ],
      rows,
    });

    const result = await runAthenaQuery(client, { ...request, sql }, { clock: fakeClock() });

    expect(result.columns).toEqual([
      { name: "service", type: "varchar" },
      { name: "n", type: "bigint" },
      { name: "ok", type: "boolean" },
      { name: "avg", type: "double" },
    ]);
    expect(result.rows).toHaveLength(2500);
    expect(result.rows[0]).toEqual(["svc-0", 0, true, 0.5]);
    expect(result.rows[7]).toEqual(["svc-7", 7, false, null]);
    expect(result.rows[2499]).toEqual(["svc-2499", 2499, false, 2499.5]);
    const pages = fake.calls.filter(
      (c) => c.operation === "GetQueryResults" && c.body.QueryExecutionId === result.queryExecutionId,
    );
    expect(pages).toHaveLength(3);
    expect(pages.map((p) => p.body.NextToken === undefined)).toEqual([true, false, false]);
    expect(result.truncated).toBe(false);
  });

  it("starts the query with the database, catalog, workgroup and output location", async () => {
    fake.script("SELECT 1", {
      kind: "succeed",
      columns: [{ name: "_col0", type: "integer" }],
      rows: [["1"]],
    });
    const result = await runAthenaQuery(
      client,
      { ...request, catalog: "AwsDataCatalog", sql: "SELECT 1" },
      { clock: fakeClock() },
    );
    expect(result.rows).toEqual([[1]]);
    const query = fake.queries.get(result.queryExecutionId)!;
    expect(query).toMatchObject({
      sql: "SELECT 1",
      database: "logpipe",
      catalog: "AwsDataCatalog",
      workgroup: "analytics",
      outputLocation: "s3://results/athena/",
    });
  });

  it("reads an empty result as columns without rows", async () => {
    fake.script("SELECT x FROM logs WHERE false", {
      kind: "succeed",
      columns: [{ name: "x", type: "varchar" }],
      rows: [],
    });
    const result = await runAthenaQuery(
      client,
      { ...request, sql: "SELECT x FROM logs WHERE false" },
      { clock: fakeClock() },
    );
    expect(result).toMatchObject({ columns: [{ name: "x", type: "varchar" }], rows: [] });
  });

  it("keeps the first row of a DDL result, which has no header", async () => {
    fake.script("SHOW TABLES", {
      kind: "succeed",
      statementType: "DDL",
      columns: [{ name: "tab_name", type: "string" }],
      rows: [["logs"], ["events"]],
    });
    const result = await runAthenaQuery(client, { ...request, sql: "SHOW TABLES" }, { clock: fakeClock() });
    expect(result.rows).toEqual([["logs"], ["events"]]);
  });

  it("rejects a FAILED query with Athena's reason, error category and type", async () => {
    fake.script(/FROM nowhere/, {
      kind: "fail",
      reason: "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.logpipe.nowhere' does not exist",
      errorCategory: 2,
      errorType: 1301,
    });
    const error = await runAthenaQuery(
      client,
      { ...request, sql: "SELECT * FROM nowhere" },
      { clock: fakeClock() },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AthenaQueryError);
    const e = error as AthenaQueryError;
    expect(e.message).toContain(
      "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.logpipe.nowhere' does not exist",
    );
    expect(e.message).toContain("error category 2 (user)");
    expect(e).toMatchObject({
      code: "failed",
      state: "FAILED",
      errorCategory: 2,
      errorType: 1301,
      name: "AthenaQueryError",
    });
    expect(fake.callsOf("GetQueryResults").some((c) => c.body.QueryExecutionId === e.queryExecutionId)).toBe(
      false,
    );
  });

  it("rejects a CANCELLED query with a clear error", async () => {
    fake.script("SELECT slow()", { kind: "cancel", reason: "Query cancelled by workgroup admin" });
    const error = (await runAthenaQuery(
      client,
      { ...request, sql: "SELECT slow()" },
      { clock: fakeClock() },
    ).catch((e: unknown) => e)) as AthenaQueryError;
    expect(error).toBeInstanceOf(AthenaQueryError);
    expect(error.code).toBe("cancelled");
    expect(error.message).toMatch(/was cancelled: Query cancelled by workgroup admin/);
  });

  it("stops the query in Athena when aborted while it runs, then rejects with the abort reason", async () => {
    fake.script("SELECT forever()", { kind: "hang" });
    const controller = new AbortController();
    const clock = fakeClock((count) => {
      if (count === 3) controller.abort(new Error("user pressed ctrl-c"));
    });
    await expect(
      runAthenaQuery(client, { ...request, sql: "SELECT forever()" }, { clock, signal: controller.signal }),
    ).rejects.toThrow("user pressed ctrl-c");
    const id = [...fake.queries.values()].find((q) => q.sql === "SELECT forever()")!.id;
    expect(fake.callsOf("StopQueryExecution").map((c) => c.body.QueryExecutionId)).toContain(id);
    expect(fake.queries.get(id)!.stopped).toBe(true);
  });

  it("starts nothing when the signal is already aborted", async () => {
    const before = fake.callsOf("StartQueryExecution").length;
    const controller = new AbortController();
    controller.abort(new Error("too late"));
    await expect(
      runAthenaQuery(client, { ...request, sql: "SELECT 1" }, { signal: controller.signal }),
    ).rejects.toThrow("too late");
    expect(fake.callsOf("StartQueryExecution")).toHaveLength(before);
  });

  it("polls with growing delays while the query is queued and running", async () => {
    fake.pollsQueued = 2;
    fake.pollsRunning = 3;
    fake.script("SELECT 2", {
      kind: "succeed",
      columns: [{ name: "_col0", type: "integer" }],
      rows: [["2"]],
    });
    const clock = fakeClock();
    const result = await runAthenaQuery(client, { ...request, sql: "SELECT 2" }, { clock });
    expect(result.rows).toEqual([[2]]);
    expect(clock.sleeps).toHaveLength(5);
    for (let i = 1; i < clock.sleeps.length; i++)
      expect(clock.sleeps[i]!).toBeGreaterThan(clock.sleeps[i - 1]!);
    expect(
      fake.callsOf("GetQueryExecution").filter((c) => c.body.QueryExecutionId === result.queryExecutionId),
    ).toHaveLength(6);
  });

  it("never waits longer than the poll cap between polls", async () => {
    fake.pollsQueued = 0;
    fake.pollsRunning = 30;
    fake.script("SELECT 3", {
      kind: "succeed",
      columns: [{ name: "_col0", type: "integer" }],
      rows: [["3"]],
    });
    const clock = fakeClock();
    await runAthenaQuery(client, { ...request, sql: "SELECT 3" }, { clock });
    expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(5000);
    expect(Math.min(...clock.sleeps.slice(-5))).toBeGreaterThanOrEqual(2500);
  });

  it("stops a query that outlives maxWaitMs and reports a timeout", async () => {
    fake.script("SELECT eternal()", { kind: "hang" });
    const clock = fakeClock();
    const error = (await runAthenaQuery(
      client,
      { ...request, sql: "SELECT eternal()" },
      { clock, maxWaitMs: 20_000 },
    ).catch((e: unknown) => e)) as AthenaQueryError;
    expect(error).toBeInstanceOf(AthenaQueryError);
    expect(error.code).toBe("timeout");
    expect(error.message).toContain("still RUNNING");
    expect(clock.now()).toBeLessThanOrEqual(20_000);
    expect(fake.queries.get(error.queryExecutionId!)!.stopped).toBe(true);
  });

  it("keeps polling through throttled GetQueryExecution calls, backing off at least the throttle floor", async () => {
    fake.script("SELECT 4", {
      kind: "succeed",
      columns: [{ name: "_col0", type: "integer" }],
      rows: [["4"]],
    });
    fake.failNext("GetQueryExecution", 2, "ThrottlingException");
    const clock = fakeClock();
    const result = await runAthenaQuery(client, { ...request, sql: "SELECT 4" }, { clock });
    expect(result.rows).toEqual([[4]]);
    expect(clock.sleeps.slice(0, 2).every((ms) => ms >= 1000)).toBe(true);
  });

  it("passes on Athena's InvalidRequestException for a request it refuses", async () => {
    await expect(
      runAthenaQuery(client, { ...request, sql: "" }, { clock: fakeClock() }),
    ).rejects.toMatchObject({
      name: "InvalidRequestException",
      message: expect.stringContaining("QueryString"),
    });
  });

  it("stops reading pages at maxRows and says the result was cut", async () => {
    const rows = Array.from({ length: 30 }, (_, i) => [String(i)]);
    fake.script("SELECT many", { kind: "succeed", columns: [{ name: "n", type: "integer" }], rows });
    const result = await runAthenaQuery(
      client,
      { ...request, sql: "SELECT many" },
      { clock: fakeClock(), pageSize: 10, maxRows: 15 },
    );
    expect(result.rows).toEqual(rows.slice(0, 15).map(([n]) => [Number(n)]));
    expect(result.truncated).toBe(true);
    expect(
      fake.callsOf("GetQueryResults").filter((c) => c.body.QueryExecutionId === result.queryExecutionId),
    ).toHaveLength(2);
  });

  it("answers every value of a wide result row by its column type, NULLs included", async () => {
    fake.script("SELECT types", {
      kind: "succeed",
      columns: [
        { name: "i", type: "integer" },
        { name: "s", type: "varchar" },
        { name: "e", type: "varchar" },
        { name: "t", type: "timestamp" },
        { name: "m", type: "map(varchar, varchar)" },
      ],
      rows: [["-5", null, "", "2026-01-05 10:00:00.000", "{a=1}"]],
    });
    const result = await runAthenaQuery(client, { ...request, sql: "SELECT types" }, { clock: fakeClock() });
    expect(result.rows).toEqual([[-5, null, "", "2026-01-05 10:00:00.000", "{a=1}"]]);
  });
});

describe("FakeAthena wire behaviour", () => {
  it("answers GetQueryResults for an unfinished query with InvalidRequestException", async () => {
    fake.pollsQueued = 5;
    fake.script("SELECT wait", { kind: "succeed", columns: [{ name: "x", type: "integer" }], rows: [] });
    const { StartQueryExecutionCommand, GetQueryResultsCommand } = await import("@aws-sdk/client-athena");
    const { QueryExecutionId } = await client.send(
      new StartQueryExecutionCommand({ QueryString: "SELECT wait" }),
    );
    await expect(client.send(new GetQueryResultsCommand({ QueryExecutionId }))).rejects.toMatchObject({
      name: "InvalidRequestException",
      message: expect.stringContaining("Query has not yet finished"),
    });
  });
});
