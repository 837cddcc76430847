import { describe, expect, it } from "vitest";
import { z } from "zod";
import { FirehoseOutputConfigSchema } from "../../../../collectors/outputs/firehose/config.js";
import { FIREHOSE } from "../../../../core/limits.js";

describe("FirehoseOutputConfigSchema", () => {
  it("fills defaults around the required delivery stream", () => {
    expect(FirehoseOutputConfigSchema.parse({ delivery_stream: "app-logs" })).toEqual({
      delivery_stream: "app-logs",
      one_event_per_record: false,
      max_record_bytes: 1_024_000,
      max_batch_records: 500,
      max_batch_bytes: 4_194_304,
      min_concurrency: 1,
      max_concurrency: 4,
      retry: { max_elapsed_ms: 30_000, max_attempts: 8, initial_delay_ms: 100, max_delay_ms: 5_000 },
      request_timeout_ms: 30_000,
    });
  });

  it("requires the delivery stream", () => {
    const result = FirehoseOutputConfigSchema.safeParse({});
    expect(result.error?.issues[0]?.path).toEqual(["delivery_stream"]);
  });

  it("rejects a stream name Firehose would refuse", () => {
    expect(FirehoseOutputConfigSchema.safeParse({ delivery_stream: "logs/prod" }).success).toBe(false);
    expect(FirehoseOutputConfigSchema.safeParse({ delivery_stream: "x".repeat(65) }).success).toBe(false);
  });

  it("rejects unknown keys, also inside retry", () => {
    expect(FirehoseOutputConfigSchema.safeParse({ delivery_stream: "l", stream: "l" }).success).toBe(false);
    expect(
      FirehoseOutputConfigSchema.safeParse({ delivery_stream: "l", retry: { attempts: 3 } }).success,
    ).toBe(false);
  });

  it("rejects limits above what PutRecordBatch allows", () => {
    const over = [
      { max_record_bytes: FIREHOSE.MAX_RECORD_BYTES + 1 },
      { max_batch_records: FIREHOSE.PUT_BATCH_MAX_RECORDS + 1 },
      { max_batch_bytes: FIREHOSE.PUT_BATCH_MAX_BYTES + 1 },
    ];
    for (const limit of over) {
      expect(FirehoseOutputConfigSchema.safeParse({ delivery_stream: "l", ...limit }).success).toBe(false);
    }
  });

  it("rejects a call cap smaller than the record cap", () => {
    const result = FirehoseOutputConfigSchema.safeParse({
      delivery_stream: "l",
      max_record_bytes: 10_000,
      max_batch_bytes: 5_000,
    });
    expect(result.error?.issues[0]?.path).toEqual(["max_batch_bytes"]);
  });

  it("rejects min_concurrency above max_concurrency", () => {
    const result = FirehoseOutputConfigSchema.safeParse({
      delivery_stream: "l",
      min_concurrency: 8,
      max_concurrency: 4,
    });
    expect(result.error?.issues[0]?.path).toEqual(["min_concurrency"]);
  });

  it("rejects a retry max delay below the initial delay", () => {
    const result = FirehoseOutputConfigSchema.safeParse({
      delivery_stream: "l",
      retry: { initial_delay_ms: 1_000, max_delay_ms: 10 },
    });
    expect(result.error?.issues[0]?.path).toEqual(["retry", "max_delay_ms"]);
  });

  it("rejects a malformed endpoint", () => {
    expect(
      FirehoseOutputConfigSchema.safeParse({ delivery_stream: "l", endpoint: "not a url" }).success,
    ).toBe(false);
  });

  it("describes every field", () => {
    const json = z.toJSONSchema(FirehoseOutputConfigSchema, { io: "input" }) as {
      description?: string;
      properties: Record<
        string,
        { description?: string; properties?: Record<string, { description?: string }> }
      >;
    };
    const missing: string[] = [];
    for (const [key, prop] of Object.entries(json.properties)) {
      if (!prop.description) missing.push(key);
      for (const [inner, innerProp] of Object.entries(prop.properties ?? {})) {
        if (!innerProp.description) missing.push(`${key}.${inner}`);
      }
    }
    expect(missing).toEqual([]);
    expect(json.description).toBeTruthy();
  });
});
