import { setTimeout as sleepTimer } from "node:timers/promises";
import { z } from "zod";

/**
 * The one retry loop of the codebase. Components only classify their errors (retryable,
 * throttled, permanent); this helper owns backoff, jitter, the elapsed-time budget and
 * cancellation, so no component ever sleeps on its own.
 *
 * Partial failures: a sink that must resend only the items that failed (Firehose
 * `FailedPutCount`, CloudWatch `rejectedLogEventsInfo`, OpenSearch bulk item errors) calls
 * `retry` with an attempt function that closes over the items still pending. Each attempt
 * sends just those, removes the ones answered (accepted, or rejected for good and dead-lettered),
 * and throws an error classified as retryable (or throttled) while some remain:
 *
 * ```ts
 * let pending = batch;
 * await retry(async (_n, signal) => {
 *   const answer = await client.send(pending, signal);
 *   pending = pending.filter((_, i) => answer[i] === "retryable");
 *   if (pending.length > 0) throw new PartialFailureError(pending.length);
 * }, { ...retryOptionsFromPolicy(config.retry), classify });
 * ```
 *
 * That way a retried batch never resends what was already accepted.
 */

/** How a component judges one failed attempt. */
export type ErrorClass =
  | { kind: "retryable" }
  /** The service asked to slow down; `retryAfterMs` is its own hint, when it gave one. */
  | { kind: "throttled"; retryAfterMs?: number }
  | { kind: "permanent" };

/** Time source and sleeper, injected so tests run without real waits. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects promptly when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleepTimer(ms, undefined, signal ? { signal } : undefined),
};

/** What `onRetry` learns before each wait, for metrics. */
export interface RetryInfo {
  /** The attempt that just failed (1-based). */
  attempt: number;
  error: unknown;
  kind: "retryable" | "throttled";
  /** How long the loop will now wait. */
  delayMs: number;
  /** Time spent since the first attempt started. */
  elapsedMs: number;
}

export interface RetryOptions {
  classify(error: unknown): ErrorClass;
  /** Total attempts including the first; `Infinity` leaves only the elapsed budget. */
  maxAttempts?: number;
  /** Budget from the first attempt's start; the loop never sleeps past it. */
  maxElapsedMs?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Growth of the backoff cap per attempt. */
  multiplier?: number;
  /**
   * Least wait after a throttled attempt (bounded by `maxDelayMs`), because backing off barely
   * when told to slow down only earns more throttling. A larger server hint wins.
   */
  throttleMinDelayMs?: number;
  signal?: AbortSignal;
  clock?: Clock;
  /** Uniform source in [0, 1); injected so jitter is testable. */
  random?: () => number;
  onRetry?(info: RetryInfo): void;
}

/** Defaults of {@link RetryPolicySchema} and of {@link retry} when an option is left out. */
export const RETRY_DEFAULTS = {
  maxAttempts: 10,
  maxElapsedMs: 300_000,
  initialDelayMs: 200,
  maxDelayMs: 30_000,
  multiplier: 2,
  throttleMinDelayMs: 1_000,
} as const;

/** Thrown when the attempt or time budget runs out; `cause` is the last attempt's error. */
export class RetryExhaustedError extends Error {
  override name = "RetryExhaustedError";
  readonly attempts: number;
  readonly elapsedMs: number;
  /** Which budget ran out. */
  readonly reason: "attempts" | "elapsed";
  constructor(attempts: number, elapsedMs: number, reason: "attempts" | "elapsed", cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    const budget = reason === "attempts" ? "attempts" : "time budget";
    super(
      `gave up after ${attempts} attempt${attempts === 1 ? "" : "s"} in ${Math.round(elapsedMs)} ms (${budget} exhausted): ${detail}`,
      { cause },
    );
    this.attempts = attempts;
    this.elapsedMs = elapsedMs;
    this.reason = reason;
  }
}

export interface BackoffPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  multiplier: number;
}

/**
 * Full-jitter backoff after failed attempt `attempt` (1-based): uniform in
 * [0, min(maxDelay, initial × multiplier^(attempt−1))). Full jitter spreads clients that failed
 * together across the whole window instead of retrying in lockstep.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  return random() * backoffCap(attempt, policy);
}

/** The upper bound of {@link backoffDelay}'s draw after failed attempt `attempt` (1-based). */
export function backoffCap(attempt: number, policy: BackoffPolicy): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** Math.max(0, attempt - 1));
}

/**
 * Wait after a throttled attempt: never below `floorMs` (the server's hint or the throttle
 * floor), and still jittered above it up to the backoff cap so throttled clients do not all
 * come back at the same instant.
 */
export function throttledDelay(
  attempt: number,
  policy: BackoffPolicy,
  floorMs: number,
  random: () => number,
): number {
  return floorMs + random() * Math.max(0, backoffCap(attempt, policy) - floorMs);
}

