import { z } from "zod";
import { LEVELS } from "../../core/event/schema.js";
import { type LakeConfig, LakeConfigSchema } from "../../stores/lake/index.js";
import { type OpenSearchStoreConfig, OpenSearchStoreConfigSchema } from "../../stores/opensearch/index.js";
import type { TransformsConfigInput } from "../transforms/index.js";

/**
 * The Lambda handlers' configuration: the one module that reads environment variables. Lambda
 * has no config file, so the variables play the YAML file's role; they are read once, on the
 * first invocation (never at import time), validated, and turned into the same typed store and
 * transform configs the embedded pipeline uses, so the stores' own schemas do the checking and
 * an error still names the variable that carries the bad value.
 *
 * The SDK's own variables (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3`,
 * `AWS_ENDPOINT_URL_FIREHOSE`, credentials, …) are not listed: the SDK clients read them
 * themselves, and nothing here sets an `endpoint` that would override them.
 *
 * The schema is not `.strict()`: the environment holds every variable of the process, not only
 * ours. Keys are the variable names, so zod issue paths name them directly.
 */

const S3_BUCKET = /^(?!xn--)(?!.*\.\.)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const BUCKET_HINT = "an S3 bucket name: 3-63 lower-case letters, digits, dots and hyphens";

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, "u");
    return true;
  } catch {
    return false;
  }
}

export const HandlerEnvSchema = z.object({
  DLQ_BUCKET: z
    .string()
    .regex(S3_BUCKET, BUCKET_HINT)
    .describe(
      "S3 bucket for dead letters: events a store refused for good and records the transforms could not use, as gzip NDJSON.",
    ),
  DLQ_PREFIX: z
    .string()
    .max(512)
    .default("dead-letter/")
    .describe(
      "Key prefix of dead-letter objects: `<prefix><output>/<yyyy>/<mm>/<dd>/<request id>-<n>.json.gz`.",
    ),
  OPENSEARCH_ENDPOINT: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe(
      "OpenSearch endpoint (https://…). Unset: the subscription handler does not write to OpenSearch.",
    ),
  OPENSEARCH_AUTH: z
    .enum(["sigv4", "basic", "none"])
    .default("sigv4")
    .describe("How OpenSearch requests authenticate: `sigv4` (the function's role), `basic` or `none`."),
  OPENSEARCH_SERVICE: z
    .enum(["es", "aoss"])
    .default("es")
    .describe("SigV4 signing service: `es` for a managed domain, `aoss` for OpenSearch Serverless."),
  OPENSEARCH_USERNAME: z
    .string()
    .min(1)
    .optional()
    .describe("User name for `OPENSEARCH_AUTH=basic` (required then)."),
  OPENSEARCH_PASSWORD: z
    .string()
    .min(1)
    .optional()
    .describe("Password for `OPENSEARCH_AUTH=basic` (required then)."),
  OPENSEARCH_INDEX_PREFIX: z
    .string()
    .default("logs-")
    .describe("Start of every index name: events go to `<prefix><service>-<YYYY.MM.DD>`."),
  LAKE_BUCKET: z
    .string()
    .optional()
    .describe("S3 bucket of the lake. Unset: the subscription handler does not write to the lake."),
  LAKE_PREFIX: z
    .string()
    .default("")
    .describe(
      "Key prefix of the lake inside `LAKE_BUCKET`; objects go under `<prefix>logs/service=…/dt=…/hour=…/`.",
    ),
  LOGPIPE_S3_FORCE_PATH_STYLE: z
    .stringbool()
    .default(false)
    .describe(
      "Address S3 buckets as `<endpoint>/<bucket>` (S3-compatible stores behind `AWS_ENDPOINT_URL_S3`).",
    ),
  LOGPIPE_SERVICE_FROM_LOG_GROUP: z
    .string()
    .refine(compiles, "a valid regular expression")
    .optional()
    .describe(
      "Regular expression applied to the log group name; its first capture group (or the group named `service`) names the service of events that carry none. Unset or no match: the last path segment (`/aws/lambda/checkout-api` → `checkout-api`).",
    ),
  LOGPIPE_ENV: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe("Environment given to events that carry none, e.g. `prod`."),
  LOGPIPE_DROP_LEVELS: z
    .string()
    .optional()
    .describe("Comma-separated levels dropped on purpose (counted, not dead-lettered), e.g. `trace,debug`."),
  FIREHOSE_PARTITION_KEYS: z
    .stringbool()
    .default(true)
    .describe(
      "Firehose handler: answer `metadata.partitionKeys` {service, dt, hour} for dynamic partitioning; records mixing partitions are split.",
    ),
  FIREHOSE_REINGEST: z
    .stringbool()
    .default(true)
    .describe(
      "Firehose handler: put back into the delivery stream what cannot be answered in this invocation (over the 6 MB response, mixed partitions), as the AWS blueprints do. Needs `firehose:PutRecordBatch` on the stream; off: such records are answered ProcessingFailed.",
    ),
  AWS_REGION: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, "an AWS region such as eu-west-1")
    .optional()
    .describe(
      "Set by Lambda. Region of the OpenSearch domain (SigV4) and the S3 buckets; stamped on events as `region`.",
    ),
});

