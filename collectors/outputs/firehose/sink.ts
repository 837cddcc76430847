import type { FirehoseClient } from "@aws-sdk/client-firehose";
import type { LogEvent } from "../../../core/event/schema.js";
import { InFlightWrites } from "../../../core/in-flight.js";
import type { Logger } from "../../../core/log.js";
import type { Counter, Gauge, Histogram } from "../../../core/metrics.js";
import { RetryExhaustedError, type RetryOptions, retry } from "../../../core/retry.js";
import type { ItemOutcome, Sink } from "../../../core/stage.js";
import { AdaptiveConcurrency } from "../concurrency.js";
import { type AwsOutputDeps, outputRetryOptions } from "../sdk-client.js";
import { classifyCallError, classifyRecordError, type Failure, toRetryClass } from "./classify.js";
import { createFirehoseClient, FirehoseApi, type PutRecordBatchAnswer } from "./client.js";
import type { FirehoseOutputConfig } from "./config.js";
import { type PackedRecord, packEvents } from "./pack.js";

export const OUTPUT_NAME = "firehose";

export type { Logger, LogLevel } from "../../../core/log.js";

export type FirehoseOutputDeps = AwsOutputDeps<FirehoseClient>;

/** Thrown inside the retry loop while some records of a call still failed; never escapes it. */
class RecordsFailedError extends Error {
  override name = "RecordsFailedError";
  constructor(
    readonly count: number,
    readonly throttled: boolean,
    readonly last: Failure,
  ) {
    super(`${count} record${count === 1 ? "" : "s"} failed: ${last.name}: ${last.message}`);
  }
}

/** What one answered attempt left to do. */
interface Settled {
  pending: PackedRecord[];
  throttled: boolean;
  last: Failure | undefined;
}

const RECORDS_PER_CALL_BUCKETS = [1, 2, 4, 10, 50, 100, 250, 500];
const RECORD_BYTES_BUCKETS = [512, 5_120, 51_200, 262_144, 524_288, 1_024_000];
const EVENTS_PER_RECORD_BUCKETS = [1, 10, 100, 1_000, 10_000];

/** Error codes become metric labels; a hostile or buggy endpoint must not mint unbounded series. */
function labelCode(name: string): string {
  return /^[A-Za-z0-9_.]{1,64}$/.test(name) ? name : "other";
}

/**
 * Sends LogEvents to an Amazon Data Firehose stream with PutRecordBatch. A `write` packs its
 * events as newline-delimited JSON into records and records into calls (`pack.ts`); the calls run
 * in parallel under an adaptive concurrency limit. Each call is retried on its own within the
 * retry budget, and only its records that failed are resent, so accepted records are never
 * duplicated by a partial failure. Every event is answered: accepted, rejected (too large, or
 * refused for good by the service) or retryable (the forwarder resends only those later).
 */
export class FirehoseSink implements Sink<LogEvent> {
  readonly name = OUTPUT_NAME;
  private readonly api: FirehoseApi;
  private readonly log: Logger;
  private readonly limiter: AdaptiveConcurrency;
  private readonly retryOptions: Omit<RetryOptions, "classify" | "signal">;
  private readonly inFlight = new InFlightWrites("firehose output");

  private readonly eventsSent: Counter;
  private readonly recordsSent: Counter;
  private readonly recordFailures: Counter;
  private readonly rejected: Counter;
  private readonly retryable: Counter;
  private readonly truncated: Counter;
  private readonly apiCalls: Counter;
  private readonly throttles: Counter;
  private readonly retries: Counter;
  private readonly recordsPerCall: Histogram;
  private readonly recordBytes: Histogram;
  private readonly eventsPerRecord: Histogram;
  private readonly concurrency: Gauge;

  constructor(
    private readonly config: FirehoseOutputConfig,
    deps: FirehoseOutputDeps,
  ) {
    this.api = new FirehoseApi(deps.client ?? createFirehoseClient(config));
    this.log = deps.log ?? (() => {});
    this.retryOptions = outputRetryOptions(config.retry, deps, ({ kind }) =>
      this.retries.inc({ output: this.name, kind }),
    );

    const m = deps.metrics;
    const p = "logpipe_firehose";
    this.eventsSent = m.counter(`${p}_events_sent_total`, "Events Firehose accepted");
    this.recordsSent = m.counter(`${p}_records_sent_total`, "Records Firehose accepted");
    this.recordFailures = m.counter(
      `${p}_record_failures_total`,
      "Records a PutRecordBatch response reported failed, by error code (each attempt counts)",
    );
    this.rejected = m.counter(`${p}_rejected_total`, "Events answered rejected (dead-lettered), by code");
    this.retryable = m.counter(
      `${p}_retryable_total`,
      "Events handed back as retryable after the retry budget, or on shutdown",
    );
    this.truncated = m.counter(`${p}_truncated_total`, "Events shortened to fit one record, by what was cut");
    this.apiCalls = m.counter(`${p}_api_calls_total`, "PutRecordBatch calls, by outcome");
    this.throttles = m.counter(
      `${p}_throttles_total`,
      "PutRecordBatch calls Firehose throttled, wholly or for some records",
    );
    this.retries = m.counter(`${p}_retries_total`, "Call retries, by kind (retryable, throttled)");
    this.recordsPerCall = m.histogram(
      `${p}_records_per_call`,
      "Records per PutRecordBatch call (resends included)",
      RECORDS_PER_CALL_BUCKETS,
    );
    this.recordBytes = m.histogram(
      `${p}_record_bytes`,
      "Bytes per packed record (packing efficiency; Direct PUT bills 5 KB steps)",
      RECORD_BYTES_BUCKETS,
    );
    this.eventsPerRecord = m.histogram(
      `${p}_events_per_record`,
      "Events per packed record",
      EVENTS_PER_RECORD_BUCKETS,
    );
    this.concurrency = m.gauge(`${p}_concurrency`, "Current limit on concurrent PutRecordBatch calls");
    this.limiter = new AdaptiveConcurrency(
      config.min_concurrency,
      config.max_concurrency,
      (limit) => this.concurrency.set(limit, { output: this.name }),
      config.max_concurrency,
    );
  }

