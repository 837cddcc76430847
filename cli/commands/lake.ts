import type { AthenaClient } from "@aws-sdk/client-athena";
import { type Command, InvalidArgumentError } from "commander";
import { athenaCreateTableDdl } from "../../core/event/projections/athena.js";
import { LakeConfigSchema } from "../../stores/lake/config.js";
import { sanitiseService } from "../../stores/lake/layout.js";
import { type QueryBackend, QueryInputError, type SqlResult } from "../api/backend.js";
import { positiveIntOption } from "../options.js";

/**
 * `logpipe athena ddl` and `logpipe lake compact`, plus the Athena back end of `logpipe sql`.
 */

const GLUE_NAME = /^[A-Za-z0-9_]{1,255}$/;

function glueNameOption(value: string): string {
  if (!GLUE_NAME.test(value)) throw new InvalidArgumentError("expected letters, digits and underscores");
  return value;
}

function s3LocationOption(value: string): string {
  if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(value)) {
    throw new InvalidArgumentError("expected s3://bucket or s3://bucket/prefix");
  }
  return value;
}

function dayOption(value: string): string {
  const ms = Date.parse(`${value}T00:00:00Z`);
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(value) ||
    Number.isNaN(ms) ||
    new Date(ms).toISOString().slice(0, 10) !== value
  ) {
    throw new InvalidArgumentError("expected a day as YYYY-MM-DD");
  }
  return value;
}

/** Services as they appear in object keys, so enum projection finds the same paths the writers use. */
function servicesOption(value: string): string[] {
  const services = [
    ...new Set(
      value
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "")
        .map(sanitiseService),
    ),
  ];
  if (services.length === 0) throw new InvalidArgumentError("expected a comma-separated list of services");
  return services;
}

interface DdlOptions {
  location: string;
  database: string;
  table: string;
  services?: string[];
  since: string;
}

interface CompactOptions {
  bucket: string;
  prefix: string;
  region?: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  minObjects?: number;
  targetBytes?: number;
  settleMinutes?: number;
  dryRun?: boolean;
}

function nonNegativeIntOption(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a whole number");
  return n;
}

export function registerLakeCommands(program: Command): void {
  const athena = program.command("athena").description("Athena over the S3 lake");
  athena
    .command("ddl")
    .description("Print the CREATE EXTERNAL TABLE statement for the lake (partition projection, no crawler)")
    .option("--location <url>", "s3://bucket/prefix of the lake", s3LocationOption, "s3://logpipe-lake")
    .option("--database <name>", "Glue database", glueNameOption, "logpipe")
    .option("--table <name>", "table name", glueNameOption, "logs")
    .option(
      "--services <list>",
      "comma-separated services to project; without it queries must say WHERE service = '…'",
      servicesOption,
    )
    .option("--since <day>", "first day (YYYY-MM-DD) of the dt projection", dayOption, "2024-01-01")
    .action((options: DdlOptions) => {
      const ddl = athenaCreateTableDdl({
        location: options.location,
        database: options.database,
        table: options.table,
        since: options.since,
        ...(options.services ? { services: options.services } : {}),
      });
      process.stdout.write(`${ddl}\n`);
    });

  const lake = program.command("lake").description("Maintain the S3 lake");
  lake
    .command("compact")
    .description("Merge the small objects of closed hours; prints a JSON summary")
    .requiredOption("--bucket <name>", "S3 bucket of the lake")
    .option("--prefix <prefix>", "key prefix of the lake inside the bucket", "")
    .option("--region <region>", "AWS region (default: the SDK's region chain)")
    .option("--endpoint <url>", "S3 endpoint for S3-compatible stores (implies path-style addressing)")
    .option("--force-path-style", "address buckets as <endpoint>/<bucket>")
    .option("--min-objects <n>", "compact an hour once it has this many small objects", positiveIntOption)
    .option("--target-bytes <n>", "largest gzip size of a merged object", positiveIntOption)
    .option("--settle-minutes <n>", "minutes after an hour ends before it is compacted", nonNegativeIntOption)
    .option("--dry-run", "read and merge, but write and delete nothing")
    .action(async (options: CompactOptions) => {
      const parsed = LakeConfigSchema.safeParse({
        bucket: options.bucket,
        prefix: options.prefix,
        ...(options.region ? { region: options.region } : {}),
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        force_path_style: options.forcePathStyle ?? options.endpoint !== undefined,
        compaction: {
          ...(options.minObjects === undefined ? {} : { min_objects: options.minObjects }),
          ...(options.targetBytes === undefined ? {} : { target_object_bytes: options.targetBytes }),
          ...(options.settleMinutes === undefined ? {} : { settle_minutes: options.settleMinutes }),
        },
      });
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          const flag =
            issue.path.at(-1) === undefined ? "" : `--${String(issue.path.at(-1)).replaceAll("_", "-")}: `;
          process.stderr.write(`logpipe lake compact: ${flag}${issue.message}\n`);
        }
        process.exitCode = 1;
        return;
      }
      const config = parsed.data;
      // The S3 client and compaction load the AWS SDK: only when this command runs.
      const [{ createLakeS3Client }, { compactionOptionsFromConfig, compactLake }] = await Promise.all([
        import("../../stores/lake/clients.js"),
        import("../../stores/lake/compaction.js"),
      ]);
      const client = createLakeS3Client({
        region: config.region,
        endpoint: config.endpoint,
        forcePathStyle: config.force_path_style,
      });
      try {
        const summary = await compactLake(client, {
          ...compactionOptionsFromConfig(config, Date.now()),
          dryRun: options.dryRun === true,
          log: (level, message, fields) => {
            if (level === "warn" || level === "error") {
              process.stderr.write(`${level}: ${message}${fields ? ` ${JSON.stringify(fields)}` : ""}\n`);
            }
          },
        });
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        if (summary.failures.length > 0) process.exitCode = 1;
      } finally {
        client.destroy();
      }
    });
}

