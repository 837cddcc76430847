/**
 * The in-service logger, two cases, each against the floor of the same work in the same run:
 *
 * - `logger_call`: what one `log.info(message, fields)` costs the application's thread (level
 *   check, normalising the fields, id, record, queueing), with a sender that acknowledges at once
 *   so nothing waits on a network. Floor: `JSON.stringify` of the same record with a fresh id,
 *   which is what a plain JSON line logger does per call.
 * - `logger_to_forward`: events logged until the forward input (in this process, storing into
 *   memory) acknowledged all of them. Floor: msgpackr encoding the same records, the least a
 *   Fluent client must do for them.
 *
 * `ratio_to_floor` is logger time / floor time; it survives a noisy machine better than the
 * absolute numbers. Each case is the best of several rounds. Prints one JSON line per case.
 *
 *   npm run build && node dist/bench/logger.js [events] [rounds]
 */
import { Packr } from "msgpackr";
import { ForwardInputConfigSchema } from "../collectors/inputs/forward/config.js";
import { ForwardInput } from "../collectors/inputs/forward/input.js";
import type { ChunkSender } from "../collectors/logger/fluent-sender.js";
import { createLogger } from "../collectors/logger/logger.js";
import type { IncomingRecord } from "../core/event/incoming.js";
import { newEventId } from "../core/event/incoming.js";
import { MetricsRegistry } from "../core/metrics.js";
import type { AppendOutcome, IngestTarget } from "../core/stage.js";
import { round } from "./support/process-stats.js";

const events = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 3);

function fieldsOf(i: number) {
  return {
    order_id: i,
    user: { id: `u-${i % 1000}`, plan: "pro" },
    http: { method: "POST", path: "/api/v1/orders", status: 201, latency_ms: 12.5 },
    tags: ["checkout", "eu-west-1"],
  };
}

function best(run: () => void): number {
  let seconds = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    run();
    seconds = Math.min(seconds, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return seconds;
}

async function bestAsync(run: () => Promise<void>): Promise<number> {
  let seconds = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    await run();
    seconds = Math.min(seconds, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return seconds;
}

const instantSender: ChunkSender = { send: () => Promise.resolve(), close: () => undefined };
const quiet = () => undefined;
const options = {
  service: "checkout",
  env: "prod",
  host: "web-1",
  queue: { maxEvents: events * 2, maxBytes: 2 * 1024 ** 3 },
  chunk: { maxEvents: 1000 },
  flushIntervalMs: 5,
};

// logger_call: both sides yield every BURST events, as a service does between requests, so the
// logger's queue drains as it would in production instead of holding every event at once.
const BURST = 1000;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
const floorCall = await bestAsync(async () => {
  let bytes = 0;
  for (let i = 0; i < events; i++) {
    const now = Date.now();
    bytes += JSON.stringify({
      id: newEventId(now),
      time: now,
      level: "info",
      message: "order placed",
      service: "checkout",
      env: "prod",
      host: "web-1",
      ...fieldsOf(i),
    }).length;
    if (i % BURST === BURST - 1) await yieldToLoop();
  }
  if (bytes === 0) throw new Error("floor did nothing");
});
const call = await bestAsync(async () => {
  const log = createLogger(options, { trace: null, sender: instantSender, log: quiet });
  for (let i = 0; i < events; i++) {
    log.info("order placed", fieldsOf(i));
    if (i % BURST === BURST - 1) await yieldToLoop();
  }
  if (log.stats().dropped > 0) throw new Error("events were dropped");
  await log.close();
});
print({
  bench: "logger_call",
  events,
  ns_per_call: Math.round((call / events) * 1e9),
  floor: {
    what: "JSON.stringify of the same record with a fresh id",
    ns_per_call: Math.round((floorCall / events) * 1e9),
  },
  ratio_to_floor: round(call / floorCall),
});

// logger_to_forward
class CountingTarget implements IngestTarget {
  count = 0;
  async append(records: IncomingRecord[]): Promise<AppendOutcome> {
    this.count += records.length;
    return "stored";
  }
  hasSpace(): boolean {
    return true;
  }
  async waitForSpace(): Promise<void> {}
}
const packr = new Packr({ useRecords: false });
const floorShip = best(() => {
  let bytes = 0;
  for (let i = 0; i < events; i++) {
    bytes += packr.pack({
      id: newEventId(),
      level: "info",
      message: "order placed",
      service: "checkout",
      ...fieldsOf(i),
    }).length;
  }
  if (bytes === 0) throw new Error("floor did nothing");
});
const target = new CountingTarget();
const input = new ForwardInput(ForwardInputConfigSchema.parse({ port: 0 }), target, {
  metrics: new MetricsRegistry(),
});
await input.start();
const port = Number(new URL(input.address()!).port);
const ship = await bestAsync(async () => {
  const before = target.count;
  const log = createLogger({ ...options, forwarder: { port } }, { trace: null, log: quiet });
  for (let i = 0; i < events; i++) log.info("order placed", fieldsOf(i));
  await log.flush(600_000);
  await log.close();
  const stats = log.stats();
  if (target.count - before !== events || stats.acked !== events)
    throw new Error(`stored ${target.count - before}, acked ${stats.acked} of ${events}`);
});
await input.shutdown();
print({
  bench: "logger_to_forward",
  events,
  acked_seconds: round(ship),
  events_per_s: Math.round(events / ship),
  floor: { what: "msgpackr encode of the same records", events_per_s: Math.round(events / floorShip) },
  ratio_to_floor: round(ship / floorShip),
});

function print(result: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
