import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BufferBatch, BufferConsumer } from "../../collectors/buffer/index.js";
import { type BufferConfig, BufferConfigSchema, DurableBuffer } from "../../collectors/buffer/index.js";
import type { IncomingRecord } from "../../core/event/incoming.js";
import { MetricsRegistry } from "../../core/metrics.js";

/** Records of batch `batch`, with ids `b<batch>-r<i>` so tests can tell exactly what came back. */
export function makeRecords(
  batch: number,
  count: number,
  extra: Record<string, unknown> = {},
): IncomingRecord[] {
  const records: IncomingRecord[] = [];
  for (let i = 0; i < count; i++) {
    records.push({
      id: `b${batch}-r${i}`,
      time: 1_720_000_000_000 + batch * 1000 + i,
      receivedAt: 1_720_000_000_500 + batch * 1000 + i,
      tag: "app.checkout",
      source: "forward",
      record: {
        level: i % 7 === 0 ? "error" : "info",
        message: `request ${batch}/${i} done`,
        n: i,
        ...extra,
      },
    });
  }
  return records;
}

export async function tempBufferDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "logpipe-buffer-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export function bufferConfig(dir: string, overrides: Partial<BufferConfig> = {}): BufferConfig {
  return BufferConfigSchema.parse({ dir, cursor_flush_interval_ms: 0, ...overrides });
}

export interface OpenedBuffer {
  buffer: DurableBuffer;
  metrics: MetricsRegistry;
  logs: { level: string; message: string; fields?: Record<string, unknown> }[];
}

export async function openBuffer(
  dir: string,
  overrides: Partial<BufferConfig> = {},
  consumers: string[] = ["out"],
): Promise<OpenedBuffer> {
  const metrics = new MetricsRegistry();
  const logs: OpenedBuffer["logs"] = [];
  const buffer = await DurableBuffer.open(bufferConfig(dir, overrides), {
    consumers,
    metrics,
    log: (level, message, fields) => {
      logs.push(fields === undefined ? { level, message } : { level, message, fields });
    },
  });
  return { buffer, metrics, logs };
}

/** Reads batches until `count` records arrived (or fails after a generous timeout). */
export async function readRecords(
  consumer: BufferConsumer,
  count: number,
  options: { maxRecords?: number; commit?: boolean } = {},
): Promise<{ records: IncomingRecord[]; batches: BufferBatch[] }> {
  const signal = AbortSignal.timeout(20_000);
  const records: IncomingRecord[] = [];
  const batches: BufferBatch[] = [];
  while (records.length < count) {
    const batch = await consumer.read(options.maxRecords ?? 1000, signal);
    if (batch.records.length === 0) break;
    batches.push(batch);
    records.push(...batch.records);
    if (options.commit) await consumer.commit(batch);
  }
  return { records, batches };
}

export const ids = (records: readonly IncomingRecord[]): string[] => records.map((r) => r.id);
