import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IncomingRecord } from "../../../core/event/incoming.js";
import type { LogEvent } from "../../../core/event/schema.js";
import type { ItemOutcome, Sink } from "../../../core/stage.js";

export function record(n: number, fields: Record<string, unknown> = {}): IncomingRecord {
  return {
    id: `id-${n}`,
    time: 1_700_000_000_000 + n,
    receivedAt: 1_700_000_000_000 + n,
    tag: "app",
    source: "forward",
    record: { message: `event ${n}`, n, ...fields },
  };
}

/** The pump only reads `id`; a minimal event keeps the tests about delivery, not the schema. */
export function eventOf(r: IncomingRecord): LogEvent {
  return { id: r.id, message: String(r.record.message) } as unknown as LogEvent;
}

export interface Batch {
  records: IncomingRecord[];
  index: number;
  /** Ids of the records handed out (the pump takes the records themselves out of the batch). */
  ids: string[];
}

/**
 * A buffer consumer over a fixed list: hands out batches in order, records commits, and once
 * the list is exhausted blocks until aborted, as the real consumer waits for new appends.
 */
export class FakeConsumer {
  readonly commits: Batch[] = [];
  private next = 0;
  private batches = 0;

  constructor(private readonly records: IncomingRecord[]) {}

  async read(maxRecords: number, signal?: AbortSignal): Promise<Batch> {
    if (this.next < this.records.length) {
      const records = this.records.slice(this.next, this.next + maxRecords);
      this.next += records.length;
      return { records, index: this.batches++, ids: records.map((r) => r.id) };
    }
    await new Promise<void>((_, reject) => {
      if (signal?.aborted) reject(signal.reason);
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
    throw new Error("unreachable");
  }

  async commit(batch: Batch): Promise<void> {
    this.commits.push(batch);
  }

  committedIds(): string[] {
    return this.commits.flatMap((b) => b.ids);
  }
}

type Answer = (event: LogEvent, attempt: number) => ItemOutcome;

/** A sink that answers each event with `answer(event, how often it was sent before)`. */
export class ScriptedSink implements Sink<LogEvent> {
  readonly name = "test-output";
  readonly calls: string[][] = [];
  readonly accepted: string[] = [];
  private readonly attempts = new Map<string, number>();
  /** When set, each write waits for it before answering. */
  gate: Promise<void> | undefined;

  constructor(private readonly answer: Answer = () => ({ status: "accepted" })) {}

  async start(): Promise<void> {}
  async shutdown(): Promise<void> {}

  async write(batch: readonly LogEvent[]): Promise<ItemOutcome[]> {
    this.calls.push(batch.map((e) => e.id));
    if (this.gate) await this.gate;
    return batch.map((event) => {
      const attempt = this.attempts.get(event.id) ?? 0;
      this.attempts.set(event.id, attempt + 1);
      const outcome = this.answer(event, attempt);
      if (outcome.status === "accepted") this.accepted.push(event.id);
      return outcome;
    });
  }
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "logpipe-pump-"));
}

export async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
