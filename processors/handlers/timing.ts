import type { Clock } from "../../core/retry.js";

export type { Logger, LogLevel } from "../../core/log.js";

/**
 * How much of the invocation's remaining time is kept back from retrying: 10% of it, but at
 * least 5 s (or half the time, for very short functions). That reserve pays for writing dead
 * letters and failing the invocation cleanly before Lambda stops it mid-write.
 */
export function defaultSafetyMarginMs(remainingMs: number): number {
  return Math.max(remainingMs * 0.1, Math.min(5_000, remainingMs * 0.5));
}

export interface InvocationDeadlines {
  /** Clock time after which no sink retry starts. */
  retryUntil: number;
  /** Clock time after which no dead-letter or re-ingest retry starts. */
  finishUntil: number;
  /** Aborts sink writes still in flight at `retryUntil`. */
  sinkSignal: AbortSignal;
  /** Aborts the last writes shortly before Lambda would stop the function. */
  finishSignal: AbortSignal;
}

/**
 * Deadlines of one invocation, from the time Lambda says is left. The budgets are measured on
 * the injected clock; the abort signals use real timers, because they guard real I/O.
 */
export function invocationDeadlines(
  clock: Clock,
  remainingMs: number,
  marginMs: number = defaultSafetyMarginMs(remainingMs),
): InvocationDeadlines {
  const now = clock.now();
  const remaining = Number.isFinite(remainingMs) && remainingMs > 0 ? remainingMs : 0;
  const margin = Math.min(Math.max(0, marginMs), remaining);
  const retryIn = remaining - margin;
  const finishIn = remaining - margin / 4;
  return {
    retryUntil: now + retryIn,
    finishUntil: now + remaining - margin / 2,
    sinkSignal: AbortSignal.timeout(Math.max(1, Math.floor(retryIn))),
    finishSignal: AbortSignal.timeout(Math.max(1, Math.floor(finishIn))),
  };
}
