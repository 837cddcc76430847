import { hostname } from "node:os";
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { type ByteWriter, ByteWriterPool } from "../../../core/bytes.js";
import type { LogEvent } from "../../../core/event/schema.js";
import { InFlightWrites } from "../../../core/in-flight.js";
import type { Logger } from "../../../core/log.js";
import type { Counter, Gauge, Histogram } from "../../../core/metrics.js";
import { RetryExhaustedError, type RetryOptions, retry } from "../../../core/retry.js";
import type { ItemOutcome, Sink } from "../../../core/stage.js";
import { AdaptiveConcurrency } from "../concurrency.js";
import { type AwsOutputDeps, outputRetryOptions } from "../sdk-client.js";
import { type CallFailure, classifyFailure, toRetryClass } from "./classify.js";
import {
  CloudWatchLogsApi,
  createCloudWatchLogsClient,
  putLogEventsBody,
  type RejectedLogEventsInfo,
} from "./client.js";
import type { CloudWatchLogsOutputConfig } from "./config.js";
import { buildRequests } from "./request-builder.js";
import { compileTemplate, type NameTemplate } from "./template.js";

export const OUTPUT_NAME = "cloudwatch_logs";

export type { Logger, LogLevel } from "../../../core/log.js";

export interface CloudWatchLogsOutputDeps extends AwsOutputDeps<CloudWatchLogsClient> {
  /** Value of `{host}` for events without one, unless the config sets it; the machine's hostname by default. */
  hostname?: string;
}

/** One PutLogEvents call ready to send (see `prepare`). */
interface ReadyRequest {
  group: string;
  stream: string;
  /** Holds the request body; back to the pool once the request is finished. */
  writer: ByteWriter;
  /** Request size as CloudWatch Logs counts it. */
  bytes: number;
  /** Per event, in request order: its position in the write batch. */
  indexes: Int32Array;
}

const ACCEPTED: ItemOutcome = Object.freeze({ status: "accepted" });

const EVENT_BUCKETS = [1, 10, 100, 500, 1000, 2500, 5000, 10_000];
const BYTE_BUCKETS = [1024, 16_384, 65_536, 262_144, 524_288, 1_048_576];

/**
 * Sends LogEvents to CloudWatch Logs, one log event per LogEvent (its JSON). A `write` becomes a
 * set of PutLogEvents requests (see `request-builder.ts`) sent in parallel under an adaptive
 * concurrency limit; each request is retried on its own within the retry budget, so one
 * throttled stream never resends another stream's events. Every event is answered: accepted,
 * rejected (too old, too new, expired, too large, or refused by the service) or retryable.
 */
export class CloudWatchLogsSink implements Sink<LogEvent> {
  readonly name = OUTPUT_NAME;
  private readonly api: CloudWatchLogsApi;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly logGroup: NameTemplate;
  private readonly logStream: NameTemplate;
  private readonly limiter: AdaptiveConcurrency;
  private readonly retryOptions: Omit<RetryOptions, "classify" | "signal">;
  private readonly groupsReady = new Map<string, Promise<void>>();
  private readonly streamsReady = new Map<string, Promise<void>>();
  private readonly inFlight = new InFlightWrites("cloudwatch_logs output");
  private readonly bodies = new ByteWriterPool();

  private readonly sent: Counter;
  private readonly rejected: Counter;
  private readonly retryable: Counter;
  private readonly truncated: Counter;
  private readonly apiCalls: Counter;
  private readonly throttles: Counter;
  private readonly retries: Counter;
  private readonly batchEvents: Histogram;
  private readonly batchBytes: Histogram;
  private readonly concurrency: Gauge;