/**
 * Runs `attempt` until it succeeds, a permanent error occurs, a budget runs out or `signal`
 * aborts.
 *
 * - Permanent errors are rethrown unchanged (not wrapped), so a caller still sees the
 *   component's own error type and code when it dead-letters.
 * - Budget exhaustion throws {@link RetryExhaustedError} with the last error as `cause`. The
 *   loop gives up rather than sleep past `maxElapsedMs`, even for a server's retry hint.
 * - Abort rejects with `signal.reason` as soon as it happens, also mid-attempt and mid-sleep;
 *   the attempt receives the signal so it can cancel its own I/O.
 */
export async function retry<T>(
  attempt: (n: number, signal: AbortSignal) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? RETRY_DEFAULTS.maxAttempts;
  const maxElapsedMs = options.maxElapsedMs ?? RETRY_DEFAULTS.maxElapsedMs;
  const policy: BackoffPolicy = {
    initialDelayMs: options.initialDelayMs ?? RETRY_DEFAULTS.initialDelayMs,
    maxDelayMs: options.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs,
    multiplier: options.multiplier ?? RETRY_DEFAULTS.multiplier,
  };
  const throttleMinDelayMs = options.throttleMinDelayMs ?? RETRY_DEFAULTS.throttleMinDelayMs;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const signal = options.signal ?? new AbortController().signal;

  signal.throwIfAborted();
  const started = clock.now();
  for (let n = 1; ; n++) {
    let error: unknown;
    try {
      return await untilAborted(attempt(n, signal), signal);
    } catch (caught) {
      if (signal.aborted) throw signal.reason;
      error = caught;
    }

    const verdict = options.classify(error);
    if (verdict.kind === "permanent") throw error;

    const elapsedMs = clock.now() - started;
    if (n >= maxAttempts) throw new RetryExhaustedError(n, elapsedMs, "attempts", error);

    const delayMs =
      verdict.kind === "throttled"
        ? throttledDelay(
            n,
            policy,
            // Our own floor yields to a smaller configured max delay; the server's hint does not.
            Math.max(serverHintMs(verdict.retryAfterMs), Math.min(throttleMinDelayMs, policy.maxDelayMs)),
            random,
          )
        : backoffDelay(n, policy, random);
    if (elapsedMs + delayMs > maxElapsedMs) throw new RetryExhaustedError(n, elapsedMs, "elapsed", error);

    options.onRetry?.({ attempt: n, error, kind: verdict.kind, delayMs, elapsedMs });
    try {
      await untilAborted(clock.sleep(delayMs, signal), signal);
    } catch (caught) {
      if (signal.aborted) throw signal.reason;
      throw caught;
    }
  }
}

/** A server's retry hint is untrusted input: ignore anything that is not a finite positive number. */
function serverHintMs(retryAfterMs: number | undefined): number {
  return retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? retryAfterMs : 0;
}

/**
 * Settles like `promise`, or rejects with the abort reason as soon as `signal` aborts, so a
 * shutdown is prompt even when an attempt or a clock ignores the signal.
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      // The abandoned promise may still reject later; nobody awaits it any more.
      promise.catch(() => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** The retry settings a component exposes in its config (YAML, snake_case). */
export const RetryPolicySchema = z
  .object({
    max_attempts: z
      .number()
      .int()
      .min(1)
      .default(RETRY_DEFAULTS.maxAttempts)
      .describe("Most attempts per request, the first one included; 1 disables retries."),
    max_elapsed_ms: z
      .number()
      .int()
      .min(0)
      .default(RETRY_DEFAULTS.maxElapsedMs)
      .describe("Give up once retrying would wait past this many milliseconds from the first attempt."),
    initial_delay_ms: z
      .number()
      .int()
      .min(0)
      .default(RETRY_DEFAULTS.initialDelayMs)
      .describe("Backoff cap after the first failure, in milliseconds; it doubles per attempt."),
    max_delay_ms: z
      .number()
      .int()
      .min(0)
      .default(RETRY_DEFAULTS.maxDelayMs)
      .describe(
        "Largest backoff cap, in milliseconds; each wait is a random draw below the cap (full jitter).",
      ),
  })
  .strict()
  .refine((policy) => policy.max_delay_ms >= policy.initial_delay_ms, {
    message: "must be at least initial_delay_ms",
    path: ["max_delay_ms"],
  })
  .describe("Retry with exponential backoff and full jitter; throttling is honoured.");

export type RetryPolicy = z.output<typeof RetryPolicySchema>;

/** Maps a parsed config policy to `retry` options; the caller adds `classify` and deps. */
export function retryOptionsFromPolicy(
  policy: RetryPolicy,
): Required<Pick<RetryOptions, "maxAttempts" | "maxElapsedMs" | "initialDelayMs" | "maxDelayMs">> {
  return {
    maxAttempts: policy.max_attempts,
    maxElapsedMs: policy.max_elapsed_ms,
    initialDelayMs: policy.initial_delay_ms,
    maxDelayMs: policy.max_delay_ms,
  };
}
