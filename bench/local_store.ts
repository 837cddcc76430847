/**
 * Throughput of the local store's write path (events → DuckDB hot table, id-deduplicated) and of
 * its flush to Parquet lake files, on ~400-byte events shaped like real access logs. Cases:
 * sequential writes of one batch at a time, several concurrent writers (their batches merge into
 * one insert), redelivery of batches already stored (every event a duplicate), and a flush of
 * everything written. The floor is `JSON.stringify` of the same events, the least work the write
 * path does per event, so `ratio` (store rate / floor rate) survives a noisy machine better than
 * the absolute numbers. Each case is the best of several rounds. Prints one JSON line per case.
 *
 * Run after `npm run build`: `node dist/bench/local_store.js [events] [batch] [rounds]`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newEventId } from "../core/event/incoming.js";
import type { LogEvent } from "../core/event/schema.js";
import { MetricsRegistry } from "../core/metrics.js";
import { LocalStore } from "../stores/local/index.js";

const TOTAL = Number(process.argv[2] ?? 200_000);
const BATCH = Number(process.argv[3] ?? 2_000);
const ROUNDS = Number(process.argv[4] ?? 3);
const BASE = Date.UTC(2026, 0, 5, 10);
const LEVELS = ["info", "info", "info", "warn", "error", "debug"] as const;

function makeBatches(): LogEvent[][] {
  const batches: LogEvent[][] = [];
  for (let b = 0; b * BATCH < TOTAL; b++) {
    const batch: LogEvent[] = [];
    for (let i = 0; i < BATCH; i++) {
      const n = b * BATCH + i;
      const at = BASE + n;
      const event: LogEvent = {
        id: newEventId(at),
        "@timestamp": new Date(at).toISOString(),
        service: `svc-${n % 4}`,
        env: "prod",
        host: `ip-10-0-${n % 13}-7`,
        level: LEVELS[n % LEVELS.length]!,
        message: `GET /api/orders/${n} completed in ${n % 100} ms for user ${n % 997}`,
        trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
        span_id: "00f067aa0ba902b7",
        source: "forward",
        ingest_time: new Date(at + 5).toISOString(),
        attrs: { "user.id": String(n % 997), "k8s.pod": `checkout-${n % 7}`, region_hint: "eu" },
      };
      if (n % 2 === 0)
        event.http = { method: "GET", path: `/api/orders/${n}`, status: 200, latency_ms: n % 100 };
      batch.push(event);
    }
    batches.push(batch);
  }
  return batches;
}

async function withStore<T>(fn: (store: LocalStore) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "logpipe-bench-store-"));
  const store = await LocalStore.open(
    { dir: join(dir, "store"), flush: { max_rows: 10_000_000, interval_ms: 3_600_000 } },
    { metrics: new MetricsRegistry() },
  );
  try {
    return await fn(store);
  } finally {
    await store.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
}

function rate(events: number, ms: number): number {
  return Math.round((events / ms) * 1000);
}

async function best(fn: () => Promise<number>): Promise<number> {
  let top = 0;
  for (let r = 0; r < ROUNDS; r++) top = Math.max(top, await fn());
  return top;
}

async function main(): Promise<void> {
  const batches = makeBatches();
  const events = batches.length * BATCH;
  const bytes = batches.reduce((n, b) => n + b.reduce((m, e) => m + JSON.stringify(e).length, 0), 0);

  const floor = await best(async () => {
    const t0 = performance.now();
    let sink = 0;
    for (const batch of batches) for (const e of batch) sink += JSON.stringify(e).length;
    if (sink === 0) throw new Error("unreachable");
    return rate(events, performance.now() - t0);
  });

  const report = (name: string, perS: number, extra: Record<string, unknown> = {}) =>
    console.log(
      JSON.stringify({
        case: name,
        events,
        batch: BATCH,
        avg_event_bytes: Math.round(bytes / events),
        events_per_s: perS,
        floor_events_per_s: floor,
        ratio: Number((perS / floor).toFixed(3)),
        ...extra,
      }),
    );

  let flushRate = 0;
  let flushFiles = 0;
  const sequential = await best(() =>
    withStore(async (store) => {
      const t0 = performance.now();
      for (const batch of batches) await store.write(batch);
      const perS = rate(events, performance.now() - t0);
      const f0 = performance.now();
      const flushed = await store.flush();
      flushRate = Math.max(flushRate, rate(flushed.rows, performance.now() - f0));
      flushFiles = flushed.files;
      return perS;
    }),
  );
  report("local_store_write_sequential", sequential);

  const concurrent = await best(() =>
    withStore(async (store) => {
      const t0 = performance.now();
      const writers = 4;
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let b = w; b < batches.length; b += writers) await store.write(batches[b]!);
        }),
      );
      return rate(events, performance.now() - t0);
    }),
  );
  report("local_store_write_4_concurrent", concurrent);

  const redelivery = await best(() =>
    withStore(async (store) => {
      for (const batch of batches) await store.write(batch);
      const t0 = performance.now();
      for (const batch of batches) await store.write(batch);
      return rate(events, performance.now() - t0);
    }),
  );
  report("local_store_write_redelivered", redelivery);

  report("local_store_flush_to_parquet", flushRate, { files: flushFiles });
}

await main();
