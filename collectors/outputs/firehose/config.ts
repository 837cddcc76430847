import { z } from "zod";
import { FIREHOSE } from "../../../core/limits.js";
import { RequestTimeoutSchema } from "../sdk-client.js";

/** Firehose stream names: 1–64 characters of letters, digits, `_`, `.` and `-`. */
export const DELIVERY_STREAM_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;

/**
 * Smallest record cap accepted: below it an event's fixed fields (id, timestamp, service…) alone
 * may not fit, so nearly every event would be truncated or refused.
 */
export const MIN_RECORD_BYTES = 256;

const RETRY_DEFAULTS = {
  max_elapsed_ms: 30_000,
  max_attempts: 8,
  initial_delay_ms: 100,
  max_delay_ms: 5_000,
};

export const FirehoseOutputConfigSchema = z
  .object({
    delivery_stream: z
      .string()
      .regex(DELIVERY_STREAM_NAME, "a Firehose stream name: 1-64 of A-Z a-z 0-9 _ . -")
      .describe("Name of the Firehose stream (Direct PUT) that receives the events."),
    region: z
      .string()
      .min(1)
      .optional()
      .describe(
        "AWS region of the Firehose stream. Without it the SDK's usual resolution applies (AWS_REGION, profile).",
      ),
    endpoint: z
      .url()
      .optional()
      .describe(
        "Endpoint override (e.g. a VPC endpoint or a local emulator). Without it, AWS_ENDPOINT_URL_FIREHOSE / AWS_ENDPOINT_URL still apply, as the SDK reads them.",
      ),
    one_event_per_record: z
      .boolean()
      .default(false)
      .describe(
        "Send each event as its own record instead of packing many newline-delimited events into one. Packing is cheaper (Direct PUT is billed per record in 5 KB steps); one event per record suits dynamic partitioning without multi-record deaggregation.",
      ),
    max_record_bytes: z
      .number()
      .int()
      .min(MIN_RECORD_BYTES)
      .max(FIREHOSE.MAX_RECORD_BYTES)
      .default(FIREHOSE.MAX_RECORD_BYTES)
      .describe(
        `Largest record, in bytes, before base64. Events are packed up to it; an event larger on its own has its message truncated with a marker. Firehose allows ${FIREHOSE.MAX_RECORD_BYTES} (1,000 KiB).`,
      ),
    max_batch_records: z
      .number()
      .int()
      .min(1)
      .max(FIREHOSE.PUT_BATCH_MAX_RECORDS)
      .default(FIREHOSE.PUT_BATCH_MAX_RECORDS)
      .describe(`Most records per PutRecordBatch call; Firehose allows ${FIREHOSE.PUT_BATCH_MAX_RECORDS}.`),
    max_batch_bytes: z
      .number()
      .int()
      .min(MIN_RECORD_BYTES)
      .max(FIREHOSE.PUT_BATCH_MAX_BYTES)
      .default(FIREHOSE.PUT_BATCH_MAX_BYTES)
      .describe(
        `Most bytes of record data per PutRecordBatch call; Firehose allows ${FIREHOSE.PUT_BATCH_MAX_BYTES} (4 MiB). Must be at least max_record_bytes.`,
      ),
    min_concurrency: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe("Fewest PutRecordBatch calls kept in flight, however much the service throttles."),
    max_concurrency: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(4)
      .describe(
        "Most PutRecordBatch calls in flight, and where the limit starts. It is halved when Firehose throttles and grows back by one per window of successes.",
      ),
    retry: z
      .object({
        max_elapsed_ms: z
          .number()
          .int()
          .min(0)
          .default(RETRY_DEFAULTS.max_elapsed_ms)
          .describe(
            "Time spent retrying one call's failed records before their events are handed back as retryable (the forwarder resends them later).",
          ),
        max_attempts: z
          .number()
          .int()
          .min(1)
          .default(RETRY_DEFAULTS.max_attempts)
          .describe("Most attempts at one call within max_elapsed_ms, the first one included."),
        initial_delay_ms: z
          .number()
          .int()
          .min(0)
          .default(RETRY_DEFAULTS.initial_delay_ms)
          .describe("Upper bound of the first backoff (full jitter); doubles per attempt."),
        max_delay_ms: z
          .number()
          .int()
          .min(0)
          .default(RETRY_DEFAULTS.max_delay_ms)
          .describe("Largest backoff between two attempts; throttled attempts wait at least 1 s up to it."),
      })
      .strict()
      .refine((r) => r.max_delay_ms >= r.initial_delay_ms, {
        message: "must be at least initial_delay_ms",
        path: ["max_delay_ms"],
      })
      .default(RETRY_DEFAULTS)
      .describe(
        "Retries of throttled, unavailable and failed-network calls, and of the failed records of a partly failed call (only those are resent).",
      ),
    request_timeout_ms: RequestTimeoutSchema,
  })
  .strict()
  .refine((c) => c.min_concurrency <= c.max_concurrency, {
    message: "min_concurrency must not exceed max_concurrency",
    path: ["min_concurrency"],
  })
  .refine((c) => c.max_record_bytes <= c.max_batch_bytes, {
    message: "max_batch_bytes must be at least max_record_bytes, or a full record could never be sent",
    path: ["max_batch_bytes"],
  })
  .describe(
    "Amazon Data Firehose output: packs events as newline-delimited JSON into records and sends them with PutRecordBatch, resending only the records that failed.",
  );

export type FirehoseOutputConfig = z.output<typeof FirehoseOutputConfigSchema>;