  constructor(
    private readonly config: CloudWatchLogsOutputConfig,
    deps: CloudWatchLogsOutputDeps,
  ) {
    this.api = new CloudWatchLogsApi(deps.client ?? createCloudWatchLogsClient(config));
    this.now = deps.now ?? Date.now;
    this.log = deps.log ?? (() => {});
    const defaults = { ...config.template_defaults };
    defaults.host ??= deps.hostname ?? hostname();
    this.logGroup = compileTemplate("group", config.log_group, defaults);
    this.logStream = compileTemplate("stream", config.log_stream, defaults);
    this.retryOptions = outputRetryOptions(config.retry, deps, ({ kind }) =>
      this.retries.inc({ output: this.name, kind }),
    );

    const m = deps.metrics;
    const p = "logpipe_cloudwatch_logs";
    this.sent = m.counter(`${p}_events_sent_total`, "Events CloudWatch Logs accepted");
    this.rejected = m.counter(
      `${p}_events_rejected_total`,
      "Events answered rejected (dead-lettered), by code",
    );
    this.retryable = m.counter(
      `${p}_events_retryable_total`,
      "Events handed back for a later resend after the retry budget ran out",
    );
    this.truncated = m.counter(
      `${p}_events_truncated_total`,
      "Events shortened to fit the event size cap, by part",
    );
    this.apiCalls = m.counter(`${p}_api_calls_total`, "CloudWatch Logs API calls, by operation and outcome");
    this.throttles = m.counter(`${p}_throttles_total`, "Calls CloudWatch Logs throttled");
    this.retries = m.counter(`${p}_retries_total`, "Request retries, by kind (retryable, throttled)");
    this.batchEvents = m.histogram(`${p}_batch_events`, "Events per PutLogEvents request", EVENT_BUCKETS);
    this.batchBytes = m.histogram(
      `${p}_batch_bytes`,
      "Bytes per PutLogEvents request (messages plus 26 per event)",
      BYTE_BUCKETS,
    );
    this.concurrency = m.gauge(`${p}_concurrency`, "Current limit on concurrent PutLogEvents calls");
    this.limiter = new AdaptiveConcurrency(config.min_concurrency, config.max_concurrency, (limit) =>
      this.concurrency.set(limit, { output: this.name }),
    );
  }

