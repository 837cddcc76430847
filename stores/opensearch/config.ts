import { z } from "zod";
import { OPENSEARCH } from "../../core/limits.js";
import { INDEX_PREFIX_PATTERN } from "./naming.js";

const NoAuthSchema = z
  .object({
    type: z.literal("none").describe("No authentication (a self-managed cluster on a private network)."),
  })
  .strict()
  .describe("Unauthenticated requests.");

const BasicAuthSchema = z
  .object({
    type: z.literal("basic").describe("HTTP basic authentication (OpenSearch security plugin users)."),
    username: z.string().min(1).describe("User name."),
    password: z.string().min(1).describe("Password."),
  })
  .strict()
  .describe("HTTP basic authentication, for self-managed clusters or fine-grained access control users.");

const SigV4AuthSchema = z
  .object({
    type: z.literal("sigv4").describe("AWS Signature Version 4, with the default AWS credential chain."),
    region: z.string().min(1).describe("AWS region of the domain or collection, e.g. eu-west-1."),
    service: z
      .enum(["es", "aoss"])
      .default("es")
      .describe(
        "Signing service: `es` for Amazon OpenSearch Service domains, `aoss` for OpenSearch Serverless.",
      ),
  })
  .strict()
  .describe(
    "Requests signed with AWS SigV4; credentials come from the default chain (environment, profile, role).",
  );

export const OpenSearchAuthSchema = z
  .discriminatedUnion("type", [NoAuthSchema, BasicAuthSchema, SigV4AuthSchema])
  .describe("How requests authenticate: none, basic or sigv4.");

export type OpenSearchAuth = z.output<typeof OpenSearchAuthSchema>;

const RETRY_DEFAULTS = {
  max_attempts: 8,
  max_elapsed_ms: 30_000,
  initial_delay_ms: 200,
  max_delay_ms: 5_000,
};

export const OpenSearchRetrySchema = z
  .object({
    max_attempts: z
      .number()
      .int()
      .min(1)
      .default(RETRY_DEFAULTS.max_attempts)
      .describe(
        "Most `_bulk` attempts per write, the first included; later attempts carry only the items still failing.",
      ),
    max_elapsed_ms: z
      .number()
      .int()
      .min(0)
      .default(RETRY_DEFAULTS.max_elapsed_ms)
      .describe(
        "Time one write may spend retrying throttled or failed items before they are answered retryable (the caller resends them later).",
      ),
    initial_delay_ms: z
      .number()
      .int()
      .min(0)
      .default(RETRY_DEFAULTS.initial_delay_ms)
      .describe("Upper bound of the first backoff (full jitter); it doubles per attempt."),
    max_delay_ms: z
      .number()
      .int()
      .min(0)
      .default(RETRY_DEFAULTS.max_delay_ms)
      .describe("Largest backoff between two attempts."),
  })
  .strict()
  .refine((r) => r.max_delay_ms >= r.initial_delay_ms, {
    message: "must be at least initial_delay_ms",
    path: ["max_delay_ms"],
  })
  .describe("Retries of throttled (429), rejected-execution, circuit-breaker, 5xx and network failures.");

export const OpenSearchTemplateSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(255)
      .regex(
        /^[a-z0-9][a-z0-9_.-]*$/,
        "lower-case letters, digits, '_', '.' and '-', not starting with a symbol",
      )
      .default("logpipe-logs")
      .describe("Name of the index template (`_index_template/<name>`)."),
    total_fields_limit: z
      .number()
      .int()
      .min(50)
      .max(100_000)
      .optional()
      .describe(
        "`index.mapping.total_fields.limit` of the indices. Unknown event keys live in one flat_object field, so the mapping never grows; this cap guards against anything else. Default: the schema projection's.",
      ),
    shards: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .optional()
      .describe("Primary shards per index. Default: the schema projection's."),
    replicas: z
      .number()
      .int()
      .min(0)
      .max(15)
      .optional()
      .describe("Replicas per primary shard. Default: the schema projection's."),
  })
  .strict()
  .describe(
    "The index template installed by `logpipe opensearch setup`; its mappings come from the event schema.",
  );