  /** The current adaptive limit on concurrent PutRecordBatch calls. */
  get concurrencyLimit(): number {
    return this.limiter.limit;
  }

  async start(): Promise<void> {}

  /** Waits for writes in flight to finish; later writes answer every event retryable. */
  async shutdown(): Promise<void> {
    await this.inFlight.close();
  }

  write(batch: readonly LogEvent[], signal?: AbortSignal): Promise<ItemOutcome[]> {
    return this.inFlight.run(batch.length, () => this.deliver(batch, signal));
  }

  private async deliver(batch: readonly LogEvent[], signal: AbortSignal | undefined): Promise<ItemOutcome[]> {
    const outcomes: Array<ItemOutcome | undefined> = new Array(batch.length).fill(undefined);
    const packed = packEvents(batch, {
      maxRecordBytes: this.config.max_record_bytes,
      maxBatchRecords: this.config.max_batch_records,
      maxBatchBytes: this.config.max_batch_bytes,
      oneEventPerRecord: this.config.one_event_per_record,
    });
    for (const [index, { code, reason }] of packed.rejected) {
      outcomes[index] = { status: "rejected", code, reason };
      this.rejected.inc({ output: this.name, code });
    }
    if (packed.truncated.message > 0)
      this.truncated.inc({ output: this.name, part: "message" }, packed.truncated.message);
    if (packed.truncated.attrs > 0)
      this.truncated.inc({ output: this.name, part: "attrs" }, packed.truncated.attrs);
    for (const call of packed.calls) {
      for (const record of call) {
        this.recordBytes.observe(record.bytes, { output: this.name });
        this.eventsPerRecord.observe(record.events.length, { output: this.name });
      }
    }

    await Promise.all(packed.calls.map((call) => this.send(call, signal, outcomes)));
    return outcomes.map((o) => o ?? { status: "retryable", reason: "no answer for this event" });
  }

  /**
   * Sends one call's records, resending only the failed ones until all are answered or the
   * budget runs out, and answers each record's events in `outcomes`.
   */
  private async send(
    call: PackedRecord[],
    signal: AbortSignal | undefined,
    outcomes: Array<ItemOutcome | undefined>,
  ): Promise<void> {
    let pending = call;
    /** Why each still-pending record failed last, for the answer after the budget. */
    const lastFailure = new Map<PackedRecord, Failure>();
    try {
      await retry(
        async (_attempt, attemptSignal) => {
          const slot = await this.limiter.acquire(attemptSignal);
          let answer: PutRecordBatchAnswer;
          this.recordsPerCall.observe(pending.length, { output: this.name });
          try {
            answer = await this.api.putRecordBatch(
              this.config.delivery_stream,
              pending.map((r) => r.data),
              attemptSignal,
            );
          } catch (error) {
            const failure = classifyCallError(error);
            slot.release(failure.kind === "throttled" ? "throttled" : "other");
            this.apiCalls.inc({ output: this.name, outcome: failure.kind });
            if (failure.kind === "throttled") this.throttles.inc({ output: this.name });
            for (const record of pending) lastFailure.set(record, failure);
            throw error;
          }
          // Abandoned by an abort: the caller has answered these events already.
          if (attemptSignal.aborted) {
            slot.release("other");
            throw attemptSignal.reason;
          }
          const settled = this.settle(pending, answer, outcomes, lastFailure);
          slot.release(settled.throttled ? "throttled" : settled.pending.length > 0 ? "other" : "success");
          this.apiCalls.inc({ output: this.name, outcome: settled.pending.length > 0 ? "partial" : "ok" });
          if (settled.throttled) this.throttles.inc({ output: this.name });
          pending = settled.pending;
          if (pending.length > 0)
            throw new RecordsFailedError(pending.length, settled.throttled, settled.last!);
        },
        {
          ...this.retryOptions,
          ...(signal ? { signal } : {}),
          classify: (error) => {
            if (error instanceof RecordsFailedError) {
              return error.throttled ? { kind: "throttled" } : { kind: "retryable" };
            }
            return toRetryClass(classifyCallError(error));
          },
        },
      );
    } catch (error) {
      this.answerFailure(pending, outcomes, error, lastFailure, signal);
    }
  }

