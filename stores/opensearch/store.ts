import type { Client } from "@opensearch-project/opensearch";
import type { LogEvent } from "../../core/event/schema.js";
import { InFlightWrites } from "../../core/in-flight.js";
import type { Logger } from "../../core/log.js";
import type { Counter, Histogram, MetricsRegistry } from "../../core/metrics.js";
import {
  type Clock,
  type ErrorClass,
  RetryExhaustedError,
  type RetryOptions,
  retry,
  retryOptionsFromPolicy,
} from "../../core/retry.js";
import type { ItemOutcome, Sink } from "../../core/stage.js";
import {
  type BulkItem,
  type BulkOpType,
  bodyBytes,
  buildBulkItems,
  chunkBulk,
  renderBulkBody,
  splitInHalf,
} from "./bulk.js";
import {
  classifyBulkResponse,
  classifyRequestError,
  type ItemVerdict,
  type RequestFailure,
  verdictForFailure,
} from "./classify.js";
import { createOpenSearchClient, OpenSearchApi, type OpenSearchClientDeps } from "./client.js";
import { effectiveOpType, type OpenSearchStoreConfig } from "./config.js";

export const STORE_NAME = "opensearch";

export type { Logger, LogLevel } from "../../core/log.js";

export interface OpenSearchStoreDeps extends OpenSearchClientDeps {
  /** The client; built from the config when absent (and then closed by `shutdown`). */
  client?: Client;
  metrics: MetricsRegistry;
  log?: Logger;
  /** Clock and jitter source of the retry loop, so tests need not wait out backoffs. */
  clock?: Clock;
  random?: () => number;
}

/** Thrown inside the retry loop while some items still wait for a resend. */
export class PendingItemsError extends Error {
  override name = "PendingItemsError";
  constructor(
    readonly count: number,
    readonly throttled: boolean,
    readonly retryAfterMs: number | undefined,
    readonly sample: string,
  ) {
    super(`${count} item${count === 1 ? "" : "s"} not written yet: ${sample}`);
  }
}

type RetryVerdict = Extract<ItemVerdict, { kind: "retry" }>;

const BYTE_BUCKETS = [16_384, 262_144, 1_048_576, 5_000_000, 10_000_000, 15_000_000];

/**
 * Writes LogEvents to OpenSearch with `_bulk`; the event id is the `_id`, so a resent event is
 * never a second document. A write is cut into bodies of at most `max_bulk_bytes`. Every item
 * is judged from the bulk response: written (a 409 on `create` counts, the event is already
 * there), refused for good (mapping errors and other 4xx, never resent), or failed for now (429,
 * rejected execution, circuit breaker, 5xx). Only the last kind is resent, and only those
 * items, with backoff through the core retry helper within `retry.max_elapsed_ms`; what is still
 * failing then is answered retryable. A request answered 413 is split in half and the halves
 * sent on their own, down to a single event, which is then rejected as too large.
 */
export class OpenSearchStore implements Sink<LogEvent> {
  readonly name = STORE_NAME;
  private readonly api: OpenSearchApi;
  private readonly ownsClient: boolean;
  private readonly opType: BulkOpType;
  private readonly log: Logger;
  private readonly retryOptions: Omit<RetryOptions, "classify" | "signal">;
  private readonly inFlight = new InFlightWrites("opensearch store");
  private shutdownDone: Promise<void> | undefined;

  private readonly written: Counter;
  private readonly rejected: Counter;
  private readonly retryable: Counter;
  private readonly requests: Counter;
  private readonly splits: Counter;
  private readonly resent: Counter;
  private readonly retries: Counter;
  private readonly requestBytes: Histogram;