export type HandlerEnv = z.output<typeof HandlerEnvSchema>;

/** The variables the handlers read, by name. */
export const HANDLER_ENV_VARS = Object.keys(HandlerEnvSchema.shape) as (keyof HandlerEnv)[];

/** The handlers' configuration, typed and ready for the stores and transforms. */
export interface HandlerConfig {
  /** Absent when `OPENSEARCH_ENDPOINT` is unset: no OpenSearch fan-out. */
  opensearch: OpenSearchStoreConfig | undefined;
  /** Absent when `LAKE_BUCKET` is unset: no lake fan-out. */
  lake: LakeConfig | undefined;
  deadLetter: { bucket: string; prefix: string };
  s3: { region: string | undefined; forcePathStyle: boolean };
  transforms: TransformsConfigInput;
  /** Compiled `LOGPIPE_SERVICE_FROM_LOG_GROUP`. */
  serviceFromLogGroup: RegExp | undefined;
  firehose: { partitionKeys: boolean; reingest: boolean };
}

/** A configuration error; `message` names every variable at fault and what it should hold. */
export class HandlerConfigError extends Error {
  override name = "HandlerConfigError";
  readonly stage = "receiving" as const;
  readonly code = "invalid_config";
  constructor(
    readonly problems: readonly { variable: string; message: string }[],
    options?: { cause?: unknown },
  ) {
    super(
      `invalid Lambda handler configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join("\n")}`,
      options,
    );
  }
}

/** Blank values count as unset: consoles and templates often leave a variable defined but empty. */
function present(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of HANDLER_ENV_VARS) {
    const value = env[name]?.trim();
    if (value !== undefined && value !== "") out[name] = value;
  }
  return out;
}

/** Never echoes the value: a variable may hold a password. */
function problem(variable: string, issue: z.core.$ZodIssue): { variable: string; message: string } {
  const meaning = HandlerEnvSchema.shape[variable as keyof HandlerEnv]?.description;
  if (issue.code === "invalid_type" && issue.input === undefined)
    return { variable, message: `required${meaning ? ` (${meaning})` : ""}` };
  return { variable, message: issue.message };
}

/** Issues of a store schema, reported under the variable that fed the offending key. */
function mapIssues(
  issues: readonly z.core.$ZodIssue[],
  variables: Record<string, string>,
  fallback: string,
): { variable: string; message: string }[] {
  return issues.map((issue) => {
    const key = issue.path.map(String).join(".");
    const variable = variables[key] ?? variables[String(issue.path[0])] ?? fallback;
    return { variable, message: issue.message };
  });
}

function parseDropLevels(raw: string | undefined): { levels: (typeof LEVELS)[number][]; bad: string[] } {
  if (raw === undefined) return { levels: [], bad: [] };
  const levels: (typeof LEVELS)[number][] = [];
  const bad: string[] = [];
  for (const part of raw.split(",")) {
    const level = part.trim().toLowerCase();
    if (level === "") continue;
    if ((LEVELS as readonly string[]).includes(level)) levels.push(level as (typeof LEVELS)[number]);
    else bad.push(part.trim());
  }
  return { levels, bad };
}

/**
 * Reads and validates the handlers' variables from `env`. Throws {@link HandlerConfigError}
 * listing every problem at once, so a misconfigured function fails its first invocation with
 * the whole list rather than one variable per deploy.
 */
