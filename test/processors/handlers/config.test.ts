import { describe, expect, it } from "vitest";
import {
  createCloudWatchSubscriptionHandler,
  HANDLER_ENV_VARS,
  HandlerConfigError,
  handlerConfigTable,
  handlerEnvDocs,
  loadHandlerConfig,
} from "../../../processors/handlers/index.js";
import { lambdaContext, MemoryDeadLetters } from "./support.js";

const BASE = { DLQ_BUCKET: "logpipe-dead-letters", AWS_REGION: "eu-west-1" };

function configError(env: Record<string, string | undefined>): HandlerConfigError {
  try {
    loadHandlerConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(HandlerConfigError);
    return error as HandlerConfigError;
  }
  throw new Error("expected a configuration error");
}

describe("loadHandlerConfig", () => {
  it("names DLQ_BUCKET when it is missing, and says what it is for", () => {
    const error = configError({});
    expect(error.problems.map((p) => p.variable)).toEqual(["DLQ_BUCKET"]);
    expect(error.message).toMatch(/DLQ_BUCKET: required \(S3 bucket for dead letters/);
  });

  it("treats a blank variable as unset", () => {
    expect(configError({ DLQ_BUCKET: "  " }).problems[0]!.variable).toBe("DLQ_BUCKET");
  });

  it("names DLQ_BUCKET when it is not a bucket name", () => {
    expect(configError({ DLQ_BUCKET: "Not_A_Bucket" }).message).toContain("DLQ_BUCKET: an S3 bucket name");
  });

  it("fills the documented defaults", () => {
    const config = loadHandlerConfig(BASE);
    expect(config.deadLetter).toEqual({ bucket: "logpipe-dead-letters", prefix: "dead-letter/" });
    expect(config.firehose).toEqual({ partitionKeys: true, reingest: true });
    expect(config.s3).toEqual({ region: "eu-west-1", forcePathStyle: false });
  });

  it("turns OpenSearch and lake fan-out off when their variables are absent", () => {
    const config = loadHandlerConfig(BASE);
    expect(config.opensearch).toBeUndefined();
    expect(config.lake).toBeUndefined();
  });

  it("builds a SigV4 OpenSearch store config with a single attempt per write", () => {
    const config = loadHandlerConfig({
      ...BASE,
      OPENSEARCH_ENDPOINT: "https://search-logs.eu-west-1.es.amazonaws.com",
      OPENSEARCH_SERVICE: "aoss",
    });
    expect(config.opensearch).toMatchObject({
      endpoint: "https://search-logs.eu-west-1.es.amazonaws.com",
      auth: { type: "sigv4", region: "eu-west-1", service: "aoss" },
      index_prefix: "logs-",
      retry: { max_attempts: 1 },
    });
  });

  it("names AWS_REGION when SigV4 has no region to sign for", () => {
    const error = configError({
      DLQ_BUCKET: "dlq-bucket",
      OPENSEARCH_ENDPOINT: "https://search.example.com",
    });
    expect(error.problems.map((p) => p.variable)).toEqual(["AWS_REGION"]);
  });

  it("names both basic-auth variables when they are missing", () => {
    const error = configError({
      ...BASE,
      OPENSEARCH_ENDPOINT: "https://search.example.com",
      OPENSEARCH_AUTH: "basic",
    });
    expect(error.problems.map((p) => p.variable)).toEqual(["OPENSEARCH_USERNAME", "OPENSEARCH_PASSWORD"]);
  });

  it("names OPENSEARCH_INDEX_PREFIX when the store schema refuses it", () => {
    const error = configError({
      ...BASE,
      OPENSEARCH_ENDPOINT: "https://search.example.com",
      OPENSEARCH_INDEX_PREFIX: "Logs_",
    });
    expect(error.problems.map((p) => p.variable)).toEqual(["OPENSEARCH_INDEX_PREFIX"]);
  });

  it("names OPENSEARCH_AUTH when it is not one of the three kinds", () => {
    const error = configError({ ...BASE, OPENSEARCH_AUTH: "kerberos" });
    expect(error.message).toContain("OPENSEARCH_AUTH:");
  });

  it("never echoes a password in its errors", () => {
    const error = configError({ ...BASE, OPENSEARCH_PASSWORD: "hunter2-secret" });
    expect(error.problems.map((p) => p.variable)).toEqual(["OPENSEARCH_ENDPOINT"]);
    expect(error.message).not.toContain("hunter2-secret");
  });

  it("builds the lake config from LAKE_BUCKET, LAKE_PREFIX and the path-style switch", () => {
    const config = loadHandlerConfig({
      ...BASE,
      LAKE_BUCKET: "logpipe-lake",
      LAKE_PREFIX: "prod/",
      LOGPIPE_S3_FORCE_PATH_STYLE: "true",
    });
    expect(config.lake).toMatchObject({
      bucket: "logpipe-lake",
      prefix: "prod/",
      region: "eu-west-1",
      force_path_style: true,
    });
  });

  it("names LAKE_BUCKET when the lake schema refuses it", () => {
    expect(configError({ ...BASE, LAKE_BUCKET: "x" }).problems[0]!.variable).toBe("LAKE_BUCKET");
  });

  it("reads drop levels from a comma-separated list", () => {
    expect(
      loadHandlerConfig({ ...BASE, LOGPIPE_DROP_LEVELS: "trace, DEBUG" }).transforms.drop_levels,
    ).toEqual(["trace", "debug"]);
  });

  it("names an unknown drop level", () => {
    expect(configError({ ...BASE, LOGPIPE_DROP_LEVELS: "debug,verbose" }).message).toContain(
      'LOGPIPE_DROP_LEVELS: unknown level "verbose"',
    );
  });

  it("stamps LOGPIPE_ENV and AWS_REGION as transform defaults", () => {
    expect(loadHandlerConfig({ ...BASE, LOGPIPE_ENV: "prod" }).transforms.defaults).toEqual({
      env: "prod",
      region: "eu-west-1",
    });
  });

  it("compiles the log group pattern", () => {
    const config = loadHandlerConfig({ ...BASE, LOGPIPE_SERVICE_FROM_LOG_GROUP: "^/svc/([^/]+)" });
    expect(config.serviceFromLogGroup?.exec("/svc/cart")?.[1]).toBe("cart");
  });

  it("names a log group pattern that is not a regular expression", () => {
    expect(configError({ ...BASE, LOGPIPE_SERVICE_FROM_LOG_GROUP: "(" }).problems[0]!.variable).toBe(
      "LOGPIPE_SERVICE_FROM_LOG_GROUP",
    );
  });

  it("reads the Firehose switches as booleans", () => {
    expect(
      loadHandlerConfig({ ...BASE, FIREHOSE_REINGEST: "false", FIREHOSE_PARTITION_KEYS: "0" }).firehose,
    ).toEqual({
      partitionKeys: false,
      reingest: false,
    });
  });

  it("reports every problem at once", () => {
    const error = configError({ OPENSEARCH_AUTH: "kerberos", FIREHOSE_REINGEST: "maybe" });
    expect(error.problems.map((p) => p.variable).sort()).toEqual([
      "DLQ_BUCKET",
      "FIREHOSE_REINGEST",
      "OPENSEARCH_AUTH",
    ]);
  });
});

describe("reading the environment", () => {
  it("reads nothing until the first invocation, and then only once", async () => {
    let reads = 0;
    const env = new Proxy({ ...BASE } as Record<string, string | undefined>, {
      get(target, key) {
        if (key === "DLQ_BUCKET") reads++;
        return target[key as string];
      },
    });
    const handler = createCloudWatchSubscriptionHandler({
      env,
      log: () => {},
      build: (_config, shared) => ({
        transform: () => ({ ok: false, code: "dropped_level", reason: "", intentional: true }),
        sinks: [],
        deadLetter: new MemoryDeadLetters(),
        metrics: shared.metrics,
      }),
    });
    expect(reads).toBe(0);
    const control = { awslogs: { data: "" } };
    await handler(control, lambdaContext()).catch(() => undefined);
    await handler(control, lambdaContext()).catch(() => undefined);
    expect(reads).toBe(1);
  });

  it("fails the invocation with the configuration error when a variable is missing", async () => {
    const handler = createCloudWatchSubscriptionHandler({ env: {}, log: () => {} });
    await expect(handler({ awslogs: { data: "" } }, lambdaContext())).rejects.toThrow(/DLQ_BUCKET: required/);
  });
});

describe("documentation", () => {
  it("lists every variable in the table with its default", () => {
    const table = handlerConfigTable();
    for (const name of HANDLER_ENV_VARS) expect(table).toContain(`| \`${name}\` |`);
    expect(table).toContain("| `DLQ_PREFIX` | no | `dead-letter/` |");
  });

  it("marks only DLQ_BUCKET as always required", () => {
    expect(
      handlerEnvDocs()
        .filter((d) => d.required)
        .map((d) => d.name),
    ).toEqual(["DLQ_BUCKET"]);
  });

  it("describes every variable", () => {
    for (const doc of handlerEnvDocs()) expect(doc.meaning.length).toBeGreaterThan(10);
  });
});
