import { type DuckDBConnection, DuckDBInstance, type DuckDBValue, listValue } from "@duckdb/node-api";
import { duckdbCreateTableDdl, duckdbType } from "../../../core/event/projections/duckdb.js";
import {
  type LogEvent,
  LogEventSchema,
  SCHEMA_FIELDS,
  type SchemaField,
} from "../../../core/event/schema.js";

/**
 * A real in-memory DuckDB holding LogEvents in the table the local store uses
 * (`duckdbCreateTableDdl`), for running compiled queries. Rows are inserted with parameters
 * only, so hostile test values reach the table unchanged.
 */
export interface EventsTable {
  connection: DuckDBConnection;
  /** Ids of the events matching a WHERE condition, sorted. */
  ids(where: string, params: readonly DuckDBValue[]): Promise<string[]>;
  close(): void;
}

function columnValue(field: SchemaField, value: unknown, params: DuckDBValue[]): string {
  const bind = (v: DuckDBValue) => `$${params.push(v)}`;
  if (value === undefined) return "NULL";
  switch (field.kind) {
    case "group": {
      const record = value as Record<string, unknown>;
      const members = (field.children ?? []).map(
        (c) => `'${c.name}': ${columnValue(c, record[c.name], params)}`,
      );
      return `{${members.join(", ")}}`;
    }
    case "flat_map": {
      const entries = Object.entries(value as Record<string, string>);
      if (entries.length === 0) return "CAST(MAP() AS MAP(VARCHAR, VARCHAR))";
      return `MAP(${bind(listValue(entries.map(([k]) => k)))}, ${bind(listValue(entries.map(([, v]) => v)))})`;
    }
    case "timestamp":
      return `CAST(${bind(String(value).replace("T", " ").replace("Z", ""))} AS TIMESTAMP_MS)`;
    default:
      return `CAST(${bind(value as DuckDBValue)} AS ${duckdbType(field)})`;
  }
}

export async function createEventsTable(events: readonly LogEvent[]): Promise<EventsTable> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await connection.run(duckdbCreateTableDdl("events"));
  for (const event of events) {
    const parsed = LogEventSchema.parse(event);
    const params: DuckDBValue[] = [];
    const values = SCHEMA_FIELDS.map((f) =>
      columnValue(f, (parsed as Record<string, unknown>)[f.name], params),
    );
    await connection.run(`INSERT INTO events VALUES (${values.join(", ")})`, params);
  }
  return {
    connection,
    async ids(where, params) {
      const reader = await connection.runAndReadAll(
        `SELECT id FROM events WHERE ${where} ORDER BY id`,
        params as DuckDBValue[],
      );
      return reader.getRowObjectsJson().map((r) => String(r["id"]));
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
