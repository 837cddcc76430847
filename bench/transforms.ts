/**
 * Micro-benchmark of the transform chain (parse → level → id → enrich → redact → bound) on
 * typical ~200-byte records. Prints one JSON line per case. The baseline is the floor of the
 * same work: parse the record's JSON line when it has one, then `JSON.stringify` the result (the
 * least any stage that turns a record into a document does), so `ratio` survives a noisy machine
 * better than the absolute numbers. Each figure is the best of several rounds, the
 * usual way to filter out time stolen by other processes.
 *
 * Run after `npm run build`: `node dist/bench/transforms.js [iterations]`.
 */
import type { IncomingRecord } from "../core/event/incoming.js";
import { createTransformer } from "../processors/transforms/index.js";

const FLUENT_BIT_RECORD = {
  level: "info",
  service: "checkout-api",
  message: "order placed",
  trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
  http: { method: "POST", path: "/api/v1/orders", status: 201, duration_ms: 12.5 },
};

const PINO_LINE = JSON.stringify({
  level: 30,
  time: 1_764_957_600_123,
  pid: 4121,
  hostname: "checkout-7d9f",
  reqId: "req-1f",
  msg: "request completed",
  res: { statusCode: 200 },
  responseTime: 3.2,
});

const CASES: Record<string, Record<string, unknown>> = {
  fluent_bit_record: FLUENT_BIT_RECORD,
  docker_json_line: { log: `${PINO_LINE}\n`, stream: "stdout", container_name: "/checkout" },
  plain_text_line: {
    log: "2026-12-05 18:00:00 INFO  [main] c.e.checkout.OrderService - order 81723 placed by user 5521 in 12 ms\n",
    stream: "stdout",
  },
};

const ROUNDS = 5;

function measure(iterations: number, fn: (i: number) => unknown): number {
  const start = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0; i < iterations; i++) if (fn(i) !== undefined) sink++;
  const ns = Number(process.hrtime.bigint() - start);
  if (sink < 0) console.log(sink);
  return ns / iterations / 1000;
}

function main(): void {
  const iterations = Number(process.argv[2] ?? 200_000);
  const transform = createTransformer({});
  for (const [name, record] of Object.entries(CASES)) {
    const inputs: IncomingRecord[] = Array.from({ length: 1024 }, (_, i) => ({
      id: `01JEXAMPLE${String(i).padStart(16, "0")}`,
      time: 1_764_957_600_000 + i,
      receivedAt: 1_764_957_600_500,
      tag: "checkout.access",
      source: "forward",
      record: { ...record },
    }));
    const run = (i: number) => transform(inputs[i & 1023]!);
    const baseline = (i: number) => {
      const fields = inputs[i & 1023]!.record;
      const line = fields.log;
      return JSON.stringify(typeof line === "string" && line.startsWith("{") ? JSON.parse(line) : fields);
    };
    measure(Math.min(iterations, 50_000), run);
    measure(Math.min(iterations, 50_000), baseline);
    let us = Number.POSITIVE_INFINITY;
    let baseUs = Number.POSITIVE_INFINITY;
    for (let round = 0; round < ROUNDS; round++) {
      us = Math.min(us, measure(iterations, run));
      baseUs = Math.min(baseUs, measure(iterations, baseline));
    }
    console.log(
      JSON.stringify({
        name: `transforms_${name}`,
        record_bytes: Buffer.byteLength(JSON.stringify(record)),
        iterations,
        events_per_s: Math.round(1e6 / us),
        us_per_event: Number(us.toFixed(3)),
        baseline_us_per_event: Number(baseUs.toFixed(3)),
        ratio: Number((us / baseUs).toFixed(2)),
      }),
    );
  }
}

main();
