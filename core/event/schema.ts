import { z } from "zod";

/**
 * The canonical log event, defined once. Every storage projection (OpenSearch mapping,
 * Athena/Glue columns, Parquet schema, DuckDB table) is generated from `LogEventSchema`
 * by walking its shape and reading each field's storage kind from `fieldKinds`, so a field
 * added here shows up everywhere.
 */

/** How a field is stored. Each projection maps every kind to its own type. */
export type FieldKind = "keyword" | "text" | "timestamp" | "integer" | "double" | "ip" | "group" | "flat_map";

export interface FieldMeta {
  kind: FieldKind;
}

/** Registry that tags each zod field with its storage kind. */
export const fieldKinds = z.registry<FieldMeta>();

function field<T extends z.ZodType>(schema: T, kind: FieldKind, description: string): T {
  const described = schema.describe(description) as T;
  fieldKinds.add(described, { kind });
  return described;
}

export const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
export type Level = (typeof LEVELS)[number];

/** ISO-8601 UTC with millisecond precision, e.g. `2026-12-05T18:00:00.123Z`. */
const isoMillis = z.iso.datetime({ precision: 3 });

export const HttpSchema = field(
  z
    .object({
      method: field(z.string().max(16).optional(), "keyword", "HTTP request method, upper case."),
      path: field(z.string().optional(), "keyword", "Request path without the query string."),
      status: field(z.number().int().min(0).max(999).optional(), "integer", "HTTP response status code."),
      latency_ms: field(z.number().min(0).optional(), "double", "Time to serve the request, milliseconds."),
      user_agent: field(z.string().optional(), "keyword", "User-Agent header."),
      client_ip: field(z.string().optional(), "ip", "Client IP address (IPv4 or IPv6)."),
    })
    .strict(),
  "group",
  "HTTP request fields, grouped.",
);

export const LogEventSchema = z
  .object({
    id: field(
      z.string().min(1).max(128),
      "keyword",
      "Stable event id assigned at first contact; the OpenSearch _id.",
    ),
    "@timestamp": field(isoMillis, "timestamp", "When the event happened (UTC, millisecond precision)."),
    service: field(z.string().min(1).max(128), "keyword", "The service that emitted the event."),
    env: field(z.string().max(64).optional(), "keyword", "Deployment environment, e.g. prod or staging."),
    region: field(z.string().max(64).optional(), "keyword", "AWS region (or site) the event came from."),
    host: field(z.string().max(255).optional(), "keyword", "Host, container or task that emitted the event."),
    level: field(z.enum(LEVELS), "keyword", "Normalised severity: trace, debug, info, warn, error or fatal."),
    message: field(z.string(), "text", "Human-readable message; full-text searchable."),
    trace_id: field(z.string().max(64).optional(), "keyword", "OpenTelemetry trace id (32 hex characters)."),
    span_id: field(z.string().max(32).optional(), "keyword", "OpenTelemetry span id (16 hex characters)."),
    request_id: field(z.string().max(128).optional(), "keyword", "Request or correlation id."),
    http: HttpSchema.optional(),
    source: field(
      z.string().max(64).optional(),
      "keyword",
      "Where the event entered logpipe: forward, http, cloudwatch, firehose, ...",
    ),
    log_group: field(
      z.string().max(512).optional(),
      "keyword",
      "CloudWatch Logs group, when it came through one.",
    ),
    log_stream: field(
      z.string().max(512).optional(),
      "keyword",
      "CloudWatch Logs stream, when it came through one.",
    ),
    ingest_time: field(isoMillis.optional(), "timestamp", "When logpipe first received the event (UTC)."),
    attrs: field(
      z.record(z.string(), z.string()).optional(),
      "flat_map",
      "Every other field, flattened to dotted keys with string values (bounded).",
    ),
  })
  .strict();

export type LogEvent = z.infer<typeof LogEventSchema>;
export type HttpFields = z.infer<typeof HttpSchema>;

/** A field of the schema, walked from the zod definition. */
export interface SchemaField {
  /** Column name at this level, e.g. `status`. */
  name: string;
  /** Dotted path from the root, e.g. `http.status`. */
  path: string;
  kind: FieldKind;
  required: boolean;
  description: string;
  /** Present for `group` fields. */
  children?: SchemaField[];
}

function unwrapOptional(schema: z.ZodType): { inner: z.ZodType; optional: boolean } {
  if (schema instanceof z.ZodOptional) {
    return { inner: schema.unwrap() as z.ZodType, optional: true };
  }
  return { inner: schema, optional: false };
}

function walk(shape: Record<string, z.ZodType>, prefix: string): SchemaField[] {
  return Object.entries(shape).map(([name, schema]) => {
    const { inner, optional } = unwrapOptional(schema);
    const meta = fieldKinds.get(inner) ?? fieldKinds.get(schema);
    if (!meta) throw new Error(`schema field ${prefix}${name} has no storage kind`);
    const path = `${prefix}${name}`;
    const out: SchemaField = {
      name,
      path,
      kind: meta.kind,
      required: !optional,
      description: inner.description ?? schema.description ?? "",
    };
    if (meta.kind === "group") {
      if (!(inner instanceof z.ZodObject)) throw new Error(`group field ${path} must be an object`);
      out.children = walk(inner.shape as Record<string, z.ZodType>, `${path}.`);
    }
    return out;
  });
}

/** The fields of `LogEventSchema`, in declaration order, with nested groups. */
export const SCHEMA_FIELDS: readonly SchemaField[] = walk(
  LogEventSchema.shape as Record<string, z.ZodType>,
  "",
);

/** Every leaf field (groups expanded), e.g. `http.status`. */
export function leafFields(fields: readonly SchemaField[] = SCHEMA_FIELDS): SchemaField[] {
  return fields.flatMap((f) => (f.children ? leafFields(f.children) : [f]));
}

/** Lake partition keys, in path order: `logs/service=…/dt=…/hour=…/`. */
export const PARTITION_KEYS = ["service", "dt", "hour"] as const;
