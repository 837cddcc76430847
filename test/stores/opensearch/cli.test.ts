import type { Client } from "@opensearch-project/opensearch";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { QueryInputError } from "../../../cli/api/backend.js";
import {
  OpenSearchOptionError,
  openSearchSearchBackend,
  registerOpenSearchCommands,
  setupConfigFromFlags,
} from "../../../cli/commands/opensearch.js";
import { openSearchMappings } from "../../../core/event/projections/opensearch.js";
import { MetricsRegistry } from "../../../core/metrics.js";
import { parseQuery, type QuerySyntaxError } from "../../../core/query/index.js";
import type { OpenSearchStoreConfig } from "../../../stores/opensearch/config.js";
import { setupOpenSearch } from "../../../stores/opensearch/setup.js";
import { OpenSearchStore } from "../../../stores/opensearch/store.js";
import { FakeOpenSearch } from "../../support/fake-opensearch.js";
import { fakeClient, makeEvent, storeConfig } from "./helpers.js";

/** `logpipe opensearch …` and the search backend (cli/commands/opensearch.ts). */

let fake: FakeOpenSearch;
let stdout: string[];

beforeEach(async () => {
  fake = await FakeOpenSearch.start();
  stdout = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await fake.close();
});

async function run(args: string[], createClient?: (config: OpenSearchStoreConfig) => Client): Promise<void> {
  const program = new Command("logpipe").exitOverride();
  registerOpenSearchCommands(program, { env: {}, ...(createClient ? { createClient } : {}) });
  for (const command of program.commands) command.exitOverride();
  await program.parseAsync(args, { from: "user" });
}

const SETUP_FLAGS = {
  endpoint: "http://127.0.0.1:9200",
  auth: "none" as const,
  service: "es" as const,
  indexPrefix: "logs-",
  ism: true,
};

describe("logpipe opensearch template", () => {
  it("prints the template generated from the event schema", async () => {
    await run(["opensearch", "template", "--index-prefix", "app-", "--total-fields-limit", "300"]);
    const template = JSON.parse(stdout.join(""));
    expect(template.index_patterns).toEqual(["app-*"]);
    expect(template.template.mappings).toEqual(openSearchMappings());
    expect(template.template.settings["index.mapping.total_fields.limit"]).toBe(300);
  });
});

describe("logpipe opensearch setup", () => {
  it("installs the template and the ISM policy, and says so", async () => {
    await run(["opensearch", "setup", "--endpoint", fake.endpoint, "--delete-after-days", "3"]);
    expect(stdout.join("")).toBe("index template logpipe-logs: applied\nISM policy logpipe-logs: created\n");
    expect(fake.templates.has("logpipe-logs")).toBe(true);
    expect(JSON.stringify(fake.policies.get("logpipe-logs")!.policy)).toContain('"min_index_age":"3d"');
  });

  it("reports an unchanged policy on a second run", async () => {
    await run(["opensearch", "setup", "--endpoint", fake.endpoint]);
    stdout.length = 0;
    await run(["opensearch", "setup", "--endpoint", fake.endpoint]);
    expect(stdout.join("")).toContain("ISM policy logpipe-logs: unchanged");
  });

  it("skips ISM on OpenSearch Serverless", async () => {
    await run(
      [
        "opensearch",
        "setup",
        "--endpoint",
        fake.endpoint,
        "--auth",
        "sigv4",
        "--region",
        "eu-west-1",
        "--service",
        "aoss",
      ],
      () => fakeClient(fake),
    );
    expect(stdout.join("")).toContain("ISM policy: skipped (OpenSearch Serverless has no ISM");
    expect(fake.policies.size).toBe(0);
  });

  it("rejects an unknown auth type as a usage error", async () => {
    await expect(
      run(["opensearch", "setup", "--endpoint", fake.endpoint, "--auth", "iam"]),
    ).rejects.toMatchObject({
      code: "commander.invalidArgument",
    });
  });
});

describe("setupConfigFromFlags", () => {
  it("asks for a username with basic auth", () => {
    expect(() => setupConfigFromFlags({ ...SETUP_FLAGS, auth: "basic" })).toThrow(OpenSearchOptionError);
  });

  it("takes the password from the environment when no flag gives it", () => {
    const config = setupConfigFromFlags(
      { ...SETUP_FLAGS, auth: "basic", username: "admin" },
      { LOGPIPE_OPENSEARCH_PASSWORD: "from-env" },
    );
    expect(config.auth).toEqual({ type: "basic", username: "admin", password: "from-env" });
  });

  it("asks for a region with sigv4", () => {
    expect(() => setupConfigFromFlags({ ...SETUP_FLAGS, auth: "sigv4" })).toThrow(/--region/);
  });

  it("names the flag a bad value came from", () => {
    expect(() => setupConfigFromFlags({ ...SETUP_FLAGS, indexPrefix: "Bad*" })).toThrow(/index_prefix/);
  });
});

describe("openSearchSearchBackend", () => {
  async function seed(): Promise<void> {
    const client = fakeClient(fake);
    await setupOpenSearch(client, { templateName: "logpipe-logs", deleteAfterDays: 7 });
    await client.close();
    const store = new OpenSearchStore(storeConfig(fake.endpoint), { metrics: new MetricsRegistry() });
    await store.write([
      makeEvent(1, { level: "error", "@timestamp": "2026-01-05T09:00:00.000Z" }),
      makeEvent(2, { level: "error", "@timestamp": "2026-01-05T11:00:00.000Z" }),
      makeEvent(3, { level: "info", "@timestamp": "2026-01-05T11:30:00.000Z" }),
    ]);
    await store.shutdown();
  }

  it("searches with DQL and a relative window", async () => {
    await seed();
    const backend = openSearchSearchBackend({
      endpoint: fake.endpoint,
      now: () => Date.parse("2026-01-05T12:00:00Z"),
    });
    const events = await backend.search({ query: "level:error", since: "2h", limit: 10 });
    expect(events.map((e) => e.id)).toEqual(["ev-00002"]);
    await backend.close();
  });

  it("turns bad DQL into a query input error with its column", async () => {
    const backend = openSearchSearchBackend({ endpoint: fake.endpoint });
    const error = await backend.search({ query: "level:(error", limit: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryInputError);
    const syntax = (() => {
      try {
        parseQuery("level:(error");
      } catch (e) {
        return e as QuerySyntaxError;
      }
      throw new Error("expected a syntax error");
    })();
    expect((error as QueryInputError).details?.column).toBe(syntax.column);
    expect((error as QueryInputError).message).toContain("^");
    await backend.close();
  });

  it("turns a bad --since into a query input error", async () => {
    const backend = openSearchSearchBackend({ endpoint: fake.endpoint });
    await expect(backend.search({ query: "", since: "yesterday", limit: 1 })).rejects.toBeInstanceOf(
      QueryInputError,
    );
    await backend.close();
  });

  it("says sql and tail need another target", async () => {
    const backend = openSearchSearchBackend({ endpoint: fake.endpoint });
    await expect(backend.sql("SELECT 1")).rejects.toThrow(/not supported on opensearch; use --target athena/);
    await expect(backend.tail({ query: "", limit: 1 })).rejects.toBeInstanceOf(QueryInputError);
    await backend.close();
  });

  it("leaves an injected client open", async () => {
    const client = fakeClient(fake);
    const backend = openSearchSearchBackend({ endpoint: fake.endpoint, client });
    await backend.close();
    await expect(client.info()).resolves.toMatchObject({ statusCode: 200 });
    await client.close();
  });
});
