import { z } from "zod";
import { parseDuration } from "../../core/duration.js";

const MiB = 1024 * 1024;

/** A duration string such as `7d`, `24h` or `90m`, checked with the shared parser. */
const duration = (fallback: string) =>
  z
    .string()
    .superRefine((text, ctx) => {
      try {
        if (parseDuration(text) <= 0) ctx.addIssue({ code: "custom", message: "must be longer than zero" });
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
      }
    })
    .default(fallback);

const FlushSchema = z
  .object({
    max_rows: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .default(1_000_000)
      .describe(
        "Rows not yet in lake files at which a flush to Parquet starts; fewer, larger files need no compaction later.",
      ),
    interval_ms: z
      .number()
      .int()
      .min(100)
      .max(3_600_000)
      .default(60_000)
      .describe("Longest time rows wait before they are flushed to lake files."),
  })
  .strict()
  .describe("When rows of the hot table are written to lake files.");

const RefreshSchema = z
  .object({
    interval_ms: z
      .number()
      .int()
      .min(10)
      .max(60_000)
      .default(2_000)
      .describe(
        "Longest time an accepted event waits before it is loaded into the hot table (a search, SQL query or tail loads everything accepted first, so this does not delay them).",
      ),
    max_rows: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .default(125_000)
      .describe(
        "Accepted events at which a load starts before the interval is up. A load of at least a DuckDB row group (122,880 rows) is written straight to the database file, and costs less per event than smaller ones.",
      ),
    max_backlog_rows: z
      .number()
      .int()
      .min(1)
      .max(100_000_000)
      .default(2_000_000)
      .describe(
        "Accepted events not yet loaded past which writes are refused as retryable, so the durable buffer holds them and applies backpressure.",
      ),
  })
  .strict()
  .describe(
    "When accepted events, already durable in the store's journal, are loaded into the hot table (like OpenSearch's refresh).",
  );

const CompactionSchema = z
  .object({
    enabled: z.boolean().default(true).describe("Merge the small files of closed hours into one."),
    max_files: z
      .number()
      .int()
      .min(2)
      .max(10_000)
      .default(8)
      .describe("A closed hour with more files than this is merged into a single file."),
    min_file_bytes: z
      .number()
      .int()
      .min(0)
      .default(32 * MiB)
      .describe("Files below this size are small: two or more of them in a closed hour are merged."),
    interval_ms: z
      .number()
      .int()
      .min(1_000)
      .max(86_400_000)
      .default(300_000)
      .describe("How often closed hours are checked for compaction."),
  })
  .strict()
  .describe("Compaction of lake partitions.");

const RetentionSchema = z
  .object({
    hot: duration("7d").describe(
      "How long events stay searchable in the hot table, by @timestamp (e.g. 7d).",
    ),
    lake: duration("30d").describe(
      "How long lake partitions are kept; an hour partition is deleted once all of it is older (e.g. 30d).",
    ),
    interval_ms: z
      .number()
      .int()
      .min(1_000)
      .max(86_400_000)
      .default(300_000)
      .describe("How often retention runs."),
  })
  .strict()
  .describe("Retention of the hot table and the lake.");

const settings = {
  refresh: RefreshSchema.prefault({}),
  flush: FlushSchema.prefault({}),
  compaction: CompactionSchema.prefault({}),
  retention: RetentionSchema.prefault({}),
  memory_limit: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, "a size such as 512MB or 2GiB")
    .optional()
    .describe("Memory DuckDB may use (e.g. 1GB); DuckDB's default is 80% of RAM."),
  threads: z
    .number()
    .int()
    .min(1)
    .max(256)
    .optional()
    .describe(
      "Worker threads of DuckDB; defaults to the number of cores less one, which the pipeline itself needs (all cores when the CLI opens the store read-only).",
    ),
  sql_max_rows: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(10_000)
    .describe("Most rows one SQL query returns; the answer says when it was cut."),
};

/** The local store as it appears in a config file, where the directories come from elsewhere. */
export const LocalStoreSettingsSchema = z
  .object(settings)
  .strict()
  .describe("The embedded store: DuckDB for search, Parquet lake files in the S3 layout for SQL.");

export const LocalStoreConfigSchema = z
  .object({
    dir: z
      .string()
      .min(1)
      .describe("Directory of the DuckDB database (`logpipe.duckdb`), e.g. <data>/store."),
    lake_dir: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Root of the lake; files go under <lake_dir>/logs/service=…/dt=…/hour=…/. Defaults to <dir>/../lake.",
      ),
    ...settings,
  })
  .strict()
  .describe("The embedded store with its directories.");

export type LocalStoreSettings = z.output<typeof LocalStoreSettingsSchema>;
export type LocalStoreConfig = z.output<typeof LocalStoreConfigSchema>;