  constructor(
    private readonly config: OpenSearchStoreConfig,
    deps: OpenSearchStoreDeps,
  ) {
    this.ownsClient = deps.client === undefined;
    this.api = new OpenSearchApi(deps.client ?? createOpenSearchClient(config, deps));
    this.opType = effectiveOpType(config);
    this.log = deps.log ?? (() => {});
    this.retryOptions = {
      ...retryOptionsFromPolicy(config.retry),
      ...(deps.clock ? { clock: deps.clock } : {}),
      ...(deps.random ? { random: deps.random } : {}),
      onRetry: (info) => this.retries.inc({ kind: info.kind }),
    };

    const m = deps.metrics;
    const p = "logpipe_opensearch";
    this.written = m.counter(
      `${p}_events_written_total`,
      "Events OpenSearch holds, by result (created, updated, exists)",
    );
    this.rejected = m.counter(
      `${p}_events_rejected_total`,
      "Events answered rejected (dead-lettered), by code",
    );
    this.retryable = m.counter(
      `${p}_events_retryable_total`,
      "Events handed back for a later resend after the retry budget ran out",
    );
    this.requests = m.counter(`${p}_bulk_requests_total`, "_bulk requests, by outcome");
    this.splits = m.counter(`${p}_bulk_splits_total`, "_bulk requests split in half after a 413 answer");
    this.resent = m.counter(`${p}_items_resent_total`, "Bulk items sent again after a retryable failure");
    this.retries = m.counter(`${p}_retries_total`, "Retry waits, by kind (retryable, throttled)");
    this.requestBytes = m.histogram(`${p}_bulk_bytes`, "Bytes per _bulk request body", BYTE_BUCKETS);
  }

  async start(): Promise<void> {}

  /** Waits for writes in flight; later writes answer every event retryable. Idempotent. */
  shutdown(): Promise<void> {
    this.shutdownDone ??= (async () => {
      await this.inFlight.close();
      if (this.ownsClient) await this.api.close();
    })();
    return this.shutdownDone;
  }

  write(batch: readonly LogEvent[], signal?: AbortSignal): Promise<ItemOutcome[]> {
    return this.inFlight.run(batch.length, () => this.deliver(batch, signal));
  }

  private async deliver(batch: readonly LogEvent[], signal: AbortSignal | undefined): Promise<ItemOutcome[]> {
    const outcomes: Array<ItemOutcome | undefined> = new Array(batch.length).fill(undefined);
    const built = buildBulkItems(batch, {
      prefix: this.config.index_prefix,
      dataStream: this.config.data_stream,
      opType: this.opType,
    });
    for (const { index, code, reason } of built.rejected)
      this.answer(outcomes, index, { kind: "rejected", code, reason });

    let pending: BulkItem[] = built.items;
    const last = new Map<BulkItem, RetryVerdict>();
    let attempts = 0;
    try {
      await retry(
        async (_n, attemptSignal) => {
          if (attempts++ > 0) this.resent.inc({}, pending.length);
          const verdicts = await this.sendAll(pending, attemptSignal);
          const still: BulkItem[] = [];
          let throttled = false;
          let hint: number | undefined;
          pending.forEach((item, i) => {
            const verdict = verdicts[i]!;
            if (verdict.kind === "retry") {
              still.push(item);
              last.set(item, verdict);
              throttled ||= verdict.throttled;
              if (verdict.retryAfterMs !== undefined) hint = Math.max(hint ?? 0, verdict.retryAfterMs);
            } else {
              this.answer(outcomes, item.index, verdict);
            }
          });
          pending = still;
          if (still.length > 0) {
            throw new PendingItemsError(still.length, throttled, hint, last.get(still[0]!)!.reason);
          }
        },
        { ...this.retryOptions, ...(signal ? { signal } : {}), classify: classifyPending },
      );
    } catch (error) {
      this.giveUp(pending, last, outcomes, error, signal);
    }
    return outcomes.map((o) => o ?? { status: "retryable", reason: "no answer for this event" });
  }

  /**
   * One attempt over the pending items: bodies of at most `max_bulk_bytes`, in order. When a
   * whole body fails for a reason that would fail the next ones too (throttling, a network or
   * server failure), the rest are not sent in this attempt and wait for the backoff with it.
   */
  private async sendAll(items: readonly BulkItem[], signal: AbortSignal): Promise<ItemVerdict[]> {
    const verdicts: ItemVerdict[] = [];
    let stop: ItemVerdict | undefined;
    for (const chunk of chunkBulk(items, this.config.max_bulk_bytes)) {
      if (stop) {
        for (const _ of chunk) verdicts.push(stop);
        continue;
      }
      const answer = await this.send(chunk, signal);
      verdicts.push(...answer.verdicts);
      if (answer.failure && (answer.failure.kind === "throttled" || answer.failure.kind === "transient")) {
        stop = verdictForFailure(answer.failure);
      }
    }
    return verdicts;
  }

