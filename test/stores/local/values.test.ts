import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventFromRow, jsonSafe } from "../../../stores/local/values.js";

let instance: DuckDBInstance;
async function one(sql: string): Promise<unknown> {
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    return jsonSafe(reader.getRows()[0]![0]!);
  } finally {
    connection.closeSync();
  }
}

beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:");
  const c = await instance.connect();
  await c.run("SET TimeZone = 'UTC'");
  c.closeSync();
});
afterAll(() => instance.closeSync());

describe("jsonSafe", () => {
  it("turns safe integers into numbers and larger ones into strings", async () => {
    expect(await one("SELECT 42::BIGINT")).toBe(42);
    expect(await one("SELECT 12345678901234567890::UBIGINT")).toBe("12345678901234567890");
    expect(await one("SELECT (-9007199254740993)::HUGEINT")).toBe("-9007199254740993");
  });

  it("writes every timestamp precision as ISO-8601 UTC", async () => {
    expect(await one("SELECT TIMESTAMP_MS '2026-01-05 10:00:00.123'")).toBe("2026-01-05T10:00:00.123Z");
    expect(await one("SELECT TIMESTAMP '2026-01-05 10:00:00.123456'")).toBe("2026-01-05T10:00:00.123Z");
    expect(await one("SELECT TIMESTAMP_NS '1969-12-31 23:59:59.999999999'")).toBe("1969-12-31T23:59:59.999Z");
    expect(await one("SELECT TIMESTAMP_S '2026-01-05 10:00:00'")).toBe("2026-01-05T10:00:00.000Z");
    expect(await one("SELECT TIMESTAMPTZ '2026-01-05 12:00:00+02'")).toBe("2026-01-05T10:00:00.000Z");
    expect(await one("SELECT 'infinity'::TIMESTAMP")).toBe("infinity");
  });

  it("keeps non-finite doubles as text, which JSON cannot hold", async () => {
    expect(await one("SELECT 'NaN'::DOUBLE")).toBe("NaN");
    expect(await one("SELECT 1.5::DOUBLE")).toBe(1.5);
    expect(await one("SELECT 12.25::DECIMAL(10,2)")).toBe(12.25);
  });

  it("converts nested lists, structs and maps", async () => {
    expect(await one("SELECT {'a': [1, 2], 'b': MAP {'k': TIMESTAMP_MS '2026-01-05 10:00:00'}}")).toEqual({
      a: [1, 2],
      b: { k: "2026-01-05T10:00:00.000Z" },
    });
    expect(await one("SELECT MAP {1: 'one'}")).toEqual([{ key: 1, value: "one" }]);
  });

  it("uses DuckDB's text for dates, intervals, blobs and UUIDs", async () => {
    expect(await one("SELECT DATE '2026-01-05'")).toBe("2026-01-05");
    expect(await one("SELECT INTERVAL 90 MINUTE")).toBe("01:30:00");
    expect(await one("SELECT 'ab'::BLOB")).toBe("ab");
    expect(await one("SELECT '4cecb39d-f7fb-489f-a176-82abc59a07cd'::UUID")).toBe(
      "4cecb39d-f7fb-489f-a176-82abc59a07cd",
    );
  });
});

describe("eventFromRow", () => {
  it("omits NULL fields, an all-NULL http struct and unknown columns", async () => {
    const connection = await instance.connect();
    const reader = await connection.runAndReadAll(
      `SELECT 'e1' AS id, TIMESTAMP_MS '2026-01-05 10:00:00.5' AS "@timestamp", NULL::VARCHAR AS env,
       {'method': NULL::VARCHAR, 'status': NULL::INTEGER} AS http, MAP {'a.b': 'x'} AS attrs, 7 AS _seq`,
    );
    connection.closeSync();
    expect(eventFromRow(reader.columnNames(), reader.getRows()[0]!)).toEqual({
      id: "e1",
      "@timestamp": "2026-01-05T10:00:00.500Z",
      attrs: { "a.b": "x" },
    });
  });

  it("keeps the members of http that are set", async () => {
    const connection = await instance.connect();
    const reader = await connection.runAndReadAll(
      `SELECT {'method': 'GET', 'status': 200, 'latency_ms': NULL::DOUBLE} AS http`,
    );
    connection.closeSync();
    expect(eventFromRow(reader.columnNames(), reader.getRows()[0]!)).toEqual({
      http: { method: "GET", status: 200 },
    });
  });
});
