// A process that writes to a durable buffer until it is killed. Runs the compiled buffer from
// dist/ (built by `npm run build`), because a child process cannot load TypeScript directly.
//
// usage: node buffer-child.mjs <dir> <first batch number> <records to commit at most> [resend batches, comma-separated]
// stdout lines (pipes are synchronous on Linux, so a printed line reached the parent before a kill):
//   READY                        the buffer is open
//   D <batch> <outcome>          a resent batch was answered (expected: duplicate)
//   A <batch>                    the batch's append was acknowledged
//   C <id>,<id>,...              records the consumer committed
import { BufferConfigSchema, DurableBuffer } from "../../dist/collectors/buffer/index.js";
import { MetricsRegistry } from "../../dist/core/metrics.js";

const [dir, firstArg, maxCommitArg, resendArg] = process.argv.slice(2);
const RECORDS_PER_BATCH = 40;

/** Deterministic content, so the parent can check every record it reads back. */
function batchRecords(batch) {
  const records = [];
  for (let i = 0; i < RECORDS_PER_BATCH; i++) {
    records.push({
      id: `b${batch}-r${i}`,
      time: batch * 1000 + i,
      receivedAt: batch * 1000 + i + 1,
      tag: "kill.test",
      source: "child",
      record: { message: `batch ${batch} record ${i}`, pad: "x".repeat(64 + (i % 50)) },
    });
  }
  return records;
}

const buffer = await DurableBuffer.open(
  BufferConfigSchema.parse({
    dir,
    segment_bytes: 64 * 1024,
    max_bytes: 1024 * 1024 * 1024,
    cursor_flush_interval_ms: 5,
  }),
  { consumers: ["out"], metrics: new MetricsRegistry() },
);
const write = (line) => process.stdout.write(`${line}\n`);
write("READY");

for (const batch of resendArg ? resendArg.split(",").map(Number) : []) {
  write(`D ${batch} ${await buffer.append(batchRecords(batch), `key-${batch}`)}`);
}

const consumer = buffer.consumer("out");
async function consume() {
  // A bounded consumer leaves records uncommitted, so their segments (and dedup keys) stay on disk.
  for (let committed = 0; committed < Number(maxCommitArg); ) {
    const batch = await consumer.read(37);
    if (batch.records.length === 0) return;
    await consumer.commit(batch);
    committed += batch.records.length;
    write(`C ${batch.records.map((r) => r.id).join(",")}`);
  }
}

let next = Number(firstArg);
async function append() {
  for (;;) {
    const batch = next++;
    await buffer.append(batchRecords(batch), `key-${batch}`);
    write(`A ${batch}`);
  }
}

await Promise.all([consume(), append(), append(), append(), append()]);
