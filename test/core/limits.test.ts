import { describe, expect, it } from "vitest";
import { CLOUDWATCH_LOGS, cloudWatchEventBytes, FIREHOSE, LAMBDA, OPENSEARCH } from "../../core/limits.js";

describe("AWS limits", () => {
  it("let a maximum-size CloudWatch event fit in one PutLogEvents batch", () => {
    expect(CLOUDWATCH_LOGS.DEFAULT_MAX_EVENT_BYTES).toBeLessThanOrEqual(CLOUDWATCH_LOGS.PUT_MAX_BATCH_BYTES);
    expect(CLOUDWATCH_LOGS.LEGACY_MAX_EVENT_BYTES).toBeLessThan(CLOUDWATCH_LOGS.DEFAULT_MAX_EVENT_BYTES);
  });

  it("count the 26-byte overhead in a CloudWatch event's size", () => {
    expect(cloudWatchEventBytes(0)).toBe(26);
    expect(cloudWatchEventBytes(1_048_550)).toBe(CLOUDWATCH_LOGS.PUT_MAX_BATCH_BYTES);
  });

  it("make the byte cap bind before the event-count cap for non-empty CloudWatch events", () => {
    // 10,000 events of 100 message bytes already exceed 1 MiB, so batchers must check both.
    expect(CLOUDWATCH_LOGS.PUT_MAX_EVENTS * cloudWatchEventBytes(100)).toBeGreaterThan(
      CLOUDWATCH_LOGS.PUT_MAX_BATCH_BYTES,
    );
  });

  it("keep the CloudWatch batch span shorter than the accepted age window", () => {
    expect(CLOUDWATCH_LOGS.PUT_MAX_SPAN_MS).toBe(86_400_000);
    expect(CLOUDWATCH_LOGS.MAX_EVENT_AGE_MS).toBe(14 * 86_400_000);
    expect(CLOUDWATCH_LOGS.MAX_EVENT_FUTURE_MS).toBe(7_200_000);
  });

  it("make the Firehose per-call cap bind before 500 maximum-size records", () => {
    expect(FIREHOSE.MAX_RECORD_BYTES).toBe(1_024_000);
    expect(FIREHOSE.PUT_BATCH_MAX_BYTES).toBe(4_194_304);
    expect(FIREHOSE.MAX_RECORD_BYTES * FIREHOSE.PUT_BATCH_MAX_RECORDS).toBeGreaterThan(
      FIREHOSE.PUT_BATCH_MAX_BYTES,
    );
    expect(FIREHOSE.MAX_RECORD_BYTES).toBeLessThan(FIREHOSE.PUT_BATCH_MAX_BYTES);
  });

  it("bound a Firehose transform response by the Lambda synchronous payload cap", () => {
    expect(FIREHOSE.TRANSFORM_RESPONSE_MAX_BYTES).toBe(6_291_456);
    expect(FIREHOSE.TRANSFORM_RESPONSE_MAX_BYTES).toBe(LAMBDA.SYNC_PAYLOAD_MAX_BYTES);
  });

  it("default the OpenSearch bulk size inside the recommended range and under the smallest payload cap", () => {
    expect(OPENSEARCH.BULK_DEFAULT_MAX_BYTES).toBeGreaterThanOrEqual(OPENSEARCH.BULK_RECOMMENDED_MIN_BYTES);
    expect(OPENSEARCH.BULK_DEFAULT_MAX_BYTES).toBeLessThanOrEqual(OPENSEARCH.BULK_RECOMMENDED_MAX_BYTES);
    expect(OPENSEARCH.BULK_DEFAULT_MAX_BYTES).toBeLessThan(OPENSEARCH.SMALL_INSTANCE_MAX_HTTP_PAYLOAD_BYTES);
  });

  it("name both CloudWatch subscription message types", () => {
    expect(Object.values(CLOUDWATCH_LOGS.SUBSCRIPTION_MESSAGE_TYPES).sort()).toEqual([
      "CONTROL_MESSAGE",
      "DATA_MESSAGE",
    ]);
  });
});
