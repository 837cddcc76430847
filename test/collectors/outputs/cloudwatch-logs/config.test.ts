import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  CloudWatchLogsOutputConfigSchema,
  MAX_MESSAGE_BYTES,
} from "../../../../collectors/outputs/cloudwatch-logs/config.js";

describe("CloudWatchLogsOutputConfigSchema", () => {
  it("fills defaults from an empty object", () => {
    const config = CloudWatchLogsOutputConfigSchema.parse({});
    expect(config).toMatchObject({
      log_group: "/logpipe/{service}",
      log_stream: "{host}",
      max_event_bytes: MAX_MESSAGE_BYTES,
      min_concurrency: 1,
      max_concurrency: 16,
      create_missing: true,
      tags: {},
      retry: { max_elapsed_ms: 30_000 },
    });
    expect(MAX_MESSAGE_BYTES).toBe(1_048_550);
  });

  it("rejects unknown keys", () => {
    expect(CloudWatchLogsOutputConfigSchema.safeParse({ log_groups: "/x" }).success).toBe(false);
    expect(CloudWatchLogsOutputConfigSchema.safeParse({ retry: { attempts: 3 } }).success).toBe(false);
  });

  it("rejects a template placeholder it cannot fill, naming the allowed ones", () => {
    const result = CloudWatchLogsOutputConfigSchema.safeParse({ log_stream: "{hostname}" });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain("{hostname}");
    expect(result.error?.issues[0]?.path).toEqual(["log_stream"]);
  });

  it("accepts only retention periods CloudWatch Logs supports", () => {
    expect(CloudWatchLogsOutputConfigSchema.safeParse({ retention_days: 30 }).success).toBe(true);
    expect(CloudWatchLogsOutputConfigSchema.safeParse({ retention_days: 31 }).success).toBe(false);
  });

  it("rejects an event cap above what the service allows", () => {
    expect(
      CloudWatchLogsOutputConfigSchema.safeParse({ max_event_bytes: MAX_MESSAGE_BYTES + 1 }).success,
    ).toBe(false);
  });

  it("rejects min_concurrency above max_concurrency", () => {
    const result = CloudWatchLogsOutputConfigSchema.safeParse({ min_concurrency: 8, max_concurrency: 4 });
    expect(result.error?.issues[0]?.path).toEqual(["min_concurrency"]);
  });

  it("rejects a malformed endpoint", () => {
    expect(CloudWatchLogsOutputConfigSchema.safeParse({ endpoint: "not a url" }).success).toBe(false);
  });

  it("describes every field", () => {
    const json = z.toJSONSchema(CloudWatchLogsOutputConfigSchema, { io: "input" }) as {
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
  });
});
