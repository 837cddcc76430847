import { z } from "zod";
import { LEVELS } from "../../core/event/schema.js";
import { RETRY_DEFAULTS } from "../../core/retry.js";

/**
 * Options of the in-service logger and of the pino transport.
 *
 * Unlike the forwarder's YAML config, these are passed from application code (or as pino
 * transport options), so the keys are camelCase like every other JavaScript API; the schema is
 * still strict, so a misspelt key fails at `createLogger` instead of being ignored.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/** A threshold: the six event levels, or `silent` to log nothing. */
export const THRESHOLDS = [...LEVELS, "silent"] as const;

export const LoggerTlsOptionsSchema = z
  .object({
    ca: z
      .string()
      .min(1)
      .optional()
      .describe("PEM CA bundle that signed the forwarder's certificate; the system CAs when absent."),
    cert: z
      .string()
      .min(1)
      .optional()
      .describe("PEM client certificate, for a forwarder that requires mutual TLS."),
    key: z.string().min(1).optional().describe("PEM private key of the client certificate."),
    servername: z
      .string()
      .min(1)
      .optional()
      .describe("Name to verify the forwarder's certificate against, when it differs from the host."),
    rejectUnauthorized: z
      .boolean()
      .default(true)
      .describe("Refuse a forwarder whose certificate does not verify. Only tests should turn this off."),
  })
  .strict()
  .describe("TLS settings for the connection to the forwarder.");

export const ForwarderOptionsSchema = z
  .object({
    host: z.string().min(1).default("127.0.0.1").describe("Host of the forwarder's forward input."),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .default(24224)
      .describe("Port of the forwarder's forward input (24224 is the Fluent default)."),
    tagPrefix: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, '_', '-' and '.' only")
      .optional()
      .describe(
        "Fluent tag of every event; the service name when absent (the forwarder reads the service from the tag's first segment only when a record has none).",
      ),
    sharedKey: z
      .string()
      .min(1)
      .optional()
      .describe("Fluent shared key; must match the forward input's shared_key. Enables the handshake."),
    clientHostname: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Hostname this client names in the shared-key handshake; the machine's hostname when absent. It must differ from the forwarder's self_hostname.",
      ),
    tls: z
      .union([z.boolean(), LoggerTlsOptionsSchema])
      .default(false)
      .describe("Connect over TLS: true for the system CAs, or an object with a CA, client certificate, ..."),
  })
  .strict()
  .describe("Where the events go: the forwarder's Fluent forward input.");

export const LoggerQueueOptionsSchema = z
  .object({
    maxEvents: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe(
        "Most events held (waiting or awaiting an ack); events logged beyond it are dropped and counted.",
      ),
    maxBytes: z
      .number()
      .int()
      .min(KiB)
      .default(8 * MiB)
      .describe(
        "Most bytes held (estimated encoded size); events logged beyond it are dropped and counted, as is any single event larger than this.",
      ),
  })
  .strict()
  .describe("Bound of the in-memory queue. Logging never waits for room: it drops and counts.");

export const LoggerChunkOptionsSchema = z
  .object({
    maxEvents: z.number().int().positive().default(1000).describe("Most events sent in one forward chunk."),
    maxBytes: z
      .number()
      .int()
      .min(KiB)
      .max(16 * MiB)
      .default(MiB)
      .describe(
        "Most bytes (estimated) in one forward chunk; keep it below the forward input's max_frame_bytes.",
      ),
  })
  .strict()
  .describe("Size of the chunks sent to the forwarder, one at a time, each acknowledged.");

export const LoggerRetryOptionsSchema = z
  .object({
    initialDelayMs: z
      .number()
      .int()
      .min(0)
      .default(RETRY_DEFAULTS.initialDelayMs)
      .describe(
        "Backoff cap after the first failed attempt of a chunk, milliseconds; it doubles per attempt.",
      ),
    maxDelayMs: z
      .number()
      .int()
      .min(0)
      .default(RETRY_DEFAULTS.maxDelayMs)
      .describe("Largest backoff cap, milliseconds; each wait is a random draw below the cap (full jitter)."),
  })
  .strict()
  .refine((retry) => retry.maxDelayMs >= retry.initialDelayMs, {
    message: "must be at least initialDelayMs",
    path: ["maxDelayMs"],
  })
  .describe("Backoff between attempts of a chunk that was not acknowledged.");

export const LoggerLimitsSchema = z
  .object({
    maxStringLength: z
      .number()
      .int()
      .min(64)
      .default(32 * KiB)
      .describe(
        "Longest string value (message, stack, field) in characters; longer ones are cut with a marker.",
      ),
    maxDepth: z
      .number()
      .int()
      .min(1)
      .max(32)
      .default(8)
      .describe("Deepest nesting of field objects and arrays kept; deeper values are replaced by a marker."),
    maxItems: z
      .number()
      .int()
      .min(1)
      .default(1000)
      .describe("Most keys of one object or items of one array kept; the rest are summarised by a marker."),
  })
  .strict()
  .describe("Bounds applied to every event's fields, so one odd value cannot blow up the queue.");

export const LoggerOptionsSchema = z
  .object({
    service: z.string().min(1).max(128).describe("Name of the service; set on every event."),
    env: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe("Deployment environment (prod, staging, ...) set on every event; omitted when absent."),
    host: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe("Host, container or task name set on every event; the machine's hostname when absent."),
    level: z
      .enum(THRESHOLDS)
      .default("info")
      .describe("Lowest level logged; events below it cost one comparison. `silent` logs nothing."),
    forwarder: ForwarderOptionsSchema.prefault({}),
    queue: LoggerQueueOptionsSchema.prefault({}),
    chunk: LoggerChunkOptionsSchema.prefault({}),
    flushIntervalMs: z
      .number()
      .int()
      .min(1)
      .default(100)
      .describe("How long the first event of an idle logger waits for company before its chunk is sent."),
    ackTimeoutMs: z
      .number()
      .int()
      .min(1)
      .default(30_000)
      .describe(
        "How long a chunk may take from hand-off to acknowledgement (connect, handshake, write, durable append) before it counts as failed and is retried.",
      ),
    maxRetries: z
      .number()
      .int()
      .min(0)
      .default(RETRY_DEFAULTS.maxAttempts - 1)
      .describe(
        "Resends of a chunk after its first attempt failed; its events then count as failed. With the default backoff, 9 resends span about 40 seconds of forwarder outage on average.",
      ),
    retry: LoggerRetryOptionsSchema.prefault({}),
    flushTimeoutMs: z
      .number()
      .int()
      .min(0)
      .default(10_000)
      .describe("Default wait of flush() and close() for outstanding acknowledgements."),
    warnIntervalMs: z
      .number()
      .int()
      .min(100)
      .default(10_000)
      .describe("Least time between two warnings about dropped or failed events (each carries the counts)."),
    limits: LoggerLimitsSchema.prefault({}),
  })
  .strict()
  .describe("In-service logger: structured events shipped to the logpipe forwarder over Fluent forward.");

export type LoggerOptions = z.output<typeof LoggerOptionsSchema>;
export type LoggerOptionsInput = z.input<typeof LoggerOptionsSchema>;
export type ForwarderOptions = z.output<typeof ForwarderOptionsSchema>;
export type LoggerTlsOptions = z.output<typeof LoggerTlsOptionsSchema>;
export type LoggerLimits = z.output<typeof LoggerLimitsSchema>;
export type Threshold = (typeof THRESHOLDS)[number];
