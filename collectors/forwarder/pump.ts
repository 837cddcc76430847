import type { IncomingRecord } from "../../core/event/incoming.js";
import type { LogEvent } from "../../core/event/schema.js";
import type { Counter, Histogram, MetricsRegistry } from "../../core/metrics.js";
import { retry } from "../../core/retry.js";
import type { ItemOutcome, Sink } from "../../core/stage.js";
import type { TransformResult } from "../../processors/transforms/index.js";
import type { DeadLetterWriter } from "../dead-letter/dead-letter.js";

/**
 * What the pump reads from: one consumer of the durable buffer. The pump empties a batch's
 * `records` when it starts on it; `commit` must need only the batch itself.
 */
export interface RecordSource<Batch extends { records: IncomingRecord[] }> {
  read(maxRecords: number, signal?: AbortSignal): Promise<Batch>;
  commit(batch: Batch): Promise<void>;
}

export interface PumpOptions {
  /** Records read from the buffer per delivery. */
  maxBatch: number;
  /** Batches delivered concurrently; commits still advance in buffer order. */
  concurrency: number;
  /** Backoff between attempts at retryable items; the pump never gives up while running. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/** Raised inside the retry loop while some items of a batch are still retryable. */
class ItemsPendingError extends Error {
  override name = "ItemsPendingError";
  constructor(
    readonly count: number,
    readonly throttled: boolean,
    readonly retryAfterMs: number | undefined,
    readonly lastReason: string,
  ) {
    super(`${count} items pending retry: ${lastReason}`);
  }
}

/**
 * Moves records from one buffer consumer through the transforms into one sink. A batch is
 * committed to the buffer only after every event in it was accepted or dead-lettered; only the
 * items the sink reported retryable are sent again, so a partial failure never duplicates the
 * rest of the batch.
 */
export class DeliveryPump<Batch extends { records: IncomingRecord[] }> {
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private readonly delivered: Counter;
  private readonly retried: Counter;
  private readonly dropped: Counter;
  private readonly batchSize: Histogram;
  private lastDeliveredAt: number | undefined;
  private lastError: string | undefined;
  private retrying = false;

  constructor(
    private readonly source: RecordSource<Batch>,
    private readonly transform: (record: IncomingRecord) => TransformResult,
    private readonly sink: Sink<LogEvent>,
    private readonly deadLetters: DeadLetterWriter,
    metrics: MetricsRegistry,
    private readonly options: PumpOptions,
  ) {
    this.delivered = metrics.counter("logpipe_output_events_total", "Events accepted by an output");
    this.retried = metrics.counter("logpipe_output_retried_total", "Events an output asked to retry");
    this.dropped = metrics.counter("logpipe_events_dropped_total", "Events dropped on purpose, by reason");
    this.batchSize = metrics.histogram(
      "logpipe_output_batch_events",
      "Events per delivered batch",
      [1, 10, 100, 500, 1000, 5000, 10000],
    );
  }

