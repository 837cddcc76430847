import { z } from "zod";

const MiB = 1024 * 1024;

/** S3's own bucket naming rules (general purpose buckets), so a typo fails at start-up, not at the first put. */
const BUCKET_NAME = /^(?!xn--)(?!.*\.\.)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** No leading slash (S3 would make an empty first segment) and no control characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const KEY_PREFIX = /^(?!\/)[^\u0000-\u001f\u007f]*$/;

export const LakeCompactionSchema = z
  .object({
    min_objects: z
      .number()
      .int()
      .min(2)
      .max(100_000)
      .default(4)
      .describe("A closed hour is compacted once it holds at least this many small objects."),
    target_object_bytes: z
      .number()
      .int()
      .min(MiB)
      .max(5 * 1024 * MiB)
      .default(128 * MiB)
      .describe(
        "Largest gzip size of a merged object; objects below half of it count as small and are merged.",
      ),
    settle_minutes: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 60)
      .default(15)
      .describe("Minutes after an hour ends before it is compacted, so late writes land first."),
  })
  .strict()
  .describe("Merging the small objects of closed hours so the lake does not fill with tiny files.");

export const LakeConfigSchema = z
  .object({
    bucket: z
      .string()
      .regex(BUCKET_NAME, "an S3 bucket name: 3-63 lower-case letters, digits, dots and hyphens")
      .describe("S3 bucket of the lake."),
    prefix: z
      .string()
      .max(512)
      .regex(KEY_PREFIX, "a key prefix without a leading slash or control characters")
      .default("")
      .describe("Key prefix of the lake inside the bucket, e.g. `prod/`; objects go under <prefix>logs/."),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, "an AWS region such as eu-west-1")
      .optional()
      .describe("AWS region of the bucket; defaults to the SDK's region chain (AWS_REGION, profile)."),
    endpoint: z
      .url()
      .optional()
      .describe(
        "S3 endpoint URL for S3-compatible stores; AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL also work.",
      ),
    force_path_style: z
      .boolean()
      .default(false)
      .describe(
        "Address buckets as <endpoint>/<bucket> instead of <bucket>.<endpoint> (most S3-compatible stores).",
      ),
    max_parallel_puts: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(8)
      .describe("Most PutObject calls one write runs at once (one per partition of the batch)."),
    sse: z
      .enum(["none", "AES256", "aws:kms"])
      .default("none")
      .describe("Server-side encryption requested per object; `none` leaves it to the bucket's default."),
    kms_key_id: z
      .string()
      .min(1)
      .optional()
      .describe("KMS key id or ARN for `sse: aws:kms`; without it S3 uses the AWS managed key."),
    compaction: LakeCompactionSchema.prefault({}),
  })
  .strict()
  .refine((config) => config.kms_key_id === undefined || config.sse === "aws:kms", {
    message: "only allowed with sse: aws:kms",
    path: ["kms_key_id"],
  })
  .describe("The S3 lake: gzip NDJSON objects in the Hive layout that Athena queries.");

export type LakeCompactionConfig = z.output<typeof LakeCompactionSchema>;
export type LakeConfig = z.output<typeof LakeConfigSchema>;
