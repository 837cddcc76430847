/**
 * AWS service limits the pipeline must respect, kept in one place so batchers, splitters and
 * validators agree. A limit that a user may legitimately need to change (for example the
 * CloudWatch Logs event size, which AWS raised in 2025) appears here as a default; the component
 * that enforces it makes it a setting.
 *
 * Sizes are bytes, durations are milliseconds.
 */

const KIB = 1024;
const MIB = 1024 * KIB;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** CloudWatch Logs `PutLogEvents` and subscription delivery. */
export const CLOUDWATCH_LOGS = {
  /** Most log events one `PutLogEvents` call may carry. */
  PUT_MAX_EVENTS: 10_000,
  /**
   * Most bytes one `PutLogEvents` call may carry, counted as the sum of every event's UTF-8
   * message plus {@link CLOUDWATCH_LOGS.EVENT_OVERHEAD_BYTES} per event (not the JSON body size).
   */
  PUT_MAX_BATCH_BYTES: MIB,
  /** Bytes CloudWatch Logs adds to each event's UTF-8 message when it sizes a batch. */
  EVENT_OVERHEAD_BYTES: 26,
  /**
   * Widest span between the oldest and newest event of one call. A wider batch fails as a whole
   * (not per event), so batches must be cut before they reach it.
   */
  PUT_MAX_SPAN_MS: DAY_MS,
  /**
   * Default cap on one event, counted like the batch (message + overhead). AWS raised it from
   * 256 KiB to 1 MiB in 2025; regions or accounts still on the old cap set the output's setting
   * to {@link CLOUDWATCH_LOGS.LEGACY_MAX_EVENT_BYTES}.
   */
  DEFAULT_MAX_EVENT_BYTES: MIB,
  /** The per-event cap before 2025, for outputs configured to the old limit. */
  LEGACY_MAX_EVENT_BYTES: 256 * KIB,
  /**
   * Events older than this (or than the log group's retention, whichever is shorter) are
   * rejected per event and reported in `rejectedLogEventsInfo`; the rest of the call succeeds.
   */
  MAX_EVENT_AGE_MS: 14 * DAY_MS,
  /** Events more than this far in the future are rejected per event, like too-old ones. */
  MAX_EVENT_FUTURE_MS: 2 * HOUR_MS,
  /** Longest log group name. */
  LOG_GROUP_NAME_MAX_LENGTH: 512,
  /** Longest log stream name. */
  LOG_STREAM_NAME_MAX_LENGTH: 512,
  /**
   * `messageType` values of a subscription payload (base64 + gzip JSON). Only data messages
   * carry log events; the control message AWS sends to check the destination is skipped.
   */
  SUBSCRIPTION_MESSAGE_TYPES: {
    DATA: "DATA_MESSAGE",
    CONTROL: "CONTROL_MESSAGE",
  },
} as const;

export type CloudWatchSubscriptionMessageType =
  (typeof CLOUDWATCH_LOGS.SUBSCRIPTION_MESSAGE_TYPES)[keyof typeof CLOUDWATCH_LOGS.SUBSCRIPTION_MESSAGE_TYPES];

/** Size of one event as `PutLogEvents` counts it against the batch and per-event caps. */
export function cloudWatchEventBytes(messageUtf8Bytes: number): number {
  return messageUtf8Bytes + CLOUDWATCH_LOGS.EVENT_OVERHEAD_BYTES;
}

/** AWS Lambda invocation payloads. */
export const LAMBDA = {
  /** Largest request or response of a synchronous invocation. */
  SYNC_PAYLOAD_MAX_BYTES: 6 * MIB,
} as const;

/** Amazon Data Firehose `PutRecordBatch` and the data-transformation Lambda contract. */
export const FIREHOSE = {
  /** Most records one `PutRecordBatch` call may carry. */
  PUT_BATCH_MAX_RECORDS: 500,
  /** Most bytes (sum of record data) one `PutRecordBatch` call may carry. */
  PUT_BATCH_MAX_BYTES: 4 * MIB,
  /** Largest single record, before base64 encoding. */
  MAX_RECORD_BYTES: 1000 * KIB,
  /**
   * Direct PUT ingestion is billed per record rounded up to this size, so many small events
   * are packed newline-delimited into one record rather than sent one per record.
   */
  BILLING_INCREMENT_BYTES: 5 * KIB,
  /** Largest response a transformation Lambda may return (the Lambda synchronous payload cap). */
  TRANSFORM_RESPONSE_MAX_BYTES: LAMBDA.SYNC_PAYLOAD_MAX_BYTES,
  /** The only `result` values a transformation Lambda may answer for a `recordId`. */
  TRANSFORM_RESULTS: ["Ok", "Dropped", "ProcessingFailed"],
} as const;

export type FirehoseTransformResult = (typeof FIREHOSE.TRANSFORM_RESULTS)[number];

/** OpenSearch (and Amazon OpenSearch Service) indexing. */
export const OPENSEARCH = {
  /** Lower end of the request size the OpenSearch docs recommend for `_bulk`. */
  BULK_RECOMMENDED_MIN_BYTES: 5_000_000,
  /** Upper end of the request size the OpenSearch docs recommend for `_bulk`. */
  BULK_RECOMMENDED_MAX_BYTES: 15_000_000,
  /**
   * Default `_bulk` request cap: mid-range of the recommendation, and below the smallest
   * domains' HTTP payload cap so one default works on every instance type.
   */
  BULK_DEFAULT_MAX_BYTES: 10_000_000,
  /**
   * Amazon OpenSearch Service rejects larger HTTP request bodies on its smallest instance types
   * (t2/t3 small and medium); larger types allow 100 MiB.
   */
  SMALL_INSTANCE_MAX_HTTP_PAYLOAD_BYTES: 10 * MIB,
  /** Default `index.mapping.total_fields.limit`: why unknown keys go into one bounded field. */
  DEFAULT_TOTAL_FIELDS_LIMIT: 1000,
} as const;
