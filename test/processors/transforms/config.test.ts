import { describe, expect, it } from "vitest";
import { z } from "zod";
import { REDACTION_KINDS, TransformsConfigSchema } from "../../../processors/transforms/config.js";

function undescribed(schema: z.ZodType, path: string): string[] {
  let inner: z.ZodType = schema;
  // Defaults and optionals wrap the described schema; look through them.
  while (
    inner instanceof z.ZodDefault ||
    inner instanceof z.ZodPrefault ||
    inner instanceof z.ZodOptional ||
    inner instanceof z.ZodNullable ||
    inner instanceof z.ZodPipe
  ) {
    if (inner.description !== undefined) break;
    inner =
      inner instanceof z.ZodPipe ? (inner.in as z.ZodType) : ((inner as z.ZodOptional).unwrap() as z.ZodType);
  }
  const missing = schema.description === undefined && inner.description === undefined ? [path] : [];
  let object: z.ZodType = inner;
  while (object instanceof z.ZodDefault || object instanceof z.ZodPrefault || object instanceof z.ZodOptional)
    object = (object as z.ZodOptional).unwrap() as z.ZodType;
  if (object instanceof z.ZodArray) object = object.element as z.ZodType;
  if (object instanceof z.ZodObject) {
    for (const [key, child] of Object.entries(object.shape as Record<string, z.ZodType>))
      missing.push(...undescribed(child, `${path}.${key}`));
  }
  return missing;
}

describe("TransformsConfigSchema", () => {
  it("fills every default from an empty object", () => {
    const config = TransformsConfigSchema.parse({});
    expect(config).toEqual({
      defaults: { service: "unknown" },
      service_from_tag: true,
      id_field: "id",
      redact: {
        enabled: true,
        kinds: [...REDACTION_KINDS],
        sensitive_fields: expect.arrayContaining(["password", "authorization", "cookie"]),
        extra_patterns: [],
      },
      limits: {
        max_message_bytes: 32_768,
        max_attrs: 100,
        max_attr_value_bytes: 8_192,
        max_key_length: 256,
        max_depth: 8,
      },
      drop_levels: [],
    });
  });

  it("passes an already parsed config through unchanged", () => {
    const config = TransformsConfigSchema.parse({ defaults: { env: "prod" }, drop_levels: ["debug"] });
    expect(TransformsConfigSchema.parse(config)).toEqual(config);
  });

  it("rejects unknown keys at the top level and inside groups", () => {
    expect(TransformsConfigSchema.safeParse({ sevice_from_tag: true }).success).toBe(false);
    expect(TransformsConfigSchema.safeParse({ limits: { max_message_byte: 10 } }).success).toBe(false);
    expect(TransformsConfigSchema.safeParse({ redact: { enable: false } }).success).toBe(false);
  });

  it("rejects an extra pattern that is not a valid regular expression", () => {
    const result = TransformsConfigSchema.safeParse({
      redact: { extra_patterns: [{ name: "x", pattern: "(" }] },
    });
    expect(result.success).toBe(false);
  });

  it("rejects an extra pattern that matches the empty string", () => {
    const result = TransformsConfigSchema.safeParse({
      redact: { extra_patterns: [{ name: "x", pattern: "a*" }] },
    });
    expect(result.success).toBe(false);
  });

  it("rejects an extra pattern name that cannot be a metric label", () => {
    const result = TransformsConfigSchema.safeParse({
      redact: { extra_patterns: [{ name: "Employee ID", pattern: "E\\d{6}" }] },
    });
    expect(result.success).toBe(false);
  });

  it("rejects a message limit too small to hold the truncation marker", () => {
    expect(TransformsConfigSchema.safeParse({ limits: { max_message_bytes: 10 } }).success).toBe(false);
  });

  it("rejects a drop level that is not a schema level", () => {
    expect(TransformsConfigSchema.safeParse({ drop_levels: ["verbose"] }).success).toBe(false);
  });

  it("has a description check that notices a field without one", () => {
    const schema = z.object({ a: z.object({ b: z.number().default(1) }).describe("A.") }).describe("Root.");
    expect(undescribed(schema, "root")).toEqual(["root.a.b"]);
  });

  it("describes every field", () => {
    expect(undescribed(TransformsConfigSchema, "transforms").filter((p) => p !== "transforms")).toEqual([]);
  });
});
