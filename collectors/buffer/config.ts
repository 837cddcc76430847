import { z } from "zod";

const MiB = 1024 * 1024;

const settings = {
  max_bytes: z
    .number()
    .int()
    .positive()
    .default(256 * MiB)
    .describe(
      "Disk the buffer may use. At or above it the inputs stop reading and answer with backpressure; appends already in flight still complete.",
    ),
  segment_bytes: z
    .number()
    .int()
    .min(4096)
    .max(1024 * MiB)
    .default(16 * MiB)
    .describe(
      "Size at which a segment file is closed and a new one started. Space is freed a whole segment at a time, once every output has passed it.",
    ),
  fsync: z
    .enum(["batch", "never"])
    .default("batch")
    .describe(
      "`batch`: an append is acknowledged only after an fsync that covers it, and appends arriving while one fsync runs share the next (group commit); acknowledged data survives a killed process, an OS crash and power loss. `never`: an append is acknowledged once written to the OS page cache; it survives a killed process (kill -9) but not an OS crash or power loss. Meant for benchmarks and throwaway setups.",
    ),
  fsync_interval_ms: z
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(0)
    .describe(
      "With `fsync: batch`, the least time between two fsyncs. 0 starts the next fsync as soon as the previous one finished; a larger value means fewer fsyncs but slower acknowledgements.",
    ),
  dedup_window: z
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(10_000)
    .describe(
      "How many recent dedup keys (a client's chunk id + content digest) are remembered, so a resent chunk is answered `duplicate` instead of being stored twice. Rebuilt from the segments on restart; 0 turns deduplication off.",
    ),
  cursor_flush_interval_ms: z
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(1_000)
    .describe(
      "How often committed output positions are written to disk (and consumed segments deleted). After a crash an output may receive again what it committed in the last interval; never less.",
    ),
};

function capCoversTwoSegments(
  value: { max_bytes: number; segment_bytes: number },
  ctx: z.RefinementCtx,
): void {
  // The active segment is never deleted; with less than two segments of room a full buffer
  // could consist of the active segment alone and never drain.
  if (value.max_bytes < 2 * value.segment_bytes) {
    ctx.addIssue({
      code: "custom",
      path: ["max_bytes"],
      message: `must be at least twice segment_bytes (${value.segment_bytes}), got ${value.max_bytes}`,
    });
  }
}

/** The buffer's settings as they appear in a config file, where the directory comes from elsewhere. */
export const BufferSettingsSchema = z
  .object(settings)
  .strict()
  .superRefine(capCoversTwoSegments)
  .describe("The durable spool between the inputs and the outputs.");

export const BufferConfigSchema = z
  .object({
    dir: z
      .string()
      .min(1)
      .default(".logpipe/buffer")
      .describe("Directory holding the segment files and the output cursors; created when missing."),
    ...settings,
  })
  .strict()
  .superRefine(capCoversTwoSegments)
  .describe("The durable spool between the inputs and the outputs.");

export type BufferSettings = z.output<typeof BufferSettingsSchema>;
export type BufferConfig = z.output<typeof BufferConfigSchema>;