  /**
   * Answers the records of one response: accepted ones, and ones refused for good, are settled;
   * the rest stay pending. A response whose list does not line up with the request says nothing
   * per record: with `FailedPutCount: 0` every record was stored, otherwise all are resent
   * (duplicates are harmless downstream, losses are not).
   */
  private settle(
    sent: PackedRecord[],
    answer: PutRecordBatchAnswer,
    outcomes: Array<ItemOutcome | undefined>,
    lastFailure: Map<PackedRecord, Failure>,
  ): Settled {
    const answers =
      answer.records ??
      sent.map(() =>
        answer.failedPutCount === 0
          ? { ok: true as const, recordId: "" }
          : {
              ok: false as const,
              errorCode: "MalformedResponse",
              errorMessage: `PutRecordBatch answered ${answer.failedPutCount ?? "an unknown number of"} failures without per-record results`,
            },
      );
    const pending: PackedRecord[] = [];
    let throttled = false;
    let last: Failure | undefined;
    let records = 0;
    let events = 0;
    sent.forEach((record, i) => {
      const result = answers[i]!;
      if (result.ok) {
        for (const index of record.events) outcomes[index] = { status: "accepted" };
        lastFailure.delete(record);
        records++;
        events += record.events.length;
        return;
      }
      const failure = classifyRecordError(result.errorCode, result.errorMessage);
      this.recordFailures.inc({ output: this.name, code: labelCode(result.errorCode) });
      if (failure.kind === "permanent") {
        const outcome: ItemOutcome = {
          status: "rejected",
          code: failure.code,
          reason: `Firehose refused the record: ${failure.name}: ${failure.message}`,
        };
        for (const index of record.events) outcomes[index] = outcome;
        this.rejected.inc({ output: this.name, code: failure.code }, record.events.length);
        lastFailure.delete(record);
        return;
      }
      if (failure.kind === "throttled") throttled = true;
      lastFailure.set(record, failure);
      last = failure;
      pending.push(record);
    });
    if (records > 0) this.recordsSent.inc({ output: this.name }, records);
    if (events > 0) this.eventsSent.inc({ output: this.name }, events);
    return { pending, throttled, last };
  }

  /** Answers the events of records still pending when the retry loop ended without success. */
  private answerFailure(
    pending: PackedRecord[],
    outcomes: Array<ItemOutcome | undefined>,
    error: unknown,
    lastFailure: Map<PackedRecord, Failure>,
    signal: AbortSignal | undefined,
  ): void {
    if (pending.length === 0) return;
    const eventCount = pending.reduce((sum, r) => sum + r.events.length, 0);
    if (signal?.aborted) {
      for (const record of pending) {
        for (const index of record.events) {
          outcomes[index] = { status: "retryable", reason: "delivery was cancelled" };
        }
      }
      this.retryable.inc({ output: this.name }, eventCount);
      return;
    }
    const exhausted = error instanceof RetryExhaustedError ? error : undefined;
    const callFailure =
      error instanceof RecordsFailedError || exhausted ? undefined : classifyCallError(error);
    let rejectedEvents = 0;
    let retryableEvents = 0;
    for (const record of pending) {
      const failure = lastFailure.get(record) ?? callFailure ?? classifyCallError(exhausted?.cause ?? error);
      let outcome: ItemOutcome;
      if (failure.kind === "permanent" && !exhausted) {
        outcome = { status: "rejected", code: failure.code, reason: `${failure.name}: ${failure.message}` };
        rejectedEvents += record.events.length;
        this.rejected.inc({ output: this.name, code: failure.code }, record.events.length);
      } else {
        const budget = exhausted
          ? ` (gave up after ${exhausted.attempts} attempt${exhausted.attempts === 1 ? "" : "s"} in ${Math.round(exhausted.elapsedMs)} ms)`
          : "";
        const reason = `${failure.name}: ${failure.message}${budget}`;
        outcome =
          failure.kind === "throttled"
            ? { status: "retryable", reason, throttled: true }
            : { status: "retryable", reason };
        retryableEvents += record.events.length;
      }
      for (const index of record.events) outcomes[index] = outcome;
    }
    if (retryableEvents > 0) this.retryable.inc({ output: this.name }, retryableEvents);
    const first = lastFailure.get(pending[0]!) ?? callFailure;
    this.log("warn", "firehose delivery failed", {
      stage: "sending",
      code: first?.code ?? "unknown",
      delivery_stream: this.config.delivery_stream,
      records: pending.length,
      events: eventCount,
      rejected_events: rejectedEvents,
      retryable_events: retryableEvents,
      reason: error instanceof Error ? error.message : String(error),
    });
  }
}

/** The Firehose output, as the forwarder wires it. */
export function createFirehoseOutput(config: FirehoseOutputConfig, deps: FirehoseOutputDeps): FirehoseSink {
  return new FirehoseSink(config, deps);
}