export const OpenSearchIsmSchema = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        "Install an Index State Management policy. OpenSearch Serverless has no ISM; set false there.",
      ),
    policy_id: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, '_', '.' and '-'")
      .default("logpipe-logs")
      .describe("ISM policy id (`_plugins/_ism/policies/<id>`)."),
    delete_after_days: z
      .number()
      .int()
      .min(1)
      .max(36_500)
      .default(14)
      .describe("Indices are deleted this many days after they were created."),
    rollover_size: z
      .string()
      .regex(/^\d+(b|kb|mb|gb|tb)$/, "a size such as 30gb")
      .default("30gb")
      .describe("With data streams: roll the write index over at this primary store size (or after a day)."),
  })
  .strict()
  .describe("Retention: an ISM policy that deletes old indices (and rolls data streams over).");

export const OpenSearchStoreConfigSchema = z
  .object({
    endpoint: z
      .url({ protocol: /^https?$/ })
      .describe("OpenSearch endpoint, e.g. https://search-logs-abc.eu-west-1.es.amazonaws.com."),
    auth: OpenSearchAuthSchema.default({ type: "none" }),
    index_prefix: z
      .string()
      .min(1)
      .max(100)
      .regex(
        INDEX_PREFIX_PATTERN,
        "lower-case letters, digits, '_', '.', '+' and '-', starting with a letter or digit",
      )
      .default("logs-")
      .describe(
        "Start of every index name: events go to `<prefix><service>-<YYYY.MM.DD>` (UTC day of @timestamp), or to the data stream `<prefix><service>`. Searches read `<prefix>*`.",
      ),
    data_stream: z
      .boolean()
      .default(false)
      .describe(
        "Write to one data stream per service instead of daily indices (writes then use op_type create, and ISM rolls the stream over).",
      ),
    op_type: z
      .enum(["index", "create"])
      .optional()
      .describe(
        "Bulk action. `index` (default for daily indices) overwrites a resent event with itself; `create` answers 409 for a resent event, which counts as written. Data streams accept only `create` (their default).",
      ),
    max_bulk_bytes: z
      .number()
      .int()
      .min(1024)
      .max(100 * 1024 * 1024)
      .default(OPENSEARCH.BULK_DEFAULT_MAX_BYTES)
      .describe(
        `Largest \`_bulk\` request body in bytes; the OpenSearch guidance is ${OPENSEARCH.BULK_RECOMMENDED_MIN_BYTES}–${OPENSEARCH.BULK_RECOMMENDED_MAX_BYTES}. A request answered 413 is split in half and resent, whatever this says.`,
      ),
    retry: OpenSearchRetrySchema.prefault({}),
    template: OpenSearchTemplateSchema.prefault({}),
    ism: OpenSearchIsmSchema.prefault({}),
    request_timeout_ms: z
      .number()
      .int()
      .positive()
      .default(30_000)
      .describe("Time one HTTP request may take before it is abandoned (and its items retried)."),
  })
  .strict()
  .refine((c) => !(c.data_stream && c.op_type === "index"), {
    message: "data streams accept only op_type create",
    path: ["op_type"],
  })
  .describe(
    "OpenSearch store: writes events with `_bulk` (the event id is the `_id`) and searches them with DQL.",
  );

export type OpenSearchStoreConfig = z.output<typeof OpenSearchStoreConfigSchema>;

/** The bulk action a config implies: `create` for data streams, else the setting (default `index`). */
export function effectiveOpType(
  config: Pick<OpenSearchStoreConfig, "data_stream" | "op_type">,
): "index" | "create" {
  return config.op_type ?? (config.data_stream ? "create" : "index");
}
