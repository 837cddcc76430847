import type { Client } from "@opensearch-project/opensearch";
import { type Command, InvalidArgumentError, Option } from "commander";
import type { z } from "zod";
import { parseTimeBound } from "../../core/duration.js";
import { QueryError, QuerySyntaxError } from "../../core/query/index.js";
import type { AwsCredentials } from "../../stores/opensearch/client.js";
import {
  type OpenSearchAuth,
  type OpenSearchStoreConfig,
  OpenSearchStoreConfigSchema,
} from "../../stores/opensearch/config.js";

/** The store's client and search code load the OpenSearch client and AWS SDK: only on use. */
const loadStore = () => import("../../stores/opensearch/index.js");

import { type QueryBackend, QueryInputError, type SearchRequest } from "../api/backend.js";
import { positiveIntOption } from "../options.js";

/** Where the password comes from when `--password` is not given (keeps it out of `ps`). */
export const PASSWORD_ENV = "LOGPIPE_OPENSEARCH_PASSWORD";

/** A flag combination that cannot work; reported as `logpipe: <message>`, exit status 1. */
export class OpenSearchOptionError extends Error {
  override name = "OpenSearchOptionError";
}

function nonNegativeIntOption(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a whole number, 0 or more");
  return Number(value);
}

interface ConnectionFlags {
  endpoint: string;
  auth: "none" | "basic" | "sigv4";
  region?: string;
  service: "es" | "aoss";
  username?: string;
  password?: string;
}

interface TemplateFlags {
  indexPrefix: string;
  dataStream?: boolean;
  templateName?: string;
  totalFieldsLimit?: number;
  shards?: number;
  replicas?: number;
}

interface SetupFlags extends ConnectionFlags, TemplateFlags {
  ism: boolean;
  ismPolicyId?: string;
  deleteAfterDays?: number;
  rolloverSize?: string;
}

function addConnectionOptions(command: Command): Command {
  return command
    .requiredOption(
      "--endpoint <url>",
      "OpenSearch endpoint, e.g. https://search-logs-abc.eu-west-1.es.amazonaws.com",
    )
    .addOption(
      new Option("--auth <type>", "authentication").choices(["none", "basic", "sigv4"]).default("none"),
    )
    .option("--region <region>", "AWS region (sigv4)")
    .addOption(
      new Option("--service <service>", "sigv4 signing service: es (domains) or aoss (Serverless)")
        .choices(["es", "aoss"])
        .default("es"),
    )
    .option("--username <user>", "user name (basic)")
    .option("--password <password>", `password (basic); default: $${PASSWORD_ENV}`);
}

function addTemplateOptions(command: Command): Command {
  return command
    .option("--index-prefix <prefix>", "start of every index name; the template covers <prefix>*", "logs-")
    .option("--data-stream", "one data stream per service instead of daily indices")
    .option("--template-name <name>", "index template name (default: logpipe-logs)")
    .option("--total-fields-limit <n>", "index.mapping.total_fields.limit", positiveIntOption)
    .option("--shards <n>", "primary shards per index", positiveIntOption)
    .option("--replicas <n>", "replicas per shard", nonNegativeIntOption);
}

/** Turns the flags into the auth section of the store config (validated by its schema). */
export function authFromFlags(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): OpenSearchAuth {
  switch (flags.auth) {
    case "none":
      return { type: "none" };
    case "basic": {
      if (!flags.username) throw new OpenSearchOptionError("--auth basic needs --username");
      const password = flags.password ?? env[PASSWORD_ENV];
      if (!password) throw new OpenSearchOptionError(`--auth basic needs --password or $${PASSWORD_ENV}`);
      return { type: "basic", username: flags.username, password };
    }
    case "sigv4":
      if (!flags.region) throw new OpenSearchOptionError("--auth sigv4 needs --region");
      return { type: "sigv4", region: flags.region, service: flags.service };
  }
}

