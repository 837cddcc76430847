import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { HttpInputConfigSchema } from "../../../../collectors/inputs/http/config.js";

describe("HttpInputConfigSchema", () => {
  it("fills in safe defaults", () => {
    expect(HttpInputConfigSchema.parse({})).toEqual({
      enabled: true,
      host: "127.0.0.1",
      port: 8088,
      path: "/v1/logs",
      max_body_bytes: 10 * 1024 * 1024,
      max_decompressed_bytes: 64 * 1024 * 1024,
      max_line_bytes: 1024 * 1024,
      max_events_per_request: 100_000,
      max_depth: 32,
      retry_after_seconds: 5,
      request_timeout_ms: 30_000,
    });
  });

  it("allows port 0 for an ephemeral port", () => {
    expect(HttpInputConfigSchema.parse({ port: 0 }).port).toBe(0);
  });

  it("rejects unknown keys", () => {
    const result = HttpInputConfigSchema.safeParse({ max_body_size: 5 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.code).toBe("unrecognized_keys");
  });

  it.each([
    ["a path without a leading slash", { path: "v1/logs" }],
    ["a port out of range", { port: 70000 }],
    ["a short auth token", { auth_token: "short" }],
    ["a zero body cap", { max_body_bytes: 0 }],
  ])("rejects %s", (_, input) => {
    expect(HttpInputConfigSchema.safeParse(input).success).toBe(false);
  });

  it("describes every field", () => {
    const shape = HttpInputConfigSchema.shape as Record<string, z.ZodType>;
    const undocumented = Object.entries(shape)
      .filter(([, field]) => !field.description)
      .map(([key]) => key);
    expect(undocumented).toEqual([]);
  });
});
