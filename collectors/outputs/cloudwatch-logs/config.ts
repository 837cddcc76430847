import { z } from "zod";
import { CLOUDWATCH_LOGS } from "../../../core/limits.js";
import { RequestTimeoutSchema } from "../sdk-client.js";

/** Placeholders a log group or stream template may use. */
export const TEMPLATE_FIELDS = ["service", "env", "host", "region", "level", "date"] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

/** The only values PutRetentionPolicy accepts. */
export const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** The largest message CloudWatch Logs accepts: its per-event cap less the 26 bytes it adds to each event. */
export const MAX_MESSAGE_BYTES =
  CLOUDWATCH_LOGS.DEFAULT_MAX_EVENT_BYTES - CLOUDWATCH_LOGS.EVENT_OVERHEAD_BYTES;

const template = (what: string, fallback: string) =>
  z
    .string()
    .min(1)
    .max(1024)
    .default(fallback)
    .superRefine((value, ctx) => {
      for (const match of value.matchAll(/\{([^{}]*)\}/g)) {
        if (!(TEMPLATE_FIELDS as readonly string[]).includes(match[1]!)) {
          ctx.addIssue({
            code: "custom",
            message: `unknown placeholder {${match[1]}}: use one of ${TEMPLATE_FIELDS.map((f) => `{${f}}`).join(", ")}`,
          });
        }
      }
    })
    .describe(
      `${what} name template. Placeholders: ${TEMPLATE_FIELDS.map((f) => `{${f}}`).join(", ")} ({date} is the event's UTC day, YYYY-MM-DD). The result is cleaned to the characters and length CloudWatch Logs allows.`,
    );

export const CloudWatchLogsOutputConfigSchema = z
  .object({
    region: z
      .string()
      .min(1)
      .optional()
      .describe(
        "AWS region of the log groups. Without it the SDK's usual resolution applies (AWS_REGION, profile).",
      ),
    endpoint: z
      .url()
      .optional()
      .describe(
        "Endpoint override (e.g. a VPC endpoint or a local emulator). Without it, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS / AWS_ENDPOINT_URL still apply, as the SDK reads them.",
      ),
    log_group: template("Log group", "/logpipe/{service}"),
    log_stream: template("Log stream", "{host}"),
    template_defaults: z
      .object({
        service: z.string().min(1).optional().describe("Value of {service} when an event has none."),
        env: z.string().min(1).optional().describe("Value of {env} when an event has none."),
        host: z
          .string()
          .min(1)
          .optional()
          .describe("Value of {host} when an event has none; the machine's hostname when unset."),
        region: z.string().min(1).optional().describe("Value of {region} when an event has none."),
        level: z.string().min(1).optional().describe("Value of {level} when an event has none."),
      })
      .strict()
      .default({})
      .describe("Values used for template placeholders whose event field is absent (otherwise `unknown`)."),
    retention_days: z
      .union(RETENTION_DAYS.map((d) => z.literal(d)))
      .optional()
      .describe(
        `Retention set on every log group this output writes to (once per group). One of ${RETENTION_DAYS.join(", ")}. Events older than it are dead-lettered as expired before sending.`,
      ),
    tags: z
      .record(z.string().min(1).max(128), z.string().max(256))
      .default({})
      .refine((tags) => Object.keys(tags).length <= 50, "at most 50 tags")
      .describe("Tags applied to log groups this output creates."),
    max_event_bytes: z
      .number()
      .int()
      .min(256)
      .max(MAX_MESSAGE_BYTES)
      .default(MAX_MESSAGE_BYTES)
      .describe(
        `Largest message (UTF-8 bytes of the event's JSON) sent as one log event; larger events are truncated with a marker. CloudWatch Logs allows 1 MiB less 26 bytes (${MAX_MESSAGE_BYTES}); where the pre-2025 cap still applies use ${CLOUDWATCH_LOGS.LEGACY_MAX_EVENT_BYTES - CLOUDWATCH_LOGS.EVENT_OVERHEAD_BYTES}.`,
      ),
    min_concurrency: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe("Fewest PutLogEvents calls kept in flight, however much the service throttles."),
    max_concurrency: z
      .number()
      .int()
      .min(1)
      .max(256)
      .default(16)
      .describe(
        "Most PutLogEvents calls in flight. The limit adapts between min and max: halved on throttling, grown by one per window of successes.",
      ),
    retry: z
      .object({
        max_elapsed_ms: z
          .number()
          .int()
          .min(0)
          .default(30_000)
          .describe(
            "Time spent retrying one request before its events are handed back as retryable (the forwarder resends them later).",
          ),
        max_attempts: z
          .number()
          .int()
          .min(1)
          .default(8)
          .describe("Most attempts at one request within max_elapsed_ms."),
        initial_delay_ms: z
          .number()
          .int()
          .min(0)
          .default(100)
          .describe("Upper bound of the first backoff (full jitter); doubles per attempt."),
        max_delay_ms: z
          .number()
          .int()
          .min(0)
          .default(5_000)
          .describe("Largest backoff between two attempts."),
      })
      .strict()
      .refine((r) => r.max_delay_ms >= r.initial_delay_ms, {
        message: "must be at least initial_delay_ms",
        path: ["max_delay_ms"],
      })
      .default({ max_elapsed_ms: 30_000, max_attempts: 8, initial_delay_ms: 100, max_delay_ms: 5_000 })
      .describe("Retries of throttled, unavailable and failed-network requests."),
    request_timeout_ms: RequestTimeoutSchema,
    create_missing: z
      .boolean()
      .default(true)
      .describe(
        "Create log groups and streams on first use (and again if deleted). When false, a missing one is an error and its events are retried until someone creates it.",
      ),
  })
  .strict()
  .refine((c) => c.min_concurrency <= c.max_concurrency, {
    message: "min_concurrency must not exceed max_concurrency",
    path: ["min_concurrency"],
  })
  .describe("CloudWatch Logs output: sends each event as one log event (its JSON) with PutLogEvents.");

export type CloudWatchLogsOutputConfig = z.output<typeof CloudWatchLogsOutputConfigSchema>;
