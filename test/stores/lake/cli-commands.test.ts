import { AthenaClient } from "@aws-sdk/client-athena";
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { Command, CommanderError } from "commander";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { QueryInputError } from "../../../cli/api/backend.js";
import { athenaQueryBackend, registerLakeCommands } from "../../../cli/commands/lake.js";
import { athenaCreateTableDdl } from "../../../core/event/projections/athena.js";
import { MetricsRegistry } from "../../../core/metrics.js";
import { LakeConfigSchema } from "../../../stores/lake/config.js";
import { createS3LakeWriter } from "../../../stores/lake/writer.js";
import { FakeAthena } from "../../support/fake-athena.js";
import { type S3rverHandle, startS3rver } from "../../support/s3rver.js";
import { makeEvent } from "./events.js";
import { listKeys } from "./s3-helpers.js";

function program(): Command {
  const p = new Command("logpipe").exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerLakeCommands(p);
  for (const c of p.commands) {
    c.exitOverride();
    for (const sub of c.commands) sub.exitOverride();
  }
  return p;
}

/** Runs the CLI in process and returns what it printed. */
async function run(
  args: string[],
): Promise<{ stdout: string; stderr: string; exitCode: number | undefined }> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const previous = process.exitCode;
  process.exitCode = undefined;
  try {
    await program().parseAsync(args, { from: "user" });
    return {
      stdout,
      stderr,
      exitCode: process.exitCode === undefined ? undefined : Number(process.exitCode),
    };
  } finally {
    process.exitCode = previous;
    out.mockRestore();
    err.mockRestore();
  }
}

describe("logpipe athena ddl", () => {
  it("prints athenaCreateTableDdl with the defaults", async () => {
    const { stdout } = await run(["athena", "ddl"]);
    expect(stdout).toBe(
      `${athenaCreateTableDdl({ location: "s3://logpipe-lake", database: "logpipe", table: "logs", since: "2024-01-01" })}\n`,
    );
  });

  it("passes location, database, table, services and since through, services as they appear in keys", async () => {
    const { stdout } = await run([
      "athena",
      "ddl",
      "--location",
      "s3://my-lake/prod",
      "--database",
      "obs",
      "--table",
      "events",
      "--services",
      "checkout, team/pay,checkout",
      "--since",
      "2025-03-01",
    ]);
    expect(stdout).toBe(
      `${athenaCreateTableDdl({ location: "s3://my-lake/prod", database: "obs", table: "events", services: ["checkout", "team_pay"], since: "2025-03-01" })}\n`,
    );
  });

  it.each([
    ["--since", "2025-02-30"],
    ["--location", "https://my-lake"],
    ["--database", "drop table;"],
    ["--services", " , "],
  ])("refuses %s %j as a usage error", async (flag, value) => {
    await expect(run(["athena", "ddl", flag, value])).rejects.toBeInstanceOf(CommanderError);
  });
});

describe("logpipe lake compact", () => {
  let s3: S3rverHandle;
  let client: S3Client;

  beforeAll(async () => {
    s3 = await startS3rver([]);
    client = s3.client();
  });

  afterAll(async () => {
    await s3.close();
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  async function seed(bucket: string): Promise<void> {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const writer = createS3LakeWriter(LakeConfigSchema.parse({ bucket }), {
      client,
      metrics: new MetricsRegistry(),
    });
    for (let i = 0; i < 4; i++) await writer.write([makeEvent({ "@timestamp": "2024-03-01T10:00:00.000Z" })]);
  }

  function args(bucket: string, ...extra: string[]): string[] {
    vi.stubEnv("AWS_ACCESS_KEY_ID", "S3RVER");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "S3RVER");
    return [
      "lake",
      "compact",
      "--bucket",
      bucket,
      "--endpoint",
      s3.endpoint,
      "--region",
      "us-east-1",
      ...extra,
    ];
  }

  it("prints a JSON summary and changes nothing with --dry-run", async () => {
    await seed("cli-dry");
    const before = await listKeys(client, "cli-dry");
    const { stdout, exitCode } = await run(args("cli-dry", "--dry-run"));
    expect(JSON.parse(stdout)).toMatchObject({
      dryRun: true,
      partitions: 1,
      objectsIn: 4,
      objectsOut: 1,
      events: 4,
    });
    expect(exitCode).toBeUndefined();
    expect(await listKeys(client, "cli-dry")).toEqual(before);
  });

  it("compacts settled hours and prints what it did", async () => {
    await seed("cli-real");
    const { stdout } = await run(args("cli-real", "--min-objects", "2"));
    expect(JSON.parse(stdout)).toMatchObject({
      dryRun: false,
      partitions: 1,
      objectsIn: 4,
      objectsOut: 1,
      failures: [],
    });
    expect(await listKeys(client, "cli-real")).toEqual([
      expect.stringMatching(/\/compacted-[0-9A-Z]{26}\.json\.gz$/),
    ]);
  });

  it("names the option when a value is invalid, and exits 1", async () => {
    const { stderr, exitCode } = await run(args("Not_A_Bucket"));
    expect(stderr).toContain("--bucket:");
    expect(exitCode).toBe(1);
  });
});

describe("athenaQueryBackend", () => {
  let fake: FakeAthena;
  let client: AthenaClient;

  beforeAll(async () => {
    // Settles on the first poll, so the backend's real clock never has to wait.
    fake = await FakeAthena.start({ pollsQueued: 0, pollsRunning: 0 });
    client = new AthenaClient({
      endpoint: fake.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    client.destroy();
    await fake.close();
  });

  it("answers sql with Athena's columns and rows", async () => {
    fake.script("SELECT service, count(*) AS n FROM logs GROUP BY 1", {
      kind: "succeed",
      columns: [
        { name: "service", type: "varchar" },
        { name: "n", type: "bigint" },
      ],
      rows: [["checkout", "12"]],
    });
    const backend = athenaQueryBackend({ database: "logpipe", client });
    expect(await backend.sql("SELECT service, count(*) AS n FROM logs GROUP BY 1")).toEqual({
      columns: [
        { name: "service", type: "varchar" },
        { name: "n", type: "bigint" },
      ],
      rows: [["checkout", 12]],
    });
    await backend.close();
  });

  it("reports a query Athena failed as a user error as a QueryInputError", async () => {
    fake.script("SELEC oops", {
      kind: "fail",
      reason: "line 1:1: mismatched input 'SELEC'",
      errorCategory: 2,
      errorType: 1300,
    });
    const backend = athenaQueryBackend({ database: "logpipe", client });
    await expect(backend.sql("SELEC oops")).rejects.toThrow(QueryInputError);
    await expect(backend.sql("SELEC oops")).rejects.toThrow("mismatched input 'SELEC'");
  });

  it("says where a cut result stopped", async () => {
    fake.script("SELECT n", {
      kind: "succeed",
      columns: [{ name: "n", type: "integer" }],
      rows: [["1"], ["2"], ["3"]],
    });
    const notes: string[] = [];
    const backend = athenaQueryBackend({
      database: "logpipe",
      client,
      maxRows: 2,
      warn: (m) => notes.push(m),
    });
    expect((await backend.sql("SELECT n")).rows).toEqual([[1], [2]]);
    expect(notes).toEqual([expect.stringContaining("only the first 2 rows")]);
  });

  it("points search and tail to the back ends that serve them", async () => {
    const backend = athenaQueryBackend({ database: "logpipe", client });
    await expect(backend.search({ query: "level:error", limit: 10 })).rejects.toThrow(/--target opensearch/);
    await expect(backend.tail({ query: "", limit: 10 })).rejects.toThrow(QueryInputError);
  });
});
