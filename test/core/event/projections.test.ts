import { describe, expect, it } from "vitest";
import {
  athenaColumnName,
  athenaCreateTableDdl,
  type FieldKind,
  glueColumns,
  gluePartitionKeys,
  LogEventSchema,
  leafFields,
  type OpenSearchFieldMapping,
  openSearchIndexTemplate,
  openSearchMappings,
  PARTITION_KEYS,
  type ParquetField,
  parquetSchema,
  SCHEMA_FIELDS,
  type SchemaField,
} from "../../../core/event/index.js";
import { duckdbColumns, duckdbCreateTableDdl } from "../../../core/event/projections/duckdb.js";

/** What each storage kind must become in every projection. */
const EXPECTED: Record<
  Exclude<FieldKind, "group">,
  { opensearch: string; glue: string; parquet: string; duckdb: string }
> = {
  keyword: { opensearch: "keyword", glue: "string", parquet: "STRING", duckdb: "VARCHAR" },
  text: { opensearch: "text", glue: "string", parquet: "STRING", duckdb: "VARCHAR" },
  ip: { opensearch: "ip", glue: "string", parquet: "STRING", duckdb: "VARCHAR" },
  timestamp: { opensearch: "date", glue: "timestamp", parquet: "TIMESTAMP_MILLIS", duckdb: "TIMESTAMP_MS" },
  integer: { opensearch: "integer", glue: "int", parquet: "INT32", duckdb: "INTEGER" },
  double: { opensearch: "double", glue: "double", parquet: "DOUBLE", duckdb: "DOUBLE" },
  flat_map: {
    opensearch: "flat_object",
    glue: "map<string,string>",
    parquet: "MAP<STRING,STRING>",
    duckdb: "MAP(VARCHAR, VARCHAR)",
  },
};

function openSearchAt(path: string): OpenSearchFieldMapping | undefined {
  let props: Record<string, OpenSearchFieldMapping> = openSearchMappings().properties;
  let found: OpenSearchFieldMapping | undefined;
  for (const part of path.split(".")) {
    found = props[part];
    if (!found) return undefined;
    props = found.type === "object" && "properties" in found ? found.properties : {};
  }
  return found;
}

function parquetAt(path: string): ParquetField | undefined {
  let fields: ParquetField[] = parquetSchema();
  let found: ParquetField | undefined;
  for (const part of path.split(".")) {
    found = fields.find((f) => f.name === part);
    if (!found) return undefined;
    fields = found.fields ?? [];
  }
  return found;
}

/** Reads a `struct<a:t,b:u>` Glue type into its members (one level, enough for our groups). */
function glueStructMembers(type: string): Map<string, string> {
  const inner = type.replace(/^struct<|>$/g, "");
  return new Map(inner.split(",").map((m) => m.split(":") as [string, string]));
}

function glueAt(path: string): string | undefined {
  const [top, child] = path.split(".");
  const column = [...glueColumns(), ...gluePartitionKeys()].find((c) => (c.source ?? c.name) === top);
  if (!column) return undefined;
  return child === undefined ? column.type : glueStructMembers(column.type).get(child);
}

/** Reads `STRUCT("a" T, "b" U)` members out of a DuckDB type. */
function duckdbAt(path: string): string | undefined {
  const [top, child] = path.split(".");
  const column = duckdbColumns().find((c) => c.name === top);
  if (!column) return undefined;
  if (child === undefined) return column.type;
  const members = column.type.replace(/^STRUCT\(|\)$/g, "").split(", ");
  const member = members.find((m) => m.startsWith(`"${child}" `));
  return member?.slice(child.length + 3);
}

