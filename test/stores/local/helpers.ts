import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { LogEvent } from "../../../core/event/schema.js";
import { MetricsRegistry } from "../../../core/metrics.js";
import { LocalStore } from "../../../stores/local/index.js";
import { EVENT_JSON_STRUCTURE, sqlString } from "../../../stores/local/sql.js";

/** 2026-01-05T10:00:00.000Z: tests place events around it and move the injected clock. */
export const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

let counter = 0;

export function event(overrides: Partial<LogEvent> & { at?: number } = {}): LogEvent {
  counter++;
  const { at, ...rest } = overrides;
  return {
    id: `evt-${counter.toString().padStart(8, "0")}`,
    "@timestamp": new Date(at ?? T0 + counter).toISOString(),
    service: "checkout",
    level: "info",
    message: `request ${counter} served`,
    ...rest,
  };
}

export interface Harness {
  dataDir: string;
  store: LocalStore;
  metrics: MetricsRegistry;
  clock: { now: number };
  reopen(config?: Record<string, unknown>): Promise<LocalStore>;
  cleanup(): Promise<void>;
}

/** A store in a fresh temporary data dir (`<data>/store`, `<data>/lake`), with a settable clock. */
export async function openHarness(config: Record<string, unknown> = {}): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), "logpipe-local-store-"));
  const metrics = new MetricsRegistry();
  const clock = { now: T0 + 60_000 };
  const open = (extra: Record<string, unknown>) =>
    LocalStore.open({ dir: join(dataDir, "store"), ...extra }, { metrics, now: () => clock.now });
  const harness: Harness = {
    dataDir,
    metrics,
    clock,
    store: await open(config),
    async reopen(next = config) {
      await harness.store.shutdown();
      harness.store = await open(next);
      return harness.store;
    },
    async cleanup() {
      await harness.store.shutdown();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Runs `body` on a throwaway in-memory DuckDB (no sandbox), e.g. to inspect lake files as Athena would. */
export async function withDuckDb<T>(body: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    await connection.run("SET TimeZone = 'UTC'");
    return await body(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Writes `events` to a Parquet file the way another writer of the lake would. */
export async function writeParquet(path: string, events: LogEvent[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await withDuckDb(async (c) => {
    await c.run(
      `COPY (SELECT unnest(from_json(line, ${sqlString(EVENT_JSON_STRUCTURE)})) FROM (SELECT unnest(string_split($1, chr(10))) AS line)) TO ${sqlString(path)} (FORMAT parquet)`,
      [events.map((e) => JSON.stringify(e)).join("\n")],
    );
  });
}

/** Every file under the lake root, relative, `/`-separated, sorted. */
export async function lakeFiles(dataDir: string): Promise<string[]> {
  const root = join(dataDir, "lake");
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join("/"))
    .sort();
}
