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
  /** Athena-safe column name (letters, digits, underscore). */
  name: string;
  /** The event field it reads, when the name differs (e.g. `@timestamp`). */
  source?: string;
  type: string;
  comment: string;
}

/**
 * Athena column names may hold only letters, digits and underscores, so `@timestamp` becomes
 * `timestamp`; the JSON SerDe maps it back to the field in the objects.
 */
export function athenaColumnName(field: string): string {
  return field.replace(/^@/, "").replace(/[^A-Za-z0-9_]/g, "_");
}

function glueType(field: SchemaField): string {
  if (field.kind === "group") {
    const members = (field.children ?? []).map((c) => `${athenaColumnName(c.name)}:${glueType(c)}`);
    return `struct<${members.join(",")}>`;
  }
  return GLUE_TYPE[field.kind];
}

/**
 * Table columns. `service` is a partition key (taken from the object path), so Glue must not
 * list it as a data column too: Athena rejects a table whose column and partition key share a name.
 */
export function glueColumns(): GlueColumn[] {
  return SCHEMA_FIELDS.filter((f) => !(PARTITION_KEYS as readonly string[]).includes(f.name)).map((f) => {
    const name = athenaColumnName(f.name);
    return {
      name,
      ...(name === f.name ? {} : { source: f.name }),
      type: glueType(f),
      comment: f.description,
    };
  });
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

/**
 * `CREATE EXTERNAL TABLE` over the S3 lake with partition projection (no crawler, no MSCK
 * REPAIR). Lake objects in S3 are gzip-compressed NDJSON, one LogEvent per line: Lambda and
 * Firehose write them with no native code, Athena reads gzip natively, and the JSON SerDe maps
 * `@timestamp`, which Athena cannot name, onto the `timestamp` column.
 */
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
    `'classification'='json'`,
    `'compressionType'='gzip'`,
  ];
  return [
    `CREATE EXTERNAL TABLE IF NOT EXISTS ${table} (`,
    columns.join(",\n"),
    ")",
    "PARTITIONED BY (",
    partitions.join(",\n"),
    ")",
    "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'",
    "WITH SERDEPROPERTIES (",
    [
      `  'ignore.malformed.json'='true'`,
      // Every @timestamp is canonical UTC (`2026-12-05T18:00:00.123Z`), so the zone is the literal Z.
      `  'timestamp.formats'="yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"`,
      ...glueColumns()
        .filter((c) => c.source)
        .map((c) => `  ${quoteString(`mapping.${c.name}`)}=${quoteString(c.source!)}`),
    ].join(",\n"),
    ")",
    "STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'",
    "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'",
    `LOCATION ${quoteString(location)}`,
    "TBLPROPERTIES (",
    properties.map((p) => `  ${p}`).join(",\n"),
    ")",
  ].join("\n");
}
