import { describe, expect, it } from "vitest";
import { z } from "zod";
import { configJsonSchema } from "../../../core/config/index.js";

const Schema = z
  .object({
    port: z.number().int().default(80).describe("Port to listen on."),
    name: z.string().describe("Service name."),
    mode: z.enum(["a", "b"]).default("a").describe("Mode."),
  })
  .strict()
  .describe("Test config");

describe("configJsonSchema", () => {
  const schema = configJsonSchema(Schema, "test configuration");

  it("declares the JSON Schema dialect and a title", () => {
    expect(schema["$schema"]).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema["title"]).toBe("test configuration");
  });

  it("carries the field descriptions and defaults over", () => {
    const properties = schema["properties"] as Record<string, Record<string, unknown>>;
    expect(properties["port"]).toMatchObject({
      type: "integer",
      default: 80,
      description: "Port to listen on.",
    });
    expect(properties["mode"]).toMatchObject({ enum: ["a", "b"], description: "Mode." });
  });

  it("makes keys with defaults optional", () => {
    expect(schema["required"]).toEqual(["name"]);
  });

  it("rejects unknown keys like the zod schema does", () => {
    expect(schema["additionalProperties"]).toBe(false);
  });
});
