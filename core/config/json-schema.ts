import { z } from "zod";

/**
 * The JSON Schema of a config schema, for editors (YAML language servers) and reference docs.
 * It describes the input side, so keys with defaults are optional, and it keeps every
 * `.describe()` text as `description`.
 */
export function configJsonSchema(schema: z.ZodType, title: string): Record<string, unknown> {
  const generated = z.toJSONSchema(schema, { io: "input", target: "draft-2020-12", unrepresentable: "any" });
  const { $schema, ...rest } = generated as Record<string, unknown>;
  return { $schema: $schema ?? "https://json-schema.org/draft/2020-12/schema", title, ...rest };
}