  /** Sends one body; on 413 sends its halves instead (recursively). */
  private async send(
    items: readonly BulkItem[],
    signal: AbortSignal,
  ): Promise<{ verdicts: ItemVerdict[]; failure?: RequestFailure }> {
    const bytes = bodyBytes(items);
    this.requestBytes.observe(bytes);
    let body: unknown;
    try {
      body = await this.api.bulk(renderBulkBody(items), signal);
    } catch (error) {
      if (signal.aborted) throw error;
      const failure = classifyRequestError(error);
      this.requests.inc({ outcome: failure.kind });
      if (failure.kind === "too_large" && items.length > 1) {
        this.splits.inc();
        const [left, right] = splitInHalf(items);
        const a = await this.send(left, signal);
        const b = await this.send(right, signal);
        return { verdicts: [...a.verdicts, ...b.verdicts] };
      }
      if (failure.kind !== "throttled" && failure.kind !== "transient") {
        this.log("warn", "opensearch bulk request refused", {
          stage: "sending",
          code: failure.kind === "permanent" ? failure.code : failure.kind,
          items: items.length,
          bytes,
          reason: failure.message,
        });
      }
      const verdict =
        failure.kind === "too_large"
          ? {
              kind: "rejected" as const,
              code: "too_large",
              reason: `the event alone (${bytes} bytes as a bulk item) is larger than OpenSearch accepts: ${failure.message}`,
            }
          : verdictForFailure(failure);
      return { verdicts: items.map(() => verdict), failure };
    }
    this.requests.inc({ outcome: "ok" });
    return { verdicts: classifyBulkResponse(this.opType, items.length, body) };
  }

  private answer(outcomes: Array<ItemOutcome | undefined>, index: number, verdict: ItemVerdict): void {
    switch (verdict.kind) {
      case "accepted":
        outcomes[index] = { status: "accepted" };
        this.written.inc({ result: verdict.result });
        return;
      case "rejected":
        outcomes[index] = { status: "rejected", code: verdict.code, reason: verdict.reason };
        this.rejected.inc({ code: verdict.code });
        return;
      case "retry":
        outcomes[index] = {
          status: "retryable",
          reason: verdict.reason,
          ...(verdict.throttled ? { throttled: true } : {}),
          ...(verdict.retryAfterMs !== undefined ? { retryAfterMs: verdict.retryAfterMs } : {}),
        };
        this.retryable.inc();
        return;
    }
  }

  /** Items still pending when the loop ends (budget spent, cancelled, or a bug) are answered retryable. */
  private giveUp(
    pending: readonly BulkItem[],
    last: Map<BulkItem, RetryVerdict>,
    outcomes: Array<ItemOutcome | undefined>,
    error: unknown,
    signal: AbortSignal | undefined,
  ): void {
    if (pending.length === 0) return;
    const cancelled = signal?.aborted === true;
    const budget = error instanceof RetryExhaustedError ? ` (${error.message.split(":")[0]})` : "";
    if (!cancelled && !(error instanceof RetryExhaustedError)) {
      this.log("error", "opensearch write failed unexpectedly", {
        stage: "sending",
        code: "unexpected",
        items: pending.length,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
    for (const item of pending) {
      const verdict = last.get(item);
      if (cancelled) {
        this.answer(outcomes, item.index, {
          kind: "retry",
          reason: "delivery was cancelled",
          throttled: false,
        });
      } else if (verdict) {
        this.answer(outcomes, item.index, { ...verdict, reason: `${verdict.reason}${budget}` });
      } else {
        const reason = error instanceof Error ? error.message : String(error);
        this.answer(outcomes, item.index, { kind: "retry", reason, throttled: false });
      }
    }
    if (!cancelled) {
      this.log("warn", "opensearch items left for a later resend", {
        stage: "sending",
        code: "retry_exhausted",
        items: pending.length,
        reason: last.get(pending[0]!)?.reason,
      });
    }
  }
}

function classifyPending(error: unknown): ErrorClass {
  if (!(error instanceof PendingItemsError)) return { kind: "permanent" };
  if (!error.throttled) return { kind: "retryable" };
  return error.retryAfterMs !== undefined
    ? { kind: "throttled", retryAfterMs: error.retryAfterMs }
    : { kind: "throttled" };
}

/** The OpenSearch store, as processors wire it. */
export function createOpenSearchStore(
  config: OpenSearchStoreConfig,
  deps: OpenSearchStoreDeps,
): OpenSearchStore {
  return new OpenSearchStore(config, deps);
}
