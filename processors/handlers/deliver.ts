import { type Clock, type ErrorClass, type RetryOptions, retry } from "../../core/retry.js";
import type { Sink } from "../../core/stage.js";
import {
  type DeadLetterContext,
  type DeadLetterEntry,
  type DeadLetterSink,
  DeadLetterWriteError,
} from "./dead-letter.js";

/**
 * Delivery within an invocation's time: each sink gets the batch, and then only the items it
 * answered retryable, again and again through the core retry helper until they are accepted,
 * rejected, or the deadline comes. Items a sink rejects are collected for the dead-letter
 * location. What is still retryable at the deadline is reported, and the handler then fails the
 * invocation so Lambda delivers the whole batch again.
 */

export interface DeliveryTiming {
  clock: Clock;
  random?: (() => number) | undefined;
  /** Clock time after which no new attempt starts. */
  retryUntil: number;
  /** Aborts writes still in flight (the hard stop before the invocation's end). */
  signal: AbortSignal;
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * The retry settings that keep resending until the invocation's deadline: attempts are
 * unbounded, time is not; throttling waits at least a second, or the whole backoff if shorter.
 */
export function retryUntilDeadline(
  timing: DeliveryTiming,
  classify: (error: unknown) => ErrorClass,
): RetryOptions {
  return {
    classify,
    clock: timing.clock,
    ...(timing.random ? { random: timing.random } : {}),
    signal: timing.signal,
    maxAttempts: Number.POSITIVE_INFINITY,
    maxElapsedMs: Math.max(0, timing.retryUntil - timing.clock.now()),
    initialDelayMs: timing.initialDelayMs,
    maxDelayMs: Math.max(timing.initialDelayMs, timing.maxDelayMs),
    throttleMinDelayMs: Math.min(1_000, timing.maxDelayMs),
  };
}

export interface RejectedItem {
  index: number;
  code: string;
  reason: string;
}

export interface SinkReport {
  sink: string;
  accepted: number;
  rejected: RejectedItem[];
  /** Items still answered retryable when time ran out, with the last reason. */
  leftover: { index: number; reason: string }[];
  /** Batch positions sent on each attempt, in order (the first attempt sends every item). */
  attempts: number[][];
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
    super(`${count} item${count === 1 ? "" : "s"} answered retryable: ${sample}`);
  }
}

function classifyPending(error: unknown): ErrorClass {
  if (!(error instanceof PendingItemsError)) return { kind: "permanent" };
  if (!error.throttled) return { kind: "retryable" };
  return error.retryAfterMs !== undefined
    ? { kind: "throttled", retryAfterMs: error.retryAfterMs }
    : { kind: "throttled" };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Delivers `items` to one sink within the timing; never throws. */
export async function deliverToSink<T>(
  sink: Sink<T>,
  items: readonly T[],
  timing: DeliveryTiming,
): Promise<SinkReport> {
  const report: SinkReport = { sink: sink.name, accepted: 0, rejected: [], leftover: [], attempts: [] };
  let pending = items.map((_, i) => i);
  const lastReason = new Map<number, string>();
  let failure: unknown;
  try {
    await retry(
      async (_n, signal) => {
        report.attempts.push(pending);
        let outcomes: Awaited<ReturnType<Sink<T>["write"]>>;
        try {
          outcomes = await sink.write(
            pending.map((i) => items[i]!),
            signal,
          );
        } catch (error) {
          // The contract is an answer per item; a throw is unexpected, so every item stays pending.
          if (signal.aborted) throw error;
          const reason = `${sink.name} write failed: ${describe(error)}`;
          for (const i of pending) lastReason.set(i, reason);
          throw new PendingItemsError(pending.length, false, undefined, reason);
        }
        const still: number[] = [];
        let throttled = false;
        let hint: number | undefined;
        pending.forEach((index, k) => {
          const outcome = outcomes[k];
          if (outcome === undefined) {
            still.push(index);
            lastReason.set(index, `${sink.name} gave no answer for this item`);
          } else if (outcome.status === "accepted") report.accepted++;
          else if (outcome.status === "rejected")
            report.rejected.push({ index, code: outcome.code, reason: outcome.reason });
          else {
            still.push(index);
            lastReason.set(index, outcome.reason);
            throttled ||= outcome.throttled === true;
            if (outcome.retryAfterMs !== undefined) hint = Math.max(hint ?? 0, outcome.retryAfterMs);
          }
        });
        pending = still;
        if (still.length > 0)
          throw new PendingItemsError(
            still.length,
            throttled,
            hint,
            lastReason.get(still[0]!) ?? "retryable",
          );
      },
      retryUntilDeadline(timing, classifyPending),
    );
  } catch (error) {
    failure = error;
  }
  report.leftover = pending.map((index) => ({
    index,
    reason: lastReason.get(index) ?? (failure === undefined ? "not delivered" : describe(failure)),
  }));
  return report;
}

/**
 * Writes dead letters, retrying what the writer calls retryable until `retryUntil`; throws the
 * last error when they cannot be stored (the handler then fails the invocation, so the batch is
 * processed again rather than its dead letters lost).
 */
export async function writeDeadLetters(
  sink: DeadLetterSink,
  entries: readonly DeadLetterEntry[],
  context: DeadLetterContext,
  timing: Omit<DeliveryTiming, "signal">,
): Promise<void> {
  if (entries.length === 0) return;
  const signal = context.signal ?? new AbortController().signal;
  await retry(
    () => sink.write(entries, { ...context, signal }),
    retryUntilDeadline({ ...timing, signal }, (error) => {
      if (!(error instanceof DeadLetterWriteError) || !error.retryable) return { kind: "permanent" };
      return error.throttled ? { kind: "throttled" } : { kind: "retryable" };
    }),
  );
}
