import { type FieldKind, SCHEMA_FIELDS, type SchemaField } from "../schema.js";

/** OpenSearch mapping for one field. */
export type OpenSearchFieldMapping =
  | { type: "keyword"; ignore_above: number }
  | { type: "text"; fields: { keyword: { type: "keyword"; ignore_above: number } } }
  | { type: "date"; format: string }
  | { type: "integer" | "double" | "ip" | "flat_object" }
  | { type: "object"; properties: Record<string, OpenSearchFieldMapping> };

export interface IndexTemplateOptions {
  /** Index patterns the template applies to. */
  indexPatterns?: string[];
  /** Hard cap on mapped fields per index (mapping-explosion guard). */
  totalFieldsLimit?: number;
  shards?: number;
  replicas?: number;
  /** Name of an ISM policy to attach through `plugins.index_state_management.policy_id`. */
  ismPolicyId?: string;
  /** Write to a data stream instead of daily indices. */
  dataStream?: boolean;
  priority?: number;
}

/** The OpenSearch type each storage kind becomes. */
export const OPENSEARCH_TYPE: Record<FieldKind, OpenSearchFieldMapping["type"]> = {
  keyword: "keyword",
  text: "text",
  timestamp: "date",
  integer: "integer",
  double: "double",
  ip: "ip",
  group: "object",
  flat_map: "flat_object",
};

function mappingFor(field: SchemaField): OpenSearchFieldMapping {
  switch (field.kind) {
    case "keyword":
      return { type: "keyword", ignore_above: 1024 };
    case "text":
      // `message.keyword` keeps exact match and aggregations on short messages.
      return { type: "text", fields: { keyword: { type: "keyword", ignore_above: 256 } } };
    case "timestamp":
      return { type: "date", format: "strict_date_optional_time||epoch_millis" };
    case "group":
      return { type: "object", properties: propertiesOf(field.children ?? []) };
    case "integer":
    case "double":
    case "ip":
      return { type: field.kind };
    case "flat_map":
      // One bounded field for every unknown key: flat_object maps all its sub-keys as
      // keywords under a single mapping entry, so new keys never grow the mapping.
      return { type: "flat_object" };
  }
}

function propertiesOf(fields: readonly SchemaField[]): Record<string, OpenSearchFieldMapping> {
  return Object.fromEntries(fields.map((f) => [f.name, mappingFor(f)]));
}

/** Mappings for the index: known fields mapped, anything else kept in _source but not indexed. */
export function openSearchMappings(): {
  dynamic: false;
  properties: Record<string, OpenSearchFieldMapping>;
} {
  return { dynamic: false, properties: propertiesOf(SCHEMA_FIELDS) };
}

/** A composable index template body for `PUT _index_template/<name>`. */
export function openSearchIndexTemplate(options: IndexTemplateOptions = {}) {
  const settings: Record<string, unknown> = {
    "index.mapping.total_fields.limit": options.totalFieldsLimit ?? 200,
    "index.mapping.depth.limit": 5,
    "index.number_of_shards": options.shards ?? 1,
    "index.number_of_replicas": options.replicas ?? 1,
    "index.refresh_interval": "5s",
    "index.codec": "best_compression",
  };
  if (options.ismPolicyId) settings["plugins.index_state_management.policy_id"] = options.ismPolicyId;
  return {
    index_patterns: options.indexPatterns ?? ["logs-*"],
    priority: options.priority ?? 100,
    ...(options.dataStream ? { data_stream: { timestamp_field: { name: "@timestamp" } } } : {}),
    template: { settings, mappings: openSearchMappings() },
    _meta: { generated_by: "logpipe", description: "LogEvent schema projection" },
  };
}
