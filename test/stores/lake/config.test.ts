import { describe, expect, it } from "vitest";
import { LakeConfigSchema } from "../../../stores/lake/config.js";

describe("LakeConfigSchema", () => {
  it("fills defaults from just a bucket", () => {
    expect(LakeConfigSchema.parse({ bucket: "my-lake" })).toEqual({
      bucket: "my-lake",
      prefix: "",
      force_path_style: false,
      max_parallel_puts: 8,
      sse: "none",
      compaction: { min_objects: 4, target_object_bytes: 128 * 1024 * 1024, settle_minutes: 15 },
    });
  });

  it("rejects unknown keys, also inside compaction", () => {
    expect(LakeConfigSchema.safeParse({ bucket: "my-lake", buckets: "x" }).success).toBe(false);
    expect(LakeConfigSchema.safeParse({ bucket: "my-lake", compaction: { every: 1 } }).success).toBe(false);
  });

  it("rejects bucket names S3 would refuse", () => {
    for (const bucket of ["My_Lake", "ab", "-lake", "a..b", "192.168.1.1", `${"a".repeat(64)}`]) {
      expect(LakeConfigSchema.safeParse({ bucket }).success, bucket).toBe(false);
    }
  });

  it("rejects a prefix with a leading slash", () => {
    expect(LakeConfigSchema.safeParse({ bucket: "my-lake", prefix: "/prod" }).success).toBe(false);
  });

  it("allows kms_key_id only with sse aws:kms", () => {
    expect(
      LakeConfigSchema.safeParse({ bucket: "my-lake", sse: "aws:kms", kms_key_id: "alias/logs" }).success,
    ).toBe(true);
    const wrong = LakeConfigSchema.safeParse({ bucket: "my-lake", sse: "AES256", kms_key_id: "alias/logs" });
    expect(wrong.success).toBe(false);
    expect(wrong.error?.issues[0]?.path).toEqual(["kms_key_id"]);
  });

  it("describes every field", () => {
    const json = LakeConfigSchema.toJSONSchema({ io: "input" }) as {
      properties: Record<
        string,
        { description?: string; properties?: Record<string, { description?: string }> }
      >;
    };
    for (const [name, prop] of Object.entries(json.properties)) {
      expect(prop.description, name).toBeTruthy();
      for (const [inner, innerProp] of Object.entries(prop.properties ?? {}))
        expect(innerProp.description, inner).toBeTruthy();
    }
  });
});