export interface AthenaBackendOptions {
  database: string;
  workgroup?: string | undefined;
  outputLocation?: string | undefined;
  region?: string | undefined;
  endpoint?: string | undefined;
  catalog?: string | undefined;
  /** Client to use instead of one built from region/endpoint (it is then not destroyed on close). */
  client?: AthenaClient;
  /** Longest wait for a query to finish. */
  maxWaitMs?: number;
  /** Most rows one query returns; a note on stderr says when the answer was cut. */
  maxRows?: number;
  /** Where the note about a cut answer goes. */
  warn?: (message: string) => void;
}

/**
 * `logpipe sql … --target athena`. Only SQL: DQL search and tail are served by OpenSearch and
 * the local store, which index events for them.
 */
export function athenaQueryBackend(options: AthenaBackendOptions): QueryBackend {
  let built: AthenaClient | undefined;
  const clientFor = async (): Promise<AthenaClient> => {
    if (options.client) return options.client;
    const { createLakeAthenaClient } = await import("../../stores/lake/clients.js");
    built ??= createLakeAthenaClient({ region: options.region, endpoint: options.endpoint });
    return built;
  };
  const maxRows = options.maxRows ?? 10_000;
  const warn = options.warn ?? ((message: string) => process.stderr.write(`${message}\n`));
  const unsupported = (what: string) =>
    new QueryInputError(
      `\`${what}\` is not available with --target athena: use --target opensearch, or the local store (no --target)`,
    );
  return {
    async sql(query: string): Promise<SqlResult> {
      const [{ AthenaQueryError, runAthenaQuery }, client] = await Promise.all([
        import("../../stores/lake/athena.js"),
        clientFor(),
      ]);
      try {
        const result = await runAthenaQuery(
          client,
          {
            sql: query,
            database: options.database,
            workgroup: options.workgroup,
            outputLocation: options.outputLocation,
            catalog: options.catalog,
          },
          { maxRows, ...(options.maxWaitMs === undefined ? {} : { maxWaitMs: options.maxWaitMs }) },
        );
        if (result.truncated)
          warn(`only the first ${maxRows} rows are shown (query ${result.queryExecutionId})`);
        return { columns: result.columns, rows: result.rows };
      } catch (error) {
        // A user error (bad SQL, unknown column) is reported like any other bad query.
        if (error instanceof AthenaQueryError && error.code === "failed" && error.errorCategory === 2) {
          throw new QueryInputError(error.message);
        }
        throw error;
      }
    },
    async search() {
      throw unsupported("search");
    },
    async tail() {
      throw unsupported("tail");
    },
    async close() {
      built?.destroy();
    },
  };
}
