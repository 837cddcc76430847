/**
 * The CloudWatch Logs subscription path, end to end without I/O: a ~1 MB (uncompressed)
 * subscription payload of realistic JSON log lines → decode (base64, gunzip, JSON) → transforms
 * (the handler's `transformMessage`, which also serialises each kept event once for every store) →
 * the OpenSearch `_bulk` body (the store's own builder) and the lake objects' NDJSON bodies (the
 * lake writer's own grouping by partition).
 *
 * The floor is the least any such path does with the same payload, in the same run: gunzip,
 * `JSON.parse` of the payload and of each line, `JSON.stringify` of each event. Results are
 * events per second and `ratio` = path ÷ floor (target ≥ 0.5); each figure is the best of several
 * rounds, the usual way to filter out time stolen by other processes.
 *
 * Run after `npm run build`: `node dist/bench/cloudwatch_subscription_to_stores.js [rounds]`.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import type { LogEvent } from "../core/event/schema.js";
import { decodeSubscriptionEvent, transformMessage } from "../processors/handlers/index.js";
import { compileServiceLogs } from "../processors/transforms/aws/index.js";
import { createTransformer } from "../processors/transforms/index.js";
import { groupByPartition } from "../stores/lake/index.js";
import { buildBulkItems, renderBulkBody } from "../stores/opensearch/index.js";

const T0 = Date.UTC(2025, 11, 5, 18, 0, 0, 0);
const LEVELS = ["info", "info", "info", "info", "debug", "warn", "error"];
const PATHS = ["/api/v1/orders", "/api/v1/cart", "/api/v1/items/81723", "/health", "/api/v1/payments"];

/** A line as the forwarder (or an application logging JSON) writes it. */
function line(i: number): string {
  const level = LEVELS[i % LEVELS.length]!;
  return JSON.stringify({
    id: `01KBQ0M5T8F4ZK2Y7W1N${String(i).padStart(6, "0")}`,
    "@timestamp": new Date(T0 + i * 7).toISOString(),
    service: i % 3 === 0 ? "payments" : "checkout",
    env: "prod",
    level,
    message:
      level === "error"
        ? `payment declined for order ${i}: card_declined (issuer 05), customer notified`
        : `request completed in ${(i % 97) + 3} ms`,
    trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
    span_id: "00f067aa0ba902b7",
    http: {
      method: i % 4 === 0 ? "POST" : "GET",
      path: PATHS[i % PATHS.length],
      status: i % 50 === 0 ? 500 : 200,
      latency_ms: (i % 97) + 3.5,
    },
    user_id: `u-${i % 5000}`,
    region: "eu-west-1",
    host: `checkout-7d9f-${i % 8}`,
  });
}

function payload(targetBytes: number) {
  const logEvents: { id: string; timestamp: number; message: string }[] = [];
  let bytes = 0;
  for (let i = 0; bytes < targetBytes; i++) {
    const message = line(i);
    logEvents.push({
      id: `393164170162849363915634423782450976004372120344558${String(i).padStart(5, "0")}`,
      timestamp: T0 + i * 7,
      message,
    });
    bytes += message.length + 90;
  }
  return {
    messageType: "DATA_MESSAGE",
    owner: "123456789012",
    logGroup: "/aws/lambda/checkout-api",
    logStream: "2025/12/05/[$LATEST]6f1c9b0e2a7d4c3b8e5f1a2b3c4d5e6f",
    subscriptionFilters: ["logpipe"],
    logEvents,
  };
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 15);
  const decoded = payload(1024 * 1024);
  const json = JSON.stringify(decoded);
  const event = { awslogs: { data: gzipSync(Buffer.from(json)).toString("base64") } };
  const count = decoded.logEvents.length;
  const transform = createTransformer({});
  const serviceLogs = compileServiceLogs();
  const nowIso = new Date(T0).toISOString();

  let sink = 0;
  let message: Awaited<ReturnType<typeof decodeSubscriptionEvent>> = decoded;
  let events: LogEvent[] = [];
  const phases: Record<string, () => Promise<void> | void> = {
    decode: async () => {
      message = await decodeSubscriptionEvent(event);
    },
    // The handler's own step: transforms, then each kept event serialised once for both stores.
    transform: () => {
      events = transformMessage(message, {
        transform,
        serviceLogs,
        idField: "id",
        receivedAt: T0,
        nowIso,
      }).events;
    },
    opensearch_bulk: () => {
      sink += renderBulkBody(
        buildBulkItems(events, { prefix: "logs-", dataStream: false, opType: "index" }).items,
      ).length;
    },
    lake_ndjson: () => {
      sink += groupByPartition(events).groups.length;
    },
  };
  const path = async () => {
    for (const phase of Object.values(phases)) await phase();
  };
  const floor = async () => {
    const parsed = JSON.parse(
      gunzipSync(Buffer.from(event.awslogs.data, "base64")).toString("utf8"),
    ) as typeof decoded;
    for (const e of parsed.logEvents) sink += JSON.stringify(JSON.parse(e.message)).length;
  };

  const time = async (fn: () => Promise<void> | void) => {
    const start = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  for (let i = 0; i < 3; i++) {
    await time(path);
    await time(floor);
  }
  // Path and floor alternate, so a burst of load from elsewhere hits both; the best of the
  // rounds is the figure least disturbed by it.
  let best = Number.POSITIVE_INFINITY;
  let bestFloor = Number.POSITIVE_INFINITY;
  const bestPhase: Record<string, number> = {};
  for (let round = 0; round < rounds; round++) {
    best = Math.min(best, await time(path));
    bestFloor = Math.min(bestFloor, await time(floor));
    for (const [name, phase] of Object.entries(phases))
      bestPhase[name] = Math.min(bestPhase[name] ?? Number.POSITIVE_INFINITY, await time(phase));
  }
  const eventsPerSecond = (count * 1000) / best;
  const floorEventsPerSecond = (count * 1000) / bestFloor;
  console.log(
    JSON.stringify({
      bench: "cloudwatch_subscription_to_stores",
      payload_bytes: Buffer.byteLength(json),
      compressed_bytes: event.awslogs.data.length,
      events: count,
      events_per_s: Math.round(eventsPerSecond),
      floor_events_per_s: Math.round(floorEventsPerSecond),
      ratio: Number((eventsPerSecond / floorEventsPerSecond).toFixed(3)),
      target_ratio: 0.5,
      path_ms: Number(best.toFixed(2)),
      floor_ms: Number(bestFloor.toFixed(2)),
      phase_ms: Object.fromEntries(Object.entries(bestPhase).map(([k, v]) => [k, Number(v.toFixed(2))])),
      best_of_rounds: rounds,
      checksum: sink > 0,
    }),
  );
}

await main();