describe("LogEvent projections", () => {
  const leaves = leafFields();

  it("walks every field of the zod schema, groups included", () => {
    expect(SCHEMA_FIELDS.map((f) => f.name)).toEqual(Object.keys(LogEventSchema.shape));
    expect(leaves.map((f) => f.path)).toContain("http.status");
    expect(leaves.length).toBeGreaterThanOrEqual(22);
  });

  it.each(leafFields().map((f) => [f.path, f] as [string, SchemaField]))(
    "%s has the same name and type in OpenSearch, Athena, Parquet and DuckDB",
    (path, field) => {
      const expected = EXPECTED[field.kind as Exclude<FieldKind, "group">];
      expect(openSearchAt(path)?.type).toBe(expected.opensearch);
      expect(parquetAt(path)?.type).toBe(expected.parquet);
      expect(parquetAt(path)?.optional).toBe(!field.required || path.includes("."));
      expect(duckdbAt(path)).toBe(expected.duckdb);
      // Athena lists `service` as a partition key (string); every other field is a column.
      expect(glueAt(path)).toBe(expected.glue);
    },
  );

  it("has no field in any projection that the schema does not define", () => {
    const topNames = SCHEMA_FIELDS.map((f) => f.name).sort();
    expect(Object.keys(openSearchMappings().properties).sort()).toEqual(topNames);
    expect(
      parquetSchema()
        .map((f) => f.name)
        .sort(),
    ).toEqual(topNames);
    expect(
      duckdbColumns()
        .map((c) => c.name)
        .sort(),
    ).toEqual(topNames);
    const athena = [
      ...glueColumns().map((c) => c.source ?? c.name),
      ...gluePartitionKeys().map((c) => c.name),
    ];
    expect(athena.filter((n) => !PARTITION_KEYS.includes(n as never) || n === "service").sort()).toEqual(
      topNames,
    );
  });

  it("gives Athena only names of letters, digits and underscores", () => {
    for (const column of glueColumns()) expect(column.name).toMatch(/^[a-z0-9_]+$/);
    expect(athenaColumnName("@timestamp")).toBe("timestamp");
  });

  it("keeps partition keys out of Athena's data columns", () => {
    expect(glueColumns().map((c) => c.name)).not.toContain("service");
    expect(gluePartitionKeys().map((c) => c.name)).toEqual([...PARTITION_KEYS]);
  });

  it("caps the OpenSearch field count and keeps unknown keys in one bounded field", () => {
    const template = openSearchIndexTemplate({ totalFieldsLimit: 150 });
    expect(template.template.settings["index.mapping.total_fields.limit"]).toBe(150);
    expect(template.template.mappings.dynamic).toBe(false);
    expect(template.template.mappings.properties.attrs).toEqual({ type: "flat_object" });
    expect(template.template.mappings.properties["@timestamp"]).toMatchObject({ type: "date" });
  });

  it("counts fewer mapped fields than the cap", () => {
    const countFields = (props: Record<string, OpenSearchFieldMapping>): number =>
      Object.values(props).reduce(
        (n, m) => n + 1 + ("properties" in m ? countFields(m.properties) : 0) + ("fields" in m ? 1 : 0),
        0,
      );
    const template = openSearchIndexTemplate();
    expect(countFields(template.template.mappings.properties)).toBeLessThan(
      template.template.settings["index.mapping.total_fields.limit"] as number,
    );
  });

  it("writes Athena DDL with partition projection over service, dt and hour in the lake layout", () => {
    const ddl = athenaCreateTableDdl({
      location: "s3://lake-bucket/prefix/",
      services: ["checkout", "auth"],
    });
    expect(ddl).toContain("CREATE EXTERNAL TABLE IF NOT EXISTS `logpipe`.`logs`");
    expect(ddl).toContain("`timestamp` timestamp");
    expect(ddl).toContain("'mapping.timestamp'='@timestamp'");
    expect(ddl).toContain("ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'");
    expect(ddl).toContain(`'timestamp.formats'="yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"`);
    expect(ddl).not.toContain("`@");
    expect(ddl).toContain("`http` struct<method:string,path:string,status:int,");
    expect(ddl).toContain("PARTITIONED BY (\n  `service` string,\n  `dt` string,\n  `hour` string\n)");
    expect(ddl).toContain("LOCATION 's3://lake-bucket/prefix/logs/'");
    expect(ddl).toContain("'projection.service.type'='enum'");
    expect(ddl).toContain("'projection.service.values'='checkout,auth'");
    expect(ddl).toContain("'projection.hour.digits'='2'");
    expect(ddl).toContain(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's own placeholder syntax
      "'storage.location.template'='s3://lake-bucket/prefix/logs/service=${service}/dt=${dt}/hour=${hour}/'",
    );
  });

  it("falls back to injected service projection when no service list is given", () => {
    expect(athenaCreateTableDdl({ location: "s3://b" })).toContain("'projection.service.type'='injected'");
  });

  it("escapes quotes in DDL strings", () => {
    const ddl = athenaCreateTableDdl({ location: "s3://b", services: ["o'brien"] });
    expect(ddl).toContain("'projection.service.values'='o''brien'");
  });

  it("makes id the DuckDB primary key and required fields NOT NULL", () => {
    const ddl = duckdbCreateTableDdl();
    expect(ddl).toContain('"id" VARCHAR PRIMARY KEY');
    expect(ddl).toContain('"message" VARCHAR NOT NULL');
    expect(ddl).toContain('"env" VARCHAR,');
  });

  it("accepts a full event and rejects unknown top-level keys", () => {
    const event = {
      id: "01J0000000000000000000000",
      "@timestamp": "2026-12-05T18:00:00.123Z",
      service: "checkout",
      level: "info",
      message: "order placed",
      http: { method: "POST", path: "/orders", status: 201, latency_ms: 12.5 },
      attrs: { "user.id": "42" },
    };
    expect(LogEventSchema.parse(event)).toEqual(event);
    expect(() => LogEventSchema.parse({ ...event, surprise: 1 })).toThrow();
    expect(() => LogEventSchema.parse({ ...event, "@timestamp": "2026-12-05T18:00:00Z" })).toThrow();
  });
});
