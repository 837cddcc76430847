/**
 * Throughput of the durable buffer with `fsync: batch`: appends of 1,000-record batches (one
 * appender awaiting each append, and several concurrent ones sharing fsyncs), a consumer reading
 * back everything, and both at once. The floor is the least the same work can cost: encoding the
 * same batches and writing + fdatasync-ing the bytes to one file, sequentially, in this process;
 * `ratio` (buffer rate / floor rate) survives a noisy machine better than the absolute numbers.
 * Each case is the best of several rounds. Prints one JSON line per case.
 *
 * Run after `npm run build`: `node dist/bench/buffer_append.js [batches] [rounds]`.
 */
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeBatch } from "../collectors/buffer/codec.js";
import { BufferConfigSchema, DurableBuffer } from "../collectors/buffer/index.js";
import type { IncomingRecord } from "../core/event/incoming.js";
import { MetricsRegistry } from "../core/metrics.js";

const BATCH = 1000;

function makeBatch(batch: number): IncomingRecord[] {
  return Array.from({ length: BATCH }, (_, i) => ({
    id: `01JEXAMPLE${String(batch * BATCH + i).padStart(16, "0")}`,
    time: 1_764_957_600_000 + i,
    receivedAt: 1_764_957_600_500,
    tag: "checkout.access",
    source: "forward",
    record: {
      level: i % 10 === 0 ? "error" : "info",
      service: "checkout-api",
      message: `order ${batch}-${i} placed`,
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
      http: { method: "POST", path: "/api/v1/orders", status: 201, duration_ms: 12.5 },
    },
  }));
}

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "logpipe-bench-buffer-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function openBuffer(dir: string): Promise<{ buffer: DurableBuffer; metrics: MetricsRegistry }> {
  const metrics = new MetricsRegistry();
  const buffer = await DurableBuffer.open(
    BufferConfigSchema.parse({
      dir,
      fsync: "batch",
      max_bytes: 4 * 1024 ** 3,
      segment_bytes: 64 * 1024 ** 2,
    }),
    { consumers: ["out"], metrics },
  );
  return { buffer, metrics };
}

/** Encode + write + fdatasync per batch, one file, nothing else. */
async function floor(batches: IncomingRecord[][]): Promise<number> {
  return withDir(async (dir) => {
    const handle = await open(join(dir, "floor"), "w");
    const start = performance.now();
    for (const batch of batches) {
      await handle.writev(encodeBatch(batch));
      await handle.datasync();
    }
    const seconds = (performance.now() - start) / 1000;
    await handle.close();
    return (batches.length * BATCH) / seconds;
  });
}

async function append(batches: IncomingRecord[][], lanes: number): Promise<{ rate: number; fsyncs: number }> {
  return withDir(async (dir) => {
    const { buffer, metrics } = await openBuffer(dir);
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        while (next < batches.length) await buffer.append(batches[next++]!);
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    await buffer.close();
    return {
      rate: batches.reduce((n, batch) => n + batch.length, 0) / seconds,
      fsyncs: metrics.snapshot()["logpipe_buffer_fsyncs_total"] ?? 0,
    };
  });
}

async function drain(buffer: DurableBuffer, total: number): Promise<void> {
  const consumer = buffer.consumer("out");
  for (let seen = 0; seen < total; ) {
    const batch = await consumer.read(5000);
    seen += batch.records.length;
    await consumer.commit(batch);
  }
}

async function read(batches: IncomingRecord[][]): Promise<number> {
  return withDir(async (dir) => {
    const { buffer } = await openBuffer(dir);
    await Promise.all(batches.map((batch) => buffer.append(batch)));
    await buffer.close();
    // Reopen so the reads come from the files, as after a restart, not from a warm tail.
    const { buffer: reopened } = await openBuffer(dir);
    const start = performance.now();
    await drain(reopened, batches.length * BATCH);
    const seconds = (performance.now() - start) / 1000;
    await reopened.close();
    return (batches.length * BATCH) / seconds;
  });
}

async function endToEnd(batches: IncomingRecord[][], lanes: number): Promise<number> {
  return withDir(async (dir) => {
    const { buffer } = await openBuffer(dir);
    let next = 0;
    const start = performance.now();
    await Promise.all([
      drain(buffer, batches.length * BATCH),
      ...Array.from({ length: lanes }, async () => {
        while (next < batches.length) await buffer.append(batches[next++]!);
      }),
    ]);
    const seconds = (performance.now() - start) / 1000;
    await buffer.close();
    return (batches.length * BATCH) / seconds;
  });
}

async function best<T>(rounds: number, run: () => Promise<T>, score: (t: T) => number): Promise<T> {
  let top: T | undefined;
  for (let i = 0; i < rounds; i++) {
    const result = await run();
    if (top === undefined || score(result) > score(top)) top = result;
  }
  return top!;
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 200);
  const rounds = Number(process.argv[3] ?? 3);
  const batches = Array.from({ length: count }, (_, i) => makeBatch(i));
  const bytesPerRecord = Buffer.concat(encodeBatch(batches[0]!)).length / BATCH;
  // Warm the encoder up so the first case measured (the floor) is not charged for compilation.
  for (const batch of batches) encodeBatch(batch);
  const rate = (r: number) => r;
  const floorRate = await best(rounds, () => floor(batches), rate);
  const print = (name: string, records: number, perSecond: number, extra: Record<string, unknown> = {}) =>
    console.log(
      JSON.stringify({
        case: name,
        records,
        records_per_s: Math.round(perSecond),
        floor_records_per_s: Math.round(floorRate),
        ratio: Number((perSecond / floorRate).toFixed(2)),
        bytes_per_record: Math.round(bytesPerRecord),
        ...extra,
      }),
    );
  const total = count * BATCH;
  for (const lanes of [1, 4]) {
    const result = await best(
      rounds,
      () => append(batches, lanes),
      (r) => r.rate,
    );
    print(`append_${lanes}_lanes`, total, result.rate, { fsyncs: result.fsyncs });
  }
  // Small appends, as from HTTP clients sending a few records each: per-entry overhead.
  const small = batches
    .slice(0, Math.max(1, count / 4))
    .flatMap((batch) => Array.from({ length: BATCH / 10 }, (_, i) => batch.slice(i * 10, i * 10 + 10)));
  const tiny = await best(
    rounds,
    () => append(small, 64),
    (r) => r.rate,
  );
  print("append_10_record_batches_64_lanes", small.length * 10, tiny.rate, { fsyncs: tiny.fsyncs });
  print("read_from_disk", total, await best(rounds, () => read(batches), rate));
  print("append_4_lanes_while_reading", total, await best(rounds, () => endToEnd(batches, 4), rate));
}

await main();
