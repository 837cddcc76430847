import { copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterEach, describe, expect, it } from "vitest";
import { type ParquetField, parquetSchema } from "../../../core/event/projections/parquet.js";
import { event, type Harness, lakeFiles, openHarness, T0, withDuckDb, writeParquet } from "./helpers.js";

let h: Harness;
afterEach(async () => {
  await h?.cleanup();
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PART = /^part-[0-9A-HJKMNP-TV-Z]{26}\.parquet$/;

async function count(sql = "SELECT count(*) FROM logs"): Promise<unknown> {
  return (await h.store.sql(sql)).rows[0]?.[0];
}

describe("flush", () => {
  it("writes one file per service and hour, in the exact Hive layout of the S3 lake", async () => {
    h = await openHarness();
    await h.store.write([
      event({ service: "checkout", at: T0 }),
      event({ service: "checkout", at: T0 + 1 }),
      event({ service: "checkout", at: T0 + HOUR }),
      event({ service: "pay/ments=1", at: T0 }),
    ]);
    expect(await h.store.flush()).toEqual({ files: 3, rows: 4 });
    const files = await lakeFiles(h.dataDir);
    const dirs = files.map((f) => f.slice(0, f.lastIndexOf("/")));
    expect(dirs).toEqual([
      "logs/service=checkout/dt=2026-01-05/hour=10",
      "logs/service=checkout/dt=2026-01-05/hour=11",
      "logs/service=pay%2Fments%3D1/dt=2026-01-05/hour=10",
    ]);
    for (const f of files) expect(f.slice(f.lastIndexOf("/") + 1)).toMatch(PART);
    expect(h.store.stats()).toMatchObject({ pendingRows: 0, lakeFiles: 3, lakeRows: 4 });
    expect(h.metrics.snapshot()["logpipe_local_store_lake_files_written_total"]).toBe(3);
  });

  it("writes zstd Parquet with the columns and types of the Parquet projection", async () => {
    h = await openHarness();
    await h.store.write([
      event({
        http: { method: "GET", status: 200, latency_ms: 1.5 },
        attrs: { a: "b" },
        ingest_time: "2026-01-05T10:00:01.000Z",
      }),
    ]);
    await h.store.flush();
    const [file] = await lakeFiles(h.dataDir);
    const path = join(h.dataDir, "lake", file!);
    await withDuckDb(async (c) => {
      const schema = (
        await c.runAndReadAll(
          `SELECT name, type, converted_type, num_children FROM parquet_schema('${path}')`,
        )
      ).getRowObjectsJson();
      // Walk the file's schema tree in order, next to the projection's.
      let at = 1;
      const expectField = (field: ParquetField) => {
        const node = schema[at++]!;
        expect(node.name).toBe(field.name);
        if (field.fields) {
          expect(Number(node.num_children)).toBe(field.fields.length);
          for (const child of field.fields) expectField(child);
          return;
        }
        const want = {
          STRING: ["BYTE_ARRAY", "UTF8"],
          TIMESTAMP_MILLIS: ["INT64", "TIMESTAMP_MILLIS"],
          INT32: ["INT32", "INT_32"],
          DOUBLE: ["DOUBLE", null],
          "MAP<STRING,STRING>": [null, "MAP"],
        }[field.type!];
        expect([node.type, node.converted_type], field.name).toEqual(want);
        if (field.type === "MAP<STRING,STRING>") at += 3; // key_value group, key, value
      };
      for (const field of parquetSchema()) expectField(field);
      expect(at).toBe(schema.length);
      const codecs = (
        await c.runAndReadAll(`SELECT DISTINCT compression FROM parquet_metadata('${path}')`)
      ).getRows();
      expect(codecs).toEqual([["ZSTD"]]);
    });
  });

  it("leaves the file readable by a plain DuckDB with hive partitioning, service from the path", async () => {
    h = await openHarness();
    await h.store.write([event({ service: "pay/ments=1" }), event({ service: "checkout" })]);
    await h.store.flush();
    const rows = await withDuckDb(async (c) =>
      (
        await c.runAndReadAll(
          `SELECT service, dt, hour FROM read_parquet('${join(h.dataDir, "lake")}/logs/**/*.parquet', hive_partitioning = true, hive_types_autocast = false) ORDER BY service`,
        )
      ).getRows(),
    );
    expect(rows).toEqual([
      ["checkout", "2026-01-05", "10"],
      ["pay/ments=1", "2026-01-05", "10"],
    ]);
  });

  it("does nothing when no row is pending", async () => {
    h = await openHarness();
    expect(await h.store.flush()).toEqual({ files: 0, rows: 0 });
    expect(await lakeFiles(h.dataDir)).toEqual([]);
  });
});

describe("the logs view", () => {
  it("works before the lake has any file", async () => {
    h = await openHarness();
    expect(await count()).toBe(0);
    await h.store.write([event()]);
    expect(await count()).toBe(1);
  });

  it("counts lake and pending rows exactly once each across a flush", async () => {
    h = await openHarness();
    const first = [event(), event(), event()];
    await h.store.write(first);
    await h.store.flush();
    await h.store.write([event(), event(), first[0]!]);
    expect(await count()).toBe(5);
    expect(await count("SELECT count(DISTINCT id) FROM logs")).toBe(5);
    await h.store.flush();
    expect(await count()).toBe(5);
  });

  it("shows a row once while it is both pending and in a lake file (a flush between rename and commit)", async () => {
    h = await openHarness();
    const pending = [event(), event()];
    await h.store.write(pending);
    await writeParquet(
      join(h.dataDir, "lake", "logs/service=checkout/dt=2026-01-05/hour=10/part-inflight.parquet"),
      pending,
    );
    expect(await count()).toBe(2);
  });

  it("offers service, dt and hour as text columns, the same before and after a flush", async () => {
    h = await openHarness();
    await h.store.write([
      event({ service: "pay/ments=1", at: T0 }),
      event({ at: T0 + HOUR }),
      event({ at: T0 + HOUR }),
    ]);
    const query = `SELECT service, dt, hour, count(*) AS n FROM logs GROUP BY ALL ORDER BY ALL`;
    const before = await h.store.sql(query);
    await h.store.flush();
    const after = await h.store.sql(query);
    expect(after.rows).toEqual([
      ["checkout", "2026-01-05", "11", 2],
      ["pay/ments=1", "2026-01-05", "10", 1],
    ]);
    expect(before.rows).toEqual(after.rows);
    expect(after.columns.slice(0, 3).map((c) => c.type)).toEqual(["VARCHAR", "VARCHAR", "VARCHAR"]);
  });

  it("round-trips attrs with quotes, dots and unicode in keys through search and SQL", async () => {
    h = await openHarness();
    const attrs = {
      "a.b.c": "dots",
      'it\'s "quoted"': "q",
      日本語: "ユニコード",
      "": "empty key",
      "x\\y": "back",
    };
    const e = event({ attrs });
    await h.store.write([e]);
    expect((await h.store.search(undefined, { limit: 1 }))[0]?.attrs).toEqual(attrs);
    expect((await h.store.sql("SELECT attrs FROM logs")).rows[0]?.[0]).toEqual(attrs);
    await h.store.flush();
    expect((await h.store.sql("SELECT attrs FROM logs")).rows[0]?.[0]).toEqual(attrs);
    expect((await h.store.sql(`SELECT attrs['it''s "quoted"'] FROM logs`)).rows[0]?.[0]).toBe("q");
  });
});

describe("compaction", () => {
  it("merges the small files of a closed hour into one and keeps every row once", async () => {
    h = await openHarness();
    for (let i = 0; i < 4; i++) {
      await h.store.write([event(), event()]);
      await h.store.flush();
    }
    expect(await lakeFiles(h.dataDir)).toHaveLength(4);
    h.clock.now = T0 + 2 * HOUR;
    expect(await h.store.compact()).toEqual({ partitions: 1, filesMerged: 4, rows: 8 });
    const files = await lakeFiles(h.dataDir);
    expect(files).toHaveLength(1);
    expect(files[0]!.split("/").at(-1)).toMatch(PART);
    expect(await count()).toBe(8);
    expect(await count("SELECT count(DISTINCT id) FROM logs")).toBe(8);
    expect(h.store.stats()).toMatchObject({ lakeFiles: 1, lakeRows: 8 });
    expect(h.metrics.snapshot()["logpipe_local_store_lake_files_compacted_total"]).toBe(4);
  });

  it("leaves the current hour alone", async () => {
    h = await openHarness();
    for (let i = 0; i < 3; i++) {
      await h.store.write([event()]);
      await h.store.flush();
    }
    expect(await h.store.compact()).toEqual({ partitions: 0, filesMerged: 0, rows: 0 });
    expect(await lakeFiles(h.dataDir)).toHaveLength(3);
  });

  it("removes an id stored twice after it left the hot table and came again", async () => {
    h = await openHarness({ retention: { hot: "1h", lake: "30d" } });
    const e = event();
    await h.store.write([e]);
    await h.store.flush();
    h.clock.now = T0 + 2 * HOUR;
    expect((await h.store.applyRetention()).hotRowsDeleted).toBe(1);
    await h.store.write([e]);
    await h.store.flush();
    expect(await count()).toBe(2);
    await h.store.compact();
    expect(await count()).toBe(1);
  });

  it("keeps the projection's column types in the merged file", async () => {
    h = await openHarness();
    for (let i = 0; i < 2; i++) {
      await h.store.write([event()]);
      await h.store.flush();
    }
    h.clock.now = T0 + 2 * HOUR;
    await h.store.compact();
    const [file] = await lakeFiles(h.dataDir);
    const types = await withDuckDb(async (c) =>
      (
        await c.runAndReadAll(
          `SELECT name, converted_type FROM parquet_schema('${join(h.dataDir, "lake", file!)}') WHERE name IN ('@timestamp', 'ingest_time')`,
        )
      ).getRows(),
    );
    expect(types).toEqual([
      ["@timestamp", "TIMESTAMP_MILLIS"],
      ["ingest_time", "TIMESTAMP_MILLIS"],
    ]);
  });
});

describe("retention", () => {
  it("deletes old hot rows only once they are in lake files", async () => {
    h = await openHarness();
    await h.store.write([event(), event()]);
    h.clock.now = T0 + 8 * DAY;
    expect((await h.store.applyRetention()).hotRowsDeleted).toBe(0);
    await h.store.flush();
    expect((await h.store.applyRetention()).hotRowsDeleted).toBe(2);
    expect(await h.store.search(undefined, { limit: 10 })).toEqual([]);
    expect(await count()).toBe(2);
    expect(h.metrics.snapshot()["logpipe_local_store_retention_rows_deleted_total"]).toBe(2);
  });

  it("deletes lake hour partitions once they are entirely older than the lake retention", async () => {
    h = await openHarness();
    await h.store.write([event({ at: T0 }), event({ at: T0 + DAY, service: "web" })]);
    await h.store.flush();
    h.clock.now = T0 + HOUR + 30 * DAY + 1;
    expect((await h.store.applyRetention()).partitionsDeleted).toBe(1);
    const files = await lakeFiles(h.dataDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^logs\/service=web\/dt=2026-01-06\/hour=10\//);
    expect(await count()).toBe(1);
    expect(h.store.stats()).toMatchObject({ lakeFiles: 1, lakeRows: 1 });
  });

  it("keeps a partition whose hour has not entirely passed the retention", async () => {
    h = await openHarness();
    await h.store.write([event({ at: T0 })]);
    await h.store.flush();
    h.clock.now = T0 + 30 * DAY + HOUR - 1;
    expect((await h.store.applyRetention()).partitionsDeleted).toBe(0);
  });
});

describe("crash recovery", () => {
  it("deletes files a flush wrote but never committed, on the next open", async () => {
    h = await openHarness();
    await h.store.write([event(), event()]);
    await h.store.flush();
    const [file] = await lakeFiles(h.dataDir);
    const orphan = file!.replace(/part-[^/]+$/, "part-00000000000000000000000000.parquet");
    await h.store.shutdown();
    // What a crash between rename and commit leaves: a renamed file still listed for unlinking.
    await copyFile(join(h.dataDir, "lake", file!), join(h.dataDir, "lake", orphan));
    await writeFile(join(h.dataDir, "lake", `${orphan}.tmp`), "partial");
    const db = await DuckDBInstance.create(join(h.dataDir, "store", "logpipe.duckdb"));
    const c = await db.connect();
    await c.run(`INSERT INTO lake_unlink VALUES ('${orphan}')`);
    c.closeSync();
    db.closeSync();
    await h.reopen();
    expect(await lakeFiles(h.dataDir)).toEqual([file]);
    expect(await count()).toBe(2);
  });
});

describe("concurrency", () => {
  it("keeps every id exactly once while writes, flushes, retention, compaction and queries interleave", async () => {
    h = await openHarness({ retention: { hot: "1h", lake: "30d" } });
    const refused: unknown[] = [];
    let written = 0;
    const writes = (async () => {
      for (let i = 0; i < 30; i++) {
        const batch = Array.from({ length: 300 }, (_, j) => event({ at: T0 + i * 60_000 + j }));
        written += batch.length;
        for (const outcome of await h.store.write(batch))
          if (outcome.status !== "accepted") refused.push(outcome);
        if (i % 5 === 0) await h.store.write(batch.slice(0, 20));
      }
    })();
    const upkeep = (async () => {
      for (let i = 0; i < 15; i++) {
        h.clock.now = T0 + 3 * HOUR + i * 60_000;
        await h.store.flush();
        await h.store.applyRetention();
        await h.store.compact();
        await h.store.sql("SELECT count(*) FROM logs");
      }
    })();
    await Promise.all([writes, upkeep]);
    expect(refused).toEqual([]);
    expect((await h.store.sql("SELECT count(*), count(DISTINCT id) FROM logs")).rows).toEqual([
      [written, written],
    ]);
    await h.store.flush();
    await h.store.compact();
    expect((await h.store.sql("SELECT count(*), count(DISTINCT id) FROM logs")).rows).toEqual([
      [written, written],
    ]);
  });
});
