import { type FieldKind, SCHEMA_FIELDS, type SchemaField } from "../schema.js";

/** DuckDB column type for each storage kind; groups become STRUCTs. */
export const DUCKDB_TYPE: Record<Exclude<FieldKind, "group">, string> = {
  keyword: "VARCHAR",
  text: "VARCHAR",
  ip: "VARCHAR",
  timestamp: "TIMESTAMP_MS",
  integer: "INTEGER",
  double: "DOUBLE",
  flat_map: "MAP(VARCHAR, VARCHAR)",
};

export const quoteDuckIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

export function duckdbType(field: SchemaField): string {
  if (field.kind === "group") {
    const members = (field.children ?? []).map((c) => `${quoteDuckIdent(c.name)} ${duckdbType(c)}`);
    return `STRUCT(${members.join(", ")})`;
  }
  return DUCKDB_TYPE[field.kind];
}

export interface DuckDbColumn {
  name: string;
  type: string;
  notNull: boolean;
}

export function duckdbColumns(): DuckDbColumn[] {
  return SCHEMA_FIELDS.map((f) => ({ name: f.name, type: duckdbType(f), notNull: f.required }));
}

/** `CREATE TABLE` for events; `id` is the primary key so a resent event is stored once. */
export function duckdbCreateTableDdl(table = "events"): string {
  const columns = duckdbColumns().map(
    (c) =>
      `  ${quoteDuckIdent(c.name)} ${c.type}${c.name === "id" ? " PRIMARY KEY" : c.notNull ? " NOT NULL" : ""}`,
  );
  return `CREATE TABLE IF NOT EXISTS ${quoteDuckIdent(table)} (\n${columns.join(",\n")}\n)`;
}
