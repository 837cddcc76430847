import { type FieldKind, SCHEMA_FIELDS, type SchemaField } from "../schema.js";

/**
 * The Parquet schema of lake files, as a tree of Parquet logical types. Every field of the
 * event is written, `service` included: the path carries it for Athena's partitioning, the file
 * carries it so a lake file stays self-describing when copied elsewhere.
 */
export type ParquetLeafType = "STRING" | "TIMESTAMP_MILLIS" | "INT32" | "DOUBLE" | "MAP<STRING,STRING>";

export interface ParquetField {
  name: string;
  optional: boolean;
  type?: ParquetLeafType;
  /** Present for groups (structs). */
  fields?: ParquetField[];
}

export const PARQUET_TYPE: Record<Exclude<FieldKind, "group">, ParquetLeafType> = {
  keyword: "STRING",
  text: "STRING",
  ip: "STRING",
  timestamp: "TIMESTAMP_MILLIS",
  integer: "INT32",
  double: "DOUBLE",
  flat_map: "MAP<STRING,STRING>",
};

function toParquet(field: SchemaField): ParquetField {
  if (field.kind === "group") {
    return { name: field.name, optional: !field.required, fields: (field.children ?? []).map(toParquet) };
  }
  return { name: field.name, optional: !field.required, type: PARQUET_TYPE[field.kind] };
}

export function parquetSchema(): ParquetField[] {
  return SCHEMA_FIELDS.map(toParquet);
}
