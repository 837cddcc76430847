import { describe, expect, it } from "vitest";
import { BufferConfigSchema, BufferSettingsSchema } from "../../../collectors/buffer/config.js";

describe("BufferConfigSchema", () => {
  it("fills every setting with a default", () => {
    expect(BufferConfigSchema.parse({})).toEqual({
      dir: ".logpipe/buffer",
      max_bytes: 256 * 1024 * 1024,
      segment_bytes: 16 * 1024 * 1024,
      fsync: "batch",
      fsync_interval_ms: 0,
      dedup_window: 10_000,
      cursor_flush_interval_ms: 1_000,
    });
  });

  it("rejects unknown keys", () => {
    expect(BufferConfigSchema.safeParse({ max_byte: 1 }).success).toBe(false);
  });

  it("rejects an unknown fsync mode", () => {
    expect(BufferConfigSchema.safeParse({ fsync: "always" }).success).toBe(false);
  });

  it("requires room for at least two segments", () => {
    const result = BufferConfigSchema.safeParse({ max_bytes: 10_000, segment_bytes: 8_000 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(["max_bytes"]);
  });

  it("describes every field", () => {
    for (const field of Object.values(BufferConfigSchema.shape)) expect(field.description).toBeTruthy();
  });

  it("offers the same settings without the directory for config files", () => {
    expect(BufferSettingsSchema.parse({})).not.toHaveProperty("dir");
    expect(BufferSettingsSchema.safeParse({ dir: "x" }).success).toBe(false);
  });
});
