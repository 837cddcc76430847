import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogEvent } from "../../core/event/schema.js";
import { MetricsRegistry } from "../../core/metrics.js";
import { LocalStore } from "../../stores/local/index.js";
import {
  createOpenSearchClient,
  OpenSearchStore,
  OpenSearchStoreConfigSchema,
  setupOpenSearch,
} from "../../stores/opensearch/index.js";
import { runCli } from "../support/cli-process.js";
import { FakeOpenSearch } from "../support/fake-opensearch.js";

const SERVICES = ["checkout", "payments", "auth"];
const LEVELS = ["info", "warn", "error"] as const;

function events(now: number): LogEvent[] {
  return Array.from({ length: 60 }, (_, i) => ({
    id: `ev-${i.toString().padStart(3, "0")}`,
    "@timestamp": new Date(now - i * 1_000).toISOString(),
    service: SERVICES[i % 3]!,
    level: LEVELS[i % 3]!,
    message: i % 4 === 0 ? `order ${i} placed` : `card declined for order ${i}`,
    http: {
      method: i % 2 ? "GET" : "POST",
      path: i % 5 === 0 ? "/health" : `/api/orders/${i}`,
      status: i % 7 === 0 ? 503 : 200,
    },
    attrs: { user_id: String(i % 9) },
  }));
}

async function ids(args: string[]): Promise<string[]> {
  const result = await runCli(["search", "--json", "--since", "1h", "--limit", "1000", ...args]);
  if (result.code !== 0) throw new Error(result.stderr);
  return result.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as LogEvent).id);
}

describe("logpipe search on every back end", () => {
  let fake: FakeOpenSearch;
  let dir: string;

  beforeAll(async () => {
    const now = Date.now();
    fake = await FakeOpenSearch.start();
    const config = OpenSearchStoreConfigSchema.parse({ endpoint: fake.endpoint });
    const metrics = new MetricsRegistry();
    await setupOpenSearch(createOpenSearchClient(config), {
      templateName: "logpipe-logs",
      deleteAfterDays: 7,
    });
    const opensearch = new OpenSearchStore(config, { metrics });
    const outcomes = await opensearch.write(events(now));
    expect(outcomes.every((o) => o.status === "accepted")).toBe(true);
    await opensearch.shutdown();

    dir = await mkdtemp(join(tmpdir(), "logpipe-targets-"));
    const local = await LocalStore.open({ dir: join(dir, "store") }, { metrics });
    await local.write(events(now));
    await local.shutdown();
  });

  afterAll(async () => {
    await fake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    "level:error",
    "service:checkout and not http.path:/health*",
    "http.status >= 500",
    'message:"card declined"',
    "user_id:3 or service:auth",
    "",
  ])("returns the same events from OpenSearch and the local store for %j", async (query) => {
    const fromLocal = await ids(["--data-dir", dir, query]);
    const fromOpenSearch = await ids(["--target", "opensearch", "--endpoint", fake.endpoint, query]);
    expect(fromLocal.length).toBeGreaterThan(0);
    expect(fromOpenSearch).toEqual(fromLocal);
  });
});
