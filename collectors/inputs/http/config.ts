import { z } from "zod";

const MiB = 1024 * 1024;

export const HttpInputConfigSchema = z
  .object({
    enabled: z.boolean().default(true).describe("Whether the HTTP input listens at all."),
    host: z
      .string()
      .min(1)
      .default("127.0.0.1")
      .describe("Address to bind. The default keeps the listener on this machine; use 0.0.0.0 to expose it."),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(8088)
      .describe("TCP port to listen on; 0 picks a free port (see the address the input reports)."),
    path: z
      .string()
      .regex(/^\/[^\s?#]*$/, "must start with / and contain no spaces, ? or #")
      .default("/v1/logs")
      .describe("Request path that accepts log records (POST)."),
    auth_token: z
      .string()
      .min(16, "use a token of at least 16 characters")
      .optional()
      .describe(
        "Bearer token clients must send as `Authorization: Bearer <token>`. Without it, the listener accepts anyone who can reach it.",
      ),
    max_body_bytes: z
      .number()
      .int()
      .positive()
      .default(10 * MiB)
      .describe(
        "Largest request body accepted as sent on the wire (compressed size for gzip bodies); larger → 413.",
      ),
    max_decompressed_bytes: z
      .number()
      .int()
      .positive()
      .default(64 * MiB)
      .describe(
        "Largest body accepted after gzip inflation; inflation stops as soon as it is exceeded → 413.",
      ),
    max_line_bytes: z
      .number()
      .int()
      .positive()
      .default(1 * MiB)
      .describe(
        "Largest single record (NDJSON line or array element); a larger one is rejected by line, the rest kept.",
      ),
    max_events_per_request: z
      .number()
      .int()
      .positive()
      .default(100_000)
      .describe(
        "Most records (lines or array elements) one request may carry; more → 413 so the client splits.",
      ),
    max_depth: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(32)
      .describe("Deepest object/array nesting accepted in a record; deeper records are rejected by line."),
    retry_after_seconds: z
      .number()
      .int()
      .min(0)
      .default(5)
      .describe("Value of the Retry-After header sent with 503 when the buffer is full or an append failed."),
    request_timeout_ms: z
      .number()
      .int()
      .positive()
      .default(30_000)
      .describe(
        "Time a client has to send a whole request (headers and body) before the connection is closed.",
      ),
  })
  .strict()
  .describe("HTTP input: accepts NDJSON or JSON log records on POST.");

export type HttpInputConfig = z.output<typeof HttpInputConfigSchema>;
