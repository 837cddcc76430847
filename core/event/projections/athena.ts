import { type FieldKind, PARTITION_KEYS, SCHEMA_FIELDS, type SchemaField } from "../schema.js";

/** Glue/Athena (Hive DDL) type for each storage kind; groups become structs. */
export const GLUE_TYPE: Record<Exclude<FieldKind, "group">, string> = {
  keyword: "string",
  text: "string",
  timestamp: "timestamp",
  integer: "int",
  double: "double",
  ip: "string",
  flat_map: "map<string,string>",
};

export interface GlueColumn {
  name: string;
  type: string;
  comment: string;
}

function glueType(field: SchemaField): string {
  if (field.kind === "group") {
    const members = (field.children ?? []).map((c) => `${c.name}:${glueType(c)}`);
    return `struct<${members.join(",")}>`;
  }
  return GLUE_TYPE[field.kind];
}

/**
 * Table columns. `service` is a partition key (taken from the object path), so Glue must not
 * list it as a data column too: Athena rejects a table whose column and partition key share a name.
 */
export function glueColumns(): GlueColumn[] {
  return SCHEMA_FIELDS.filter((f) => !(PARTITION_KEYS as readonly string[]).includes(f.name)).map((f) => ({
    name: f.name,
    type: glueType(f),
    comment: f.description,
  }));
}

export function gluePartitionKeys(): GlueColumn[] {
  return [
    { name: "service", type: "string", comment: "Service that emitted the event (from the object path)." },
    { name: "dt", type: "string", comment: "UTC day of @timestamp, YYYY-MM-DD." },
    { name: "hour", type: "string", comment: "UTC hour of @timestamp, 00-23." },
  ];
}

export interface AthenaDdlOptions {
  /** Glue database. */
  database?: string;
  table?: string;
  /** `s3://bucket/prefix` of the lake; objects live under `<location>/logs/service=…/dt=…/hour=…/`. */
  location: string;
  /**
   * Services to project. With a list, `service` uses enum projection and queries may scan every
   * service; without one it uses injected projection, which requires `WHERE service = '…'`.
   */
  services?: string[];
  /** First day of the `dt` projection range. */
  since?: string;
}

const quoteIdent = (name: string) => `\`${name.replaceAll("`", "``")}\``;
const quoteString = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** `CREATE EXTERNAL TABLE` over the Parquet lake with partition projection (no crawler, no MSCK REPAIR). */
export function athenaCreateTableDdl(options: AthenaDdlOptions): string {
  const table = `${quoteIdent(options.database ?? "logpipe")}.${quoteIdent(options.table ?? "logs")}`;
  const location = `${options.location.replace(/\/+$/, "")}/logs/`;
  const columns = glueColumns().map(
    (c) => `  ${quoteIdent(c.name)} ${c.type} COMMENT ${quoteString(c.comment)}`,
  );
  const partitions = gluePartitionKeys().map((c) => `  ${quoteIdent(c.name)} ${c.type}`);
  const serviceProjection = options.services?.length
    ? [
        `'projection.service.type'='enum'`,
        `'projection.service.values'=${quoteString(options.services.join(","))}`,
      ]
    : [`'projection.service.type'='injected'`];
  const properties = [
    `'projection.enabled'='true'`,
    ...serviceProjection,
    `'projection.dt.type'='date'`,
    `'projection.dt.format'='yyyy-MM-dd'`,
    `'projection.dt.range'=${quoteString(`${options.since ?? "2024-01-01"},NOW`)}`,
    `'projection.dt.interval'='1'`,
    `'projection.dt.interval.unit'='DAYS'`,
    `'projection.hour.type'='integer'`,
    `'projection.hour.range'='0,23'`,
    `'projection.hour.digits'='2'`,
    `'storage.location.template'=${quoteString(`${location}service=\${service}/dt=\${dt}/hour=\${hour}/`)}`,
    `'parquet.compression'='ZSTD'`,
  ];
  return [
    `CREATE EXTERNAL TABLE IF NOT EXISTS ${table} (`,
    columns.join(",\n"),
    ")",
    "PARTITIONED BY (",
    partitions.join(",\n"),
    ")",
    "STORED AS PARQUET",
    `LOCATION ${quoteString(location)}`,
    "TBLPROPERTIES (",
    properties.map((p) => `  ${p}`).join(",\n"),
    ")",
  ].join("\n");
}
