import { z } from "zod";
import { LEVELS } from "../../core/event/schema.js";

/** Built-in redaction kinds; each is also the `kind` label of `logpipe_redactions_total`. */
export const REDACTION_KINDS = [
  "email",
  "card",
  "aws_access_key",
  "aws_secret_key",
  "bearer",
  "jwt",
  "sensitive_field",
] as const;
export type RedactionKind = (typeof REDACTION_KINDS)[number];

/**
 * Attribute names whose values are replaced whole, compared after lower-casing and removing
 * `-` and `_` against the last segment of the dotted key (`req.headers.Set-Cookie` → `setcookie`).
 */
export const DEFAULT_SENSITIVE_FIELDS = [
  "password",
  "passwd",
  "authorization",
  "proxyauthorization",
  "cookie",
  "setcookie",
  "xapikey",
  "apikey",
  "token",
  "accesstoken",
  "refreshtoken",
  "idtoken",
  "clientsecret",
  "privatekey",
] as const;

function compiles(pattern: string, flags: string): boolean {
  try {
    new RegExp(pattern, flags);
    return true;
  } catch {
    return false;
  }
}

export const ExtraPatternSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,31}$/)
      .describe("Kind name: used in the replacement `[REDACTED:<name>]` and as the metric label."),
    pattern: z.string().min(1).describe("JavaScript regular expression source; every match is replaced."),
    flags: z
      .string()
      .regex(/^[imsu]*$/)
      .default("")
      .describe("Regular expression flags among i, m, s, u (g is always added)."),
    contains: z
      .string()
      .min(1)
      .optional()
      .describe("Cheap pre-check: the pattern runs only on strings containing this text."),
  })
  .strict()
  .refine((p) => compiles(p.pattern, p.flags), { message: "pattern is not a valid regular expression" })
  .refine((p) => !compiles(p.pattern, p.flags) || !new RegExp(p.pattern, p.flags).test(""), {
    message: "pattern must not match the empty string",
  });

export const RedactConfigSchema = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe("Redact secrets and personal data before events leave the host."),
    kinds: z
      .array(z.enum(REDACTION_KINDS))
      .default([...REDACTION_KINDS])
      .describe("Built-in redaction kinds to apply (all by default)."),
    sensitive_fields: z
      .array(z.string().min(1).max(64))
      .default([...DEFAULT_SENSITIVE_FIELDS])
      .describe(
        "Attribute names whose non-empty values are replaced whole (kind sensitive_field); matched on the last " +
          "dotted segment, case-insensitively, ignoring - and _.",
      ),
    extra_patterns: z
      .array(ExtraPatternSchema)
      .max(64)
      .default([])
      .describe("Additional patterns to redact, applied after the built-in kinds."),
  })
  .strict();

export const LimitsConfigSchema = z
  .object({
    max_message_bytes: z
      .number()
      .int()
      .min(256)
      .max(1_048_576)
      .default(32_768)
      .describe("Messages longer than this (UTF-8 bytes) are truncated with a marker that names the cut."),
    max_attrs: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .default(100)
      .describe("Most attribute keys kept per event; the rest are folded into attrs._overflow."),
    max_attr_value_bytes: z
      .number()
      .int()
      .min(64)
      .max(1_048_576)
      .default(8_192)
      .describe("Longest attribute value (UTF-8 bytes), also the budget of attrs._overflow."),
    max_key_length: z
      .number()
      .int()
      .min(16)
      .max(4_096)
      .default(256)
      .describe("Longest attribute key segment, in characters; longer keys are cut."),
    max_depth: z
      .number()
      .int()
      .min(1)
      .max(32)
      .default(8)
      .describe("Objects nested deeper than this are kept as one JSON string attribute."),
  })
  .strict();

export const TransformDefaultsSchema = z
  .object({
    service: z
      .string()
      .min(1)
      .max(128)
      .default("unknown")
      .describe("Service name when neither the record nor the tag gives one."),
    env: z.string().min(1).max(64).optional().describe("Environment when the record has none, e.g. prod."),
    region: z.string().min(1).max(64).optional().describe("Region when the record has none, e.g. eu-west-1."),
    host: z.string().min(1).max(255).optional().describe("Host when the record has none."),
  })
  .strict();

export const TransformsConfigSchema = z
  .object({
    defaults: TransformDefaultsSchema.prefault({}).describe("Values for fields the record does not carry."),
    service_from_tag: z
      .boolean()
      .default(true)
      .describe("Take the service from the tag's first dot-separated segment (checkout.access → checkout)."),
    id_field: z
      .string()
      .min(1)
      .max(64)
      .nullable()
      .default("id")
      .describe(
        "Top-level record field that carries an event id assigned upstream (wins over the input's id); null ignores it.",
      ),
    redact: RedactConfigSchema.prefault({}).describe("Redaction of secrets and personal data."),
    limits: LimitsConfigSchema.prefault({}).describe("Size bounds that keep events indexable."),
    drop_levels: z
      .array(z.enum(LEVELS))
      .default([])
      .describe("Levels dropped on purpose (counted as intentional drops), e.g. [trace, debug]."),
  })
  .strict();

export type TransformsConfig = z.output<typeof TransformsConfigSchema>;
export type TransformsConfigInput = z.input<typeof TransformsConfigSchema>;
export type RedactConfig = z.output<typeof RedactConfigSchema>;
export type LimitsConfig = z.output<typeof LimitsConfigSchema>;
export type ExtraPattern = z.output<typeof ExtraPatternSchema>;