function parseConfig(input: Record<string, unknown>): OpenSearchStoreConfig {
  const parsed = OpenSearchStoreConfigSchema.safeParse(input);
  if (!parsed.success) throw new OpenSearchOptionError(describeIssues(parsed.error));
  return parsed.data;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`).join("; ");
}

/** The store config the setup flags describe; `env` supplies the password fallback. */
export function setupConfigFromFlags(
  flags: SetupFlags,
  env: NodeJS.ProcessEnv = process.env,
): OpenSearchStoreConfig {
  // OpenSearch Serverless has no ISM (collections use data lifecycle policies instead).
  const ism = flags.ism && !(flags.auth === "sigv4" && flags.service === "aoss");
  return parseConfig({
    endpoint: flags.endpoint,
    auth: authFromFlags(flags, env),
    index_prefix: flags.indexPrefix,
    ...(flags.dataStream ? { data_stream: true } : {}),
    template: templateSection(flags),
    ism: {
      enabled: ism,
      ...(flags.ismPolicyId !== undefined ? { policy_id: flags.ismPolicyId } : {}),
      ...(flags.deleteAfterDays !== undefined ? { delete_after_days: flags.deleteAfterDays } : {}),
      ...(flags.rolloverSize !== undefined ? { rollover_size: flags.rolloverSize } : {}),
    },
  });
}

function templateSection(flags: TemplateFlags): Record<string, unknown> {
  return {
    ...(flags.templateName !== undefined ? { name: flags.templateName } : {}),
    ...(flags.totalFieldsLimit !== undefined ? { total_fields_limit: flags.totalFieldsLimit } : {}),
    ...(flags.shards !== undefined ? { shards: flags.shards } : {}),
    ...(flags.replicas !== undefined ? { replicas: flags.replicas } : {}),
  };
}

export interface OpenSearchCommandDeps {
  /** Builds the client for a config; tests inject one pointed at a fake. */
  createClient?: (config: OpenSearchStoreConfig) => Client;
  env?: NodeJS.ProcessEnv;
}

export function registerOpenSearchCommands(program: Command, deps: OpenSearchCommandDeps = {}): void {
  const group = program
    .command("opensearch")
    .description(
      "Prepare an OpenSearch cluster (Amazon OpenSearch Service, Serverless or self-managed) for logpipe",
    );

  addTemplateOptions(
    addConnectionOptions(
      group
        .command("setup")
        .description(
          "Install the index template (from the event schema) and the ISM retention policy; safe to rerun",
        ),
    ),
  )
    .option("--no-ism", "skip the ISM policy (always skipped for OpenSearch Serverless)")
    .option("--ism-policy-id <id>", "ISM policy id (default: logpipe-logs)")
    .option(
      "--delete-after-days <n>",
      "delete indices this many days after creation (default: 14)",
      positiveIntOption,
    )
    .option("--rollover-size <size>", "data streams: roll over at this size, e.g. 30gb")
    .action(async (flags: SetupFlags) => {
      const config = setupConfigFromFlags(flags, deps.env ?? process.env);
      const { createOpenSearchClient, setupOpenSearch, setupOptionsFromConfig } = await loadStore();
      const client = (deps.createClient ?? ((c) => createOpenSearchClient(c)))(config);
      try {
        const result = await setupOpenSearch(client, setupOptionsFromConfig(config));
        process.stdout.write(`index template ${result.template.name}: applied\n`);
        if (result.ism.outcome === "skipped") {
          const why =
            config.auth.type === "sigv4" && config.auth.service === "aoss"
              ? "OpenSearch Serverless has no ISM; set a data lifecycle policy on the collection"
              : "--no-ism";
          process.stdout.write(`ISM policy: skipped (${why})\n`);
        } else {
          process.stdout.write(`ISM policy ${result.ism.id}: ${result.ism.outcome}\n`);
        }
      } finally {
        await client.close();
      }
    });

  addTemplateOptions(
    group.command("template").description("Print the index template JSON (generated from the event schema)"),
  ).action(async (flags: TemplateFlags) => {
    const config = parseConfig({
      endpoint: "http://localhost:9200",
      index_prefix: flags.indexPrefix,
      ...(flags.dataStream ? { data_stream: true } : {}),
      template: templateSection(flags),
    });
    const { indexTemplateBody, setupOptionsFromConfig } = await loadStore();
    const options = setupOptionsFromConfig(config);
    process.stdout.write(`${JSON.stringify(indexTemplateBody(options), null, 2)}\n`);
  });
}

export interface OpenSearchBackendOptions {
  endpoint: string;
  auth?: OpenSearchAuth;
  /** Index names start with it; default `logs-`. */
  indexPrefix?: string;
  requestTimeoutMs?: number;
  /** An existing client (not closed by `close()`); otherwise one is built from the options. */
  client?: Client;
  getCredentials?: () => Promise<AwsCredentials>;
  /** Clock for relative `--since`/`--until` values. */
  now?: () => number;
}

function unsupported(what: string): never {
  throw new QueryInputError(`${what} is not supported on opensearch; use --target athena or --target local`);
}

/**
 * `logpipe search --target opensearch`: DQL compiled to query DSL and run against
 * `<prefix>*`. SQL and tail have no OpenSearch equivalent here and say so.
 */
export function openSearchSearchBackend(options: OpenSearchBackendOptions): QueryBackend {
  const owned = options.client === undefined;
  const config = options.client
    ? undefined
    : parseConfig({
        endpoint: options.endpoint,
        ...(options.auth ? { auth: options.auth } : {}),
        ...(options.requestTimeoutMs !== undefined ? { request_timeout_ms: options.requestTimeoutMs } : {}),
      });
  let built: Client | undefined;
  const clientFor = async (): Promise<Client> => {
    if (options.client) return options.client;
    const { createOpenSearchClient } = await loadStore();
    built ??= createOpenSearchClient(
      config!,
      options.getCredentials ? { getCredentials: options.getCredentials } : {},
    );
    return built;
  };
  const now = options.now ?? Date.now;
  const bound = (text: string | undefined, flag: string) => {
    if (text === undefined) return undefined;
    try {
      return parseTimeBound(text, now());
    } catch (error) {
      throw new QueryInputError(`--${flag}: ${(error as Error).message}`);
    }
  };
  return {
    async search(request: SearchRequest) {
      const since = bound(request.since, "since");
      const until = bound(request.until, "until");
      try {
        const [{ searchOpenSearch }, client] = await Promise.all([loadStore(), clientFor()]);
        return await searchOpenSearch(client, {
          query: request.query,
          since,
          until,
          limit: request.limit,
          ...(options.indexPrefix ? { indexPrefix: options.indexPrefix } : {}),
        });
      } catch (error) {
        if (error instanceof QuerySyntaxError) {
          throw new QueryInputError(error.pointer(), { column: error.column });
        }
        if (error instanceof QueryError) throw new QueryInputError(error.message);
        throw error;
      }
    },
    async sql() {
      unsupported("sql");
    },
    async tail() {
      unsupported("tail");
    },
    async close() {
      if (owned && built) await built.close();
    },
  };
}