  /** The current adaptive limit on concurrent PutLogEvents calls. */
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
    const requests = this.prepare(batch, outcomes);
    await Promise.all(requests.map((request) => this.send(request, batch, signal, outcomes)));
    return outcomes.map((o) => o ?? { status: "retryable", reason: "no answer for this event" });
  }

  /**
   * Builds the batch's requests and answers the events refused before sending. Each request
   * keeps its body and, per event, only what answering needs: the encoded messages become
   * garbage before the call goes out instead of living through it (and through every young
   * collection while it is in flight).
   */
  private prepare(batch: readonly LogEvent[], outcomes: Array<ItemOutcome | undefined>): ReadyRequest[] {
    const built = buildRequests(batch, {
      logGroup: this.logGroup,
      logStream: this.logStream,
      maxEventBytes: this.config.max_event_bytes,
      now: this.now(),
      ...(this.config.retention_days !== undefined ? { retentionDays: this.config.retention_days } : {}),
    });
    for (const [index, { code, reason }] of built.rejected) {
      outcomes[index] = { status: "rejected", code, reason };
      this.rejected.inc({ output: this.name, code });
    }
    if (built.truncated.message > 0)
      this.truncated.inc({ output: this.name, part: "message" }, built.truncated.message);
    if (built.truncated.attrs > 0)
      this.truncated.inc({ output: this.name, part: "attrs" }, built.truncated.attrs);
    return built.requests.map((request) => {
      const writer = this.bodies.writer();
      putLogEventsBody(request.logGroupName, request.logStreamName, request.events, writer);
      const indexes = Int32Array.from(request.events, (event) => event.index);
      return {
        group: request.logGroupName,
        stream: request.logStreamName,
        writer,
        bytes: request.bytes,
        indexes,
      };
    });
  }

  /** Sends one request with retries and answers each of its events (of `batch`) in `outcomes`. */
  private async send(
    request: ReadyRequest,
    batch: readonly LogEvent[],
    signal: AbortSignal | undefined,
    outcomes: Array<ItemOutcome | undefined>,
  ): Promise<void> {
    const { group, stream } = request;
    this.batchEvents.observe(request.indexes.length, { output: this.name });
    this.batchBytes.observe(request.bytes, { output: this.name });
    let last: CallFailure | undefined;
    let info: RejectedLogEventsInfo | undefined;
    try {
      info = await retry(
        async (_attempt, attemptSignal) => {
          if (this.config.create_missing) await this.ensureStream(group, stream);
          const slot = await this.limiter.acquire(attemptSignal);
          try {
            const answer = await this.call("PutLogEvents", () =>
              this.api.putLogEvents(request.writer.bytes(), attemptSignal),
            );
            slot.release("success");
            return answer;
          } catch (error) {
            const failure = classifyFailure(error);
            slot.release(failure.kind === "throttled" ? "throttled" : "other");
            if (failure.kind === "not_found") this.forget(group, stream);
            throw error;
          }
        },
        {
          ...this.retryOptions,
          ...(signal ? { signal } : {}),
          classify: (error) => {
            last = classifyFailure(error);
            return toRetryClass(last, this.config.create_missing);
          },
        },
      );
    } catch (error) {
      this.answerFailure(request, outcomes, error, last, signal);
      return;
    } finally {
      this.bodies.release(request.writer);
    }
    this.answerSuccess(request, batch, outcomes, info);
  }

  /**
   * Maps `rejectedLogEventsInfo` (indexes into the request's sorted events) back to the caller's
   * events. `tooOldLogEventEndIndex` is exclusive and `tooNewLogEventStartIndex` inclusive, as
   * documented; `expiredLogEventEndIndex` is read like the too-old index, as a count of leading
   * events.
   */
  private answerSuccess(
    request: ReadyRequest,
    batch: readonly LogEvent[],
    outcomes: Array<ItemOutcome | undefined>,
    info: RejectedLogEventsInfo | undefined,
  ): void {
    const n = request.indexes.length;
    const clamp = (value: number | undefined, fallback: number) =>
      value === undefined || !Number.isInteger(value) ? fallback : Math.min(n, Math.max(0, value));
    const tooOldEnd = clamp(info?.tooOldLogEventEndIndex, 0);
    const expiredEnd = clamp(info?.expiredLogEventEndIndex, 0);
    const tooNewStart = clamp(info?.tooNewLogEventStartIndex, n);
    let accepted = 0;
    const { indexes } = request;
    for (let i = 0; i < n; i++) {
      if (i >= tooOldEnd && i >= expiredEnd && i < tooNewStart) {
        outcomes[indexes[i]!] = ACCEPTED;
        accepted++;
        continue;
      }
      const time = batch[indexes[i]!]!["@timestamp"];
      let outcome: ItemOutcome & { status: "rejected" };
      if (i < tooOldEnd) {
        outcome = {
          status: "rejected",
          code: "too_old",
          reason: `CloudWatch Logs rejected the event as too old (${time})`,
        };
      } else if (i < expiredEnd) {
        outcome = {
          status: "rejected",
          code: "expired",
          reason: `CloudWatch Logs rejected the event as older than the log group's retention (${time})`,
        };
      } else {
        outcome = {
          status: "rejected",
          code: "too_new",
          reason: `CloudWatch Logs rejected the event as too new (${time})`,
        };
      }
      this.rejected.inc({ output: this.name, code: outcome.code });
      outcomes[indexes[i]!] = outcome;
    }
    this.sent.inc({ output: this.name }, accepted);
  }

  private answerFailure(
    request: ReadyRequest,
    outcomes: Array<ItemOutcome | undefined>,
    error: unknown,
    last: CallFailure | undefined,
    signal: AbortSignal | undefined,
  ): void {
    const where = `${request.group} / ${request.stream}`;
    let outcome: ItemOutcome;
    if (signal?.aborted) {
      outcome = { status: "retryable", reason: "delivery was cancelled" };
    } else {
      const failure = last ?? classifyFailure(error);
      const exhausted = error instanceof RetryExhaustedError;
      if (exhausted || failure.kind === "throttled" || failure.kind === "transient") {
        const reason = exhausted ? error.message : failure.message;
        outcome =
          failure.kind === "throttled"
            ? { status: "retryable", reason, throttled: true }
            : { status: "retryable", reason };
      } else if (failure.kind === "not_found") {
        outcome = {
          status: "retryable",
          reason: `${where} does not exist and create_missing is off: ${failure.message}`,
        };
      } else {
        outcome = { status: "rejected", code: failure.code, reason: failure.message };
      }
      this.log("warn", "cloudwatch_logs request failed", {
        stage: "sending",
        code: failure.code,
        log_group: request.group,
        log_stream: request.stream,
        events: request.indexes.length,
        outcome: outcome.status,
        reason: outcome.reason,
      });
    }
    for (const index of request.indexes) outcomes[index] = outcome;
    if (outcome.status === "rejected") {
      this.rejected.inc({ output: this.name, code: outcome.code }, request.indexes.length);
    } else {
      this.retryable.inc({ output: this.name }, request.indexes.length);
    }
  }

  /** Runs one API call and counts it by outcome. */
  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      const result = await run();
      this.apiCalls.inc({ output: this.name, operation, outcome: "ok" });
      return result;
    } catch (error) {
      const failure = classifyFailure(error);
      this.apiCalls.inc({ output: this.name, operation, outcome: failure.kind });
      if (failure.kind === "throttled") this.throttles.inc({ output: this.name, operation });
      throw error;
    }
  }

  // ---- log groups and streams ---------------------------------------------------------------

  /**
   * Creates the group (with tags and retention) and the stream once; concurrent requests for a
   * new stream share one creation. A failed creation is forgotten, so the next attempt tries
   * again. Creation runs without the caller's signal because other requests may be waiting on it.
   */
  private ensureStream(group: string, stream: string): Promise<void> {
    const key = `${group}\u0000${stream}`;
    return this.once(this.streamsReady, key, async () => {
      await this.ensureGroup(group);
      await this.tolerate("CreateLogStream", () => this.api.createLogStream(group, stream), {
        group,
        stream,
      });
    });
  }

  private ensureGroup(group: string): Promise<void> {
    return this.once(this.groupsReady, group, async () => {
      const created = await this.tolerate(
        "CreateLogGroup",
        () => this.api.createLogGroup(group, this.config.tags),
        {
          group,
        },
      );
      if (created) this.log("info", "created CloudWatch Logs group", { log_group: group });
      const days = this.config.retention_days;
      if (days !== undefined) {
        await this.tolerate("PutRetentionPolicy", () => this.api.putRetentionPolicy(group, days), { group });
      }
    });
  }

  /**
   * Runs a creation call. "Already exists" is success; "access denied" is logged and passed over,
   * since a role may be allowed to write to a group someone else created but not to create one
   * (PutLogEvents then tells whether it exists). True when the call itself succeeded.
   */
  private async tolerate(
    operation: string,
    run: () => Promise<void>,
    fields: Record<string, string>,
  ): Promise<boolean> {
    try {
      await this.call(operation, run);
      return true;
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.kind === "already_exists") return false;
      if (failure.kind === "access_denied") {
        this.log("warn", `${operation} not permitted; assuming the resource is managed elsewhere`, {
          ...fields,
          reason: failure.message,
        });
        return false;
      }
      throw error;
    }
  }

  private once(cache: Map<string, Promise<void>>, key: string, make: () => Promise<void>): Promise<void> {
    let pending = cache.get(key);
    if (!pending) {
      pending = make();
      cache.set(key, pending);
      const settled = pending;
      settled.catch(() => {
        if (cache.get(key) === settled) cache.delete(key);
      });
    }
    return pending;
  }

  /** After ResourceNotFound: the group or stream was deleted, so create both again next time. */
  private forget(group: string, stream: string): void {
    this.groupsReady.delete(group);
    this.streamsReady.delete(`${group}\u0000${stream}`);
  }
}

/** The CloudWatch Logs output, as the forwarder wires it. */
export function createCloudWatchLogsOutput(
  config: CloudWatchLogsOutputConfig,
  deps: CloudWatchLogsOutputDeps,
): CloudWatchLogsSink {
  return new CloudWatchLogsSink(config, deps);
}
