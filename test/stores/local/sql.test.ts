import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { duckdbColumns } from "../../../core/event/projections/duckdb.js";
import {
  decodeTailCursor,
  EVENT_JSON_STRUCTURE,
  encodeTailCursor,
  eventsTableDdl,
  insertFileSql,
  insertSql,
  logsViewSql,
  searchSql,
  sqlString,
  tailSql,
} from "../../../stores/local/sql.js";

describe("search SQL", () => {
  it("keeps the caller's placeholders and numbers the time bounds after them", () => {
    const { sql, params } = searchSql(
      { where: `"level" = $1 AND "service" = $2`, params: ["error", "api"] },
      { sinceMs: 1000, untilMs: 2000, limit: 50 },
    );
    expect(sql).toContain(`("level" = $1 AND "service" = $2)`);
    expect(sql).toContain(`"@timestamp" >= epoch_ms($3::BIGINT)`);
    expect(sql).toContain(`"@timestamp" < epoch_ms($4::BIGINT)`);
    expect(sql).toMatch(/ORDER BY "@timestamp" DESC, "id" DESC LIMIT 50$/);
    expect(params).toEqual(["error", "api", 1000, 2000]);
  });

  it("selects every projection column and no filter without a condition", () => {
    const { sql, params } = searchSql(undefined, { limit: 10 });
    for (const column of duckdbColumns()) expect(sql).toContain(`"${column.name}"`);
    expect(sql).not.toContain("WHERE");
    expect(params).toEqual([]);
  });

  it("treats a blank condition as none", () => {
    expect(searchSql({ where: "  ", params: [] }, { limit: 1 }).sql).not.toContain("WHERE");
  });

  it.each([-1, 1.5, Number.NaN])("refuses the limit %s", (limit) => {
    expect(() => searchSql(undefined, { limit })).toThrow(RangeError);
  });
});

describe("tail cursors", () => {
  it.each([{ seq: 0 }, { seq: 42 }, { seq: 7, id: "abc" }, { seq: 7, id: "with:colon\nand newline" }])(
    "round-trips %j",
    (position) => {
      expect(decodeTailCursor(encodeTailCursor(position))).toEqual(position);
    },
  );

  it.each(["", "x", "-1", "1.5", "12345678901234567", ":id"])("refuses the cursor %j", (cursor) => {
    expect(decodeTailCursor(cursor)).toBeUndefined();
  });

  it("continues within a batch after the last id seen", () => {
    const { sql, params } = tailSql(
      { where: `"level" = $1`, params: ["warn"] },
      {
        after: { seq: 3, id: "b" },
        upToSeq: 9,
        limit: 5,
      },
    );
    expect(sql).toContain(`("_seq" > $2::BIGINT OR ("_seq" = $2::BIGINT AND "id" > $3))`);
    expect(sql).toContain(`"_seq" <= $4::BIGINT`);
    expect(params).toEqual(["warn", 3, "b", 9]);
  });
});

describe("statements run against DuckDB", () => {
  it("quotes string literals", async () => {
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    const reader = await connection.runAndReadAll(`SELECT ${sqlString("it's a 'test'")}`);
    expect(reader.getRows()[0]?.[0]).toBe("it's a 'test'");
    connection.closeSync();
    instance.closeSync();
  });

  it("describes every projection column in the JSON structure of an insert", () => {
    const structure = JSON.parse(EVENT_JSON_STRUCTURE) as Record<string, unknown>;
    expect(Object.keys(structure)).toEqual(duckdbColumns().map((c) => c.name));
    expect(structure["@timestamp"]).toBe("TIMESTAMP_MS");
    expect(structure.http).toMatchObject({ status: "INTEGER", latency_ms: "DOUBLE" });
    expect(insertSql()).toContain(`from_json(line, ${sqlString(EVENT_JSON_STRUCTURE)})`);
  });

  it("bounds the redelivery check with constants of the column's type, so row groups can be skipped", () => {
    for (const sql of [insertFileSql(), insertSql(), insertFileSql(true), insertSql(true)]) {
      expect(sql).toContain(
        `"@timestamp" BETWEEN epoch_ms($3::BIGINT)::TIMESTAMP_MS AND epoch_ms($4::BIGINT)::TIMESTAMP_MS`,
      );
    }
  });

  it("removes repeats within the source only when asked to", () => {
    for (const build of [insertFileSql, insertSql]) {
      expect(build()).not.toContain("QUALIFY");
      expect(build(true)).toContain(`QUALIFY row_number() OVER (PARTITION BY "id", "@timestamp") = 1`);
    }
  });

  it("creates the hot table without a key on id", () => {
    expect(eventsTableDdl()).not.toContain("PRIMARY KEY");
    expect(eventsTableDdl()).toContain(`"id" VARCHAR NOT NULL`);
  });

  it("defines a logs view of pending rows alone while the lake has no file", () => {
    const sql = logsViewSql({});
    expect(sql).not.toContain("read_parquet");
    expect(sql).toContain(`AS "dt"`);
    expect(logsViewSql({ files: [] })).not.toContain("read_parquet");
    expect(logsViewSql({ files: "/lake/logs/**/*.parquet" })).toContain("hive_types_autocast = false");
  });
});