export function loadHandlerConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): HandlerConfig {
  const parsed = HandlerEnvSchema.safeParse(present(env));
  if (!parsed.success) {
    throw new HandlerConfigError(
      parsed.error.issues.map((issue) => problem(String(issue.path[0] ?? "environment"), issue)),
      { cause: parsed.error },
    );
  }
  const e = parsed.data;
  const problems: { variable: string; message: string }[] = [];

  let opensearch: OpenSearchStoreConfig | undefined;
  if (e.OPENSEARCH_ENDPOINT !== undefined) {
    let auth: Record<string, unknown>;
    if (e.OPENSEARCH_AUTH === "sigv4") {
      if (e.AWS_REGION === undefined)
        problems.push({
          variable: "AWS_REGION",
          message: "required when OPENSEARCH_AUTH=sigv4 (the signing region)",
        });
      auth = { type: "sigv4", region: e.AWS_REGION ?? "unset", service: e.OPENSEARCH_SERVICE };
    } else if (e.OPENSEARCH_AUTH === "basic") {
      if (e.OPENSEARCH_USERNAME === undefined)
        problems.push({ variable: "OPENSEARCH_USERNAME", message: "required when OPENSEARCH_AUTH=basic" });
      if (e.OPENSEARCH_PASSWORD === undefined)
        problems.push({ variable: "OPENSEARCH_PASSWORD", message: "required when OPENSEARCH_AUTH=basic" });
      auth = {
        type: "basic",
        username: e.OPENSEARCH_USERNAME ?? "-",
        password: e.OPENSEARCH_PASSWORD ?? "-",
      };
    } else auth = { type: "none" };
    const store = OpenSearchStoreConfigSchema.safeParse({
      endpoint: e.OPENSEARCH_ENDPOINT,
      auth,
      index_prefix: e.OPENSEARCH_INDEX_PREFIX,
      // One attempt per write: the handler's retry loop owns backoff and the invocation's
      // deadline, and resends only the items answered retryable.
      retry: { max_attempts: 1 },
    });
    if (store.success) opensearch = store.data;
    else
      problems.push(
        ...mapIssues(
          store.error.issues,
          {
            endpoint: "OPENSEARCH_ENDPOINT",
            index_prefix: "OPENSEARCH_INDEX_PREFIX",
            "auth.username": "OPENSEARCH_USERNAME",
            "auth.password": "OPENSEARCH_PASSWORD",
            "auth.service": "OPENSEARCH_SERVICE",
          },
          "OPENSEARCH_ENDPOINT",
        ),
      );
  } else if (e.OPENSEARCH_USERNAME !== undefined || e.OPENSEARCH_PASSWORD !== undefined) {
    problems.push({
      variable: "OPENSEARCH_ENDPOINT",
      message: "required when OpenSearch credentials are set",
    });
  }

  let lake: LakeConfig | undefined;
  if (e.LAKE_BUCKET !== undefined) {
    const parsedLake = LakeConfigSchema.safeParse({
      bucket: e.LAKE_BUCKET,
      prefix: e.LAKE_PREFIX,
      ...(e.AWS_REGION !== undefined ? { region: e.AWS_REGION } : {}),
      force_path_style: e.LOGPIPE_S3_FORCE_PATH_STYLE,
    });
    if (parsedLake.success) lake = parsedLake.data;
    else
      problems.push(
        ...mapIssues(
          parsedLake.error.issues,
          { bucket: "LAKE_BUCKET", prefix: "LAKE_PREFIX", region: "AWS_REGION" },
          "LAKE_BUCKET",
        ),
      );
  }

  const drop = parseDropLevels(e.LOGPIPE_DROP_LEVELS);
  if (drop.bad.length > 0)
    problems.push({
      variable: "LOGPIPE_DROP_LEVELS",
      message: `unknown level ${drop.bad.map((b) => JSON.stringify(b)).join(", ")} (expected some of ${LEVELS.join(", ")})`,
    });

  if (problems.length > 0) throw new HandlerConfigError(problems);

  return {
    opensearch,
    lake,
    deadLetter: { bucket: e.DLQ_BUCKET, prefix: e.DLQ_PREFIX },
    s3: { region: e.AWS_REGION, forcePathStyle: e.LOGPIPE_S3_FORCE_PATH_STYLE },
    transforms: {
      defaults: {
        ...(e.LOGPIPE_ENV !== undefined ? { env: e.LOGPIPE_ENV } : {}),
        ...(e.AWS_REGION !== undefined ? { region: e.AWS_REGION } : {}),
      },
      drop_levels: drop.levels,
    },
    serviceFromLogGroup:
      e.LOGPIPE_SERVICE_FROM_LOG_GROUP !== undefined
        ? new RegExp(e.LOGPIPE_SERVICE_FROM_LOG_GROUP, "u")
        : undefined,
    firehose: { partitionKeys: e.FIREHOSE_PARTITION_KEYS, reingest: e.FIREHOSE_REINGEST },
  };
}

/** One row of the reference table. */
export interface HandlerEnvVarDoc {
  name: string;
  required: boolean;
  /** Printed default, or undefined when there is none. */
  default: string | undefined;
  meaning: string;
}

/** The variables as the schema knows them, for documentation. */
export function handlerEnvDocs(): HandlerEnvVarDoc[] {
  return HANDLER_ENV_VARS.map((name) => {
    const field = HandlerEnvSchema.shape[name] as z.ZodType;
    const fallback = field instanceof z.ZodDefault ? (field.def.defaultValue as unknown) : undefined;
    return {
      name,
      required: !field.isOptional(),
      default: fallback === undefined ? undefined : fallback === "" ? '`""`' : `\`${String(fallback)}\``,
      meaning: field.description ?? "",
    };
  });
}

/** The variables as a Markdown table (name, required, default, meaning), for the README. */
export function handlerConfigTable(): string {
  const rows = handlerEnvDocs().map(
    (d) =>
      `| \`${d.name}\` | ${d.required ? "yes" : "no"} | ${d.default ?? ""} | ${d.meaning.replaceAll("|", "\\|")} |`,
  );
  return ["| variable | required | default | meaning |", "|---|---|---|---|", ...rows].join("\n");
}
