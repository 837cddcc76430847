import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { event, type Harness, openHarness, T0 } from "./helpers.js";

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
  await h.store.write([event({ level: "error", at: T0 }), event({ at: T0 + 1 }), event({ at: T0 + 2 })]);
  await h.store.flush();
  await h.store.write([event({ at: T0 + 3 })]);
});
afterAll(async () => {
  await h?.cleanup();
});

describe("sql", () => {
  it("answers columns with their types and JSON-safe rows", async () => {
    const result = await h.store.sql(
      `SELECT level, count(*) AS n, max("@timestamp") AS last FROM logs GROUP BY level ORDER BY level`,
    );
    expect(result.columns).toEqual([
      { name: "level", type: "VARCHAR" },
      { name: "n", type: "BIGINT" },
      { name: "last", type: "TIMESTAMP" },
    ]);
    expect(result.rows).toEqual([
      ["error", 1, "2026-01-05T10:00:00.000Z"],
      ["info", 3, "2026-01-05T10:00:00.003Z"],
    ]);
    expect(result.truncated).toBe(false);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it("allows WITH, DESCRIBE, SHOW and SUMMARIZE", async () => {
    expect((await h.store.sql("WITH x AS (SELECT 1 AS a) SELECT a FROM x")).rows).toEqual([[1]]);
    const described = await h.store.sql("DESCRIBE logs");
    expect(described.rows.map((r) => r[0])).toEqual(expect.arrayContaining(["id", "service", "dt", "hour"]));
    expect((await h.store.sql("SHOW TABLES")).rows.length).toBeGreaterThan(0);
    expect((await h.store.sql("SUMMARIZE SELECT level FROM logs")).rows).toHaveLength(1);
  });

  it("cuts a large answer at maxRows and says so", async () => {
    const result = await h.store.sql("SELECT * FROM range(5000)", { maxRows: 10 });
    expect(result.rows).toHaveLength(10);
    expect(result.truncated).toBe(true);
  });

  it.each([
    ["DROP TABLE events", "sql_not_read_only"],
    ["DELETE FROM events", "sql_not_read_only"],
    ["INSERT INTO events SELECT * FROM events", "sql_not_read_only"],
    ["UPDATE events SET level = 'x'", "sql_not_read_only"],
    ["CREATE TABLE x AS SELECT 1", "sql_not_read_only"],
    ["COPY events TO '/tmp/stolen.csv'", /sql_not_read_only|sql_invalid/],
    ["ATTACH ':memory:' AS other", "sql_not_read_only"],
    ["SET enable_external_access = true", "sql_not_read_only"],
    ["CALL checkpoint()", "sql_not_read_only"],
    ["INSTALL httpfs", "sql_not_read_only"],
    ["EXPLAIN ANALYZE DELETE FROM events", "sql_not_read_only"],
    ["EXPORT DATABASE '/tmp/x'", /sql_not_read_only|sql_invalid/],
    ["SELECT 1; DROP TABLE events", "sql_multiple_statements"],
    ["", "sql_empty"],
    ["  -- only a comment\n", "sql_empty"],
    [";", "sql_empty"],
    ["SELEC 1", "sql_invalid"],
    ["SELECT * FROM no_such_table", "sql_invalid"],
  ] as [string, string | RegExp][])("refuses %j", async (query, code) => {
    await expect(h.store.sql(query)).rejects.toMatchObject({
      name: "LocalQueryError",
      code: typeof code === "string" ? code : expect.stringMatching(code),
    });
    expect((await h.store.sql("SELECT count(*) FROM events")).rows).toEqual([[4]]);
  });

  it("cannot read files outside the store and the lake", async () => {
    await expect(h.store.sql("SELECT * FROM read_csv('/etc/passwd')")).rejects.toMatchObject({
      code: "sql_invalid",
      message: expect.stringMatching(/disabled by configuration|Permission/i),
    });
    await expect(h.store.sql("SELECT * FROM glob('/etc/*')")).rejects.toMatchObject({ code: "sql_invalid" });
  });

  it("reads the lake files by name when asked", async () => {
    const result = await h.store.sql(
      `SELECT count(*) FROM read_parquet('${h.dataDir}/lake/logs/**/*.parquet')`,
    );
    expect(result.rows).toEqual([[3]]);
  });

  it("stops a query when its signal aborts", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(h.store.sql("SELECT 1", { signal: controller.signal })).rejects.toMatchObject({
      code: "query_aborted",
    });
  });

  it("runs concurrent queries side by side", async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () => h.store.sql("SELECT count(*) FROM logs")),
    );
    expect(results.map((r) => r.rows[0]?.[0])).toEqual([4, 4, 4, 4, 4]);
  });
});