  /** For /health: whether the sink is taking events, and the last reason it did not. */
  status(): { retrying: boolean; lastDeliveredAt?: string; lastError?: string } {
    return {
      retrying: this.retrying,
      ...(this.lastDeliveredAt === undefined
        ? {}
        : { lastDeliveredAt: new Date(this.lastDeliveredAt).toISOString() }),
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  start(): void {
    if (this.running) return;
    const lanes = Array.from({ length: Math.max(1, this.options.concurrency) }, () => this.lane());
    this.running = Promise.all(lanes).then(() => undefined);
  }

  /** Stops reading; in-flight deliveries are abandoned uncommitted and resume on next start. */
  async shutdown(): Promise<void> {
    this.abort.abort(new Error("pump stopped"));
    await this.running?.catch(() => undefined);
  }

  private async lane(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      let batch: Batch;
      try {
        batch = await this.source.read(this.options.maxBatch, signal);
      } catch (error) {
        if (signal.aborted) return;
        throw error;
      }
      if (batch.records.length === 0) {
        if (signal.aborted) return;
        // An empty batch without an abort means the buffer closed.
        return;
      }
      // `deliver` empties the batch's records once they are transformed: they are garbage then,
      // while the batch (all that commit needs) stays in flight until the sink answers. Records
      // pinned through a slow call outlive young-generation collections and cost far more to collect.
      const delivered = await this.deliver(batch.records, signal);
      if (!delivered) return;
      await this.source.commit(batch);
    }
  }

  /** Transforms and delivers one batch's records, emptying the array; false when stopped before it finished. */
  private async deliver(records: IncomingRecord[], signal: AbortSignal): Promise<boolean> {
    const events: LogEvent[] = [];
    const letters: Parameters<DeadLetterWriter["write"]>[0][number][] = [];
    for (const record of records) {
      const outcome = this.transform(record);
      if (outcome.ok) {
        events.push(outcome.event);
      } else if (outcome.intentional) {
        // A drop the config asked for (e.g. a level filter): counted, not dead-lettered.
        this.dropped.inc({ output: this.sink.name, code: outcome.code });
      } else {
        letters.push({
          output: this.sink.name,
          stage: "processing",
          code: outcome.code,
          reason: outcome.reason,
          event: record,
        });
      }
    }
    // Emptied rather than left to go out of scope: an async function's suspended frame may keep
    // a variable it no longer reads.
    records.length = 0;
    let pending = events;
    try {
      await retry(
        async () => {
          const outcomes = await this.sink.write(pending, signal);
          const next = this.settle(pending, outcomes, letters);
          pending = next.retry;
          if (pending.length > 0) {
            throw new ItemsPendingError(pending.length, next.throttled, next.retryAfterMs, next.lastReason);
          }
        },
        {
          classify: (error) => {
            if (error instanceof ItemsPendingError) {
              return error.throttled
                ? error.retryAfterMs === undefined
                  ? { kind: "throttled" }
                  : { kind: "throttled", retryAfterMs: error.retryAfterMs }
                : { kind: "retryable" };
            }
            // A sink that throws instead of answering per item failed as a whole: retry all of it.
            return { kind: "retryable" };
          },
          maxAttempts: Number.POSITIVE_INFINITY,
          maxElapsedMs: Number.POSITIVE_INFINITY,
          initialDelayMs: this.options.initialDelayMs ?? 100,
          maxDelayMs: this.options.maxDelayMs ?? 30_000,
          signal,
          onRetry: (info) => {
            this.retrying = true;
            this.lastError = info.error instanceof Error ? info.error.message : String(info.error);
          },
        },
      );
    } catch (error) {
      if (signal.aborted) return false;
      throw error;
    }
    await this.deadLetters.write(letters);
    this.retrying = false;
    this.lastDeliveredAt = Date.now();
    this.batchSize.observe(events.length, { output: this.sink.name });
    return true;
  }

  private settle(
    sent: LogEvent[],
    outcomes: ItemOutcome[],
    letters: Parameters<DeadLetterWriter["write"]>[0][number][],
  ): { retry: LogEvent[]; throttled: boolean; retryAfterMs: number | undefined; lastReason: string } {
    const again: LogEvent[] = [];
    let throttled = false;
    let retryAfterMs: number | undefined;
    let lastReason = "";
    let accepted = 0;
    sent.forEach((event, i) => {
      const outcome = outcomes[i] ?? { status: "retryable", reason: "sink gave no answer for this item" };
      if (outcome.status === "accepted") {
        accepted++;
      } else if (outcome.status === "rejected") {
        letters.push({
          output: this.sink.name,
          stage: "sending",
          code: outcome.code,
          reason: outcome.reason,
          event,
        });
      } else {
        again.push(event);
        lastReason = outcome.reason;
        if (outcome.throttled) throttled = true;
        if (outcome.retryAfterMs !== undefined)
          retryAfterMs = Math.max(retryAfterMs ?? 0, outcome.retryAfterMs);
      }
    });
    this.delivered.inc({ output: this.sink.name }, accepted);
    if (again.length > 0) this.retried.inc({ output: this.sink.name }, again.length);
    return { retry: again, throttled, retryAfterMs, lastReason };
  }
}
