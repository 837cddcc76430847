import { describe, expect, it } from "vitest";
import {
  backoffDelay,
  type Clock,
  type ErrorClass,
  RETRY_DEFAULTS,
  RetryExhaustedError,
  type RetryInfo,
  RetryPolicySchema,
  retry,
  retryOptionsFromPolicy,
  throttledDelay,
} from "../../core/retry.js";

/** Time moves only when the code under test sleeps; every sleep is recorded. */
class FakeClock implements Clock {
  time = 1_000_000;
  readonly sleeps: number[] = [];
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += ms;
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A clock whose sleeps never end by themselves, to abort in the middle of one. */
class StuckClock implements Clock {
  sleeping = deferred();
  now(): number {
    return 0;
  }
  sleep(): Promise<void> {
    this.sleeping.resolve();
    return new Promise<void>(() => {});
  }
}

class TransientError extends Error {
  override name = "TransientError";
}
class ThrottleError extends Error {
  override name = "ThrottleError";
  constructor(readonly retryAfterMs?: number) {
    super("slow down");
  }
}
class FatalError extends Error {
  override name = "FatalError";
}

const classify = (error: unknown): ErrorClass => {
  if (error instanceof ThrottleError)
    return error.retryAfterMs === undefined
      ? { kind: "throttled" }
      : { kind: "throttled", retryAfterMs: error.retryAfterMs };
  if (error instanceof FatalError) return { kind: "permanent" };
  return { kind: "retryable" };
};

const policy = { initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2 };

/** An attempt function that fails `failures` times with `make()`, then returns "done". */
function failingTimes(failures: number, make: () => Error = () => new TransientError("boom")) {
  const calls: number[] = [];
  const fn = async (n: number) => {
    calls.push(n);
    if (calls.length <= failures) throw make();
    return "done";
  };
  return { fn, calls };
}

describe("backoffDelay", () => {
  it("stays within [0, cap] for many random draws", () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let attempt = 1; attempt <= 12; attempt++) {
      const cap = Math.min(1_000, 100 * 2 ** (attempt - 1));
      for (let i = 0; i < 500; i++) {
        const delay = backoffDelay(attempt, policy, random);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(cap);
      }
    }
  });

  it("scales the cap by the random draw", () => {
    expect(backoffDelay(1, policy, () => 0.5)).toBe(50);
    expect(backoffDelay(1, policy, () => 0)).toBe(0);
  });

  it("grows the cap by the multiplier per attempt", () => {
    const nearOne = () => 0.999_999;
    const caps = [1, 2, 3, 4].map((attempt) => Math.round(backoffDelay(attempt, policy, nearOne)));
    expect(caps).toEqual([100, 200, 400, 800]);
  });

  it("never exceeds the max delay however many attempts failed", () => {
    expect(backoffDelay(5, policy, () => 0.999_999)).toBeLessThanOrEqual(1_000);
    expect(backoffDelay(10_000, policy, () => 0.999_999)).toBeLessThanOrEqual(1_000);
  });
});

describe("throttledDelay", () => {
  it("never goes below the floor even with a zero draw", () => {
    expect(throttledDelay(1, policy, 700, () => 0)).toBe(700);
  });

  it("jitters above the floor up to the backoff cap", () => {
    expect(throttledDelay(4, policy, 600, () => 0.5)).toBe(700);
  });

  it("is exactly the floor when the floor is above the cap", () => {
    expect(throttledDelay(1, policy, 5_000, () => 0.9)).toBe(5_000);
  });
});

describe("retry", () => {
  it("returns the value once an attempt succeeds after failures", async () => {
    const clock = new FakeClock();
    const { fn, calls } = failingTimes(3);
    const result = await retry(fn, { classify, clock, random: () => 0.5, ...policy, maxAttempts: 10 });
    expect(result).toBe("done");
    expect(calls).toEqual([1, 2, 3, 4]);
  });

  it("does not sleep when the first attempt succeeds", async () => {
    const clock = new FakeClock();
    await retry(async () => "ok", { classify, clock });
    expect(clock.sleeps).toEqual([]);
  });

  it("waits a jittered exponential backoff between attempts", async () => {
    const clock = new FakeClock();
    const { fn } = failingTimes(5);
    await retry(fn, { classify, clock, random: () => 0.5, ...policy, maxAttempts: 10 });
    expect(clock.sleeps).toEqual([50, 100, 200, 400, 500]);
  });

  it("draws every wait from the injected random source", async () => {
    const clock = new FakeClock();
    const draws = [0.1, 0.9, 0.3];
    let i = 0;
    const { fn } = failingTimes(3);
    await retry(fn, { classify, clock, random: () => draws[i++] ?? 0, ...policy, maxAttempts: 10 });
    expect(clock.sleeps.map(Math.round)).toEqual([10, 180, 120]);
  });

  it("gives up after maxAttempts with the last error as cause", async () => {
    const clock = new FakeClock();
    let n = 0;
    const error = await retry(
      async () => {
        n++;
        throw new TransientError(`failure ${n}`);
      },
      { classify, clock, random: () => 0.5, ...policy, maxAttempts: 3 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryExhaustedError);
    const exhausted = error as RetryExhaustedError;
    expect(exhausted.attempts).toBe(3);
    expect(exhausted.reason).toBe("attempts");
    expect((exhausted.cause as Error).message).toBe("failure 3");
    expect(n).toBe(3);
    expect(clock.sleeps).toHaveLength(2);
  });

  it("makes one attempt only when maxAttempts is 1", async () => {
    const clock = new FakeClock();
    const { fn, calls } = failingTimes(5);
    await expect(retry(fn, { classify, clock, maxAttempts: 1 })).rejects.toBeInstanceOf(RetryExhaustedError);
    expect(calls).toEqual([1]);
    expect(clock.sleeps).toEqual([]);
  });

  it("rethrows a permanent error unchanged without retrying", async () => {
    const clock = new FakeClock();
    const fatal = new FatalError("mapping conflict");
    const { fn, calls } = failingTimes(5, () => fatal);
    await expect(retry(fn, { classify, clock, maxAttempts: 10 })).rejects.toBe(fatal);
    expect(calls).toEqual([1]);
    expect(clock.sleeps).toEqual([]);
  });

  it("gives up instead of sleeping past maxElapsedMs", async () => {
    const clock = new FakeClock();
    const { fn, calls } = failingTimes(100);
    const error = await retry(fn, {
      classify,
      clock,
      random: () => 0.999_999,
      ...policy,
      maxAttempts: 100,
      maxElapsedMs: 2_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect((error as RetryExhaustedError).reason).toBe("elapsed");
    const slept = clock.sleeps.reduce((a, b) => a + b, 0);
    expect(slept).toBeLessThanOrEqual(2_000);
    // 100 + 200 + 400 + 800 fit; the next 1,000 ms wait would end past the budget.
    expect(clock.sleeps.map(Math.round)).toEqual([100, 200, 400, 800]);
    expect(calls).toHaveLength(5);
  });

  it("counts the attempts' own duration against the elapsed budget", async () => {
    const clock = new FakeClock();
    let calls = 0;
    const slowFailure = async () => {
      calls++;
      clock.time += 900;
      throw new TransientError("slow");
    };
    await expect(
      retry(slowFailure, { classify, clock, random: () => 0.5, ...policy, maxElapsedMs: 2_000 }),
    ).rejects.toBeInstanceOf(RetryExhaustedError);
    // 900 (attempt) + 50 (wait) + 900 (attempt) = 1,850; another 100 ms wait would reach 1,950,
    // then the third attempt ends at 2,850 and the next wait is refused.
    expect(calls).toBe(3);
  });

  it("waits at least the server's retry-after on throttling", async () => {
    const clock = new FakeClock();
    const { fn } = failingTimes(2, () => new ThrottleError(2_500));
    await retry(fn, { classify, clock, random: () => 0, ...policy, maxAttempts: 5 });
    expect(clock.sleeps).toEqual([2_500, 2_500]);
  });

  it("uses the throttle floor when the server gives no hint", async () => {
    const clock = new FakeClock();
    const { fn } = failingTimes(1, () => new ThrottleError());
    await retry(fn, { classify, clock, random: () => 0, ...policy, throttleMinDelayMs: 800 });
    expect(clock.sleeps).toEqual([800]);
  });

  it("keeps its own throttle floor within the configured max delay", async () => {
    const clock = new FakeClock();
    const { fn } = failingTimes(1, () => new ThrottleError());
    await retry(fn, { classify, clock, random: () => 0, initialDelayMs: 10, maxDelayMs: 50 });
    expect(clock.sleeps).toEqual([50]);
  });

  it("ignores a negative or non-finite retry-after hint", async () => {
    const clock = new FakeClock();
    const hints = [Number.NaN, -5, Number.POSITIVE_INFINITY];
    let i = 0;
    const { fn } = failingTimes(3, () => new ThrottleError(hints[i++]));
    await retry(fn, { classify, clock, random: () => 0, ...policy, throttleMinDelayMs: 300 });
    expect(clock.sleeps).toEqual([300, 300, 300]);
  });

  it("gives up when the server's retry-after exceeds the remaining budget", async () => {
    const clock = new FakeClock();
    const { fn, calls } = failingTimes(5, () => new ThrottleError(60_000));
    const error = await retry(fn, { classify, clock, ...policy, maxElapsedMs: 10_000 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect((error as RetryExhaustedError).reason).toBe("elapsed");
    expect(calls).toEqual([1]);
    expect(clock.sleeps).toEqual([]);
  });

  it("reports each wait to onRetry before sleeping", async () => {
    const clock = new FakeClock();
    const seen: RetryInfo[] = [];
    const { fn } = failingTimes(2, () => new ThrottleError(300));
    await retry(fn, {
      classify,
      clock,
      random: () => 0,
      ...policy,
      throttleMinDelayMs: 0,
      onRetry: (info) => seen.push(info),
    });
    expect(seen.map((info) => [info.attempt, info.kind, info.delayMs, info.elapsedMs])).toEqual([
      [1, "throttled", 300, 0],
      [2, "throttled", 300, 300],
    ]);
    expect(seen[0]?.error).toBeInstanceOf(ThrottleError);
  });

  it("rejects with the abort reason without calling the attempt when already aborted", async () => {
    const controller = new AbortController();
    const reason = new Error("shutting down");
    controller.abort(reason);
    const { fn, calls } = failingTimes(0);
    await expect(retry(fn, { classify, clock: new FakeClock(), signal: controller.signal })).rejects.toBe(
      reason,
    );
    expect(calls).toEqual([]);
  });

  it("rejects promptly with the abort reason during a sleep", async () => {
    const controller = new AbortController();
    const clock = new StuckClock();
    const { fn, calls } = failingTimes(10);
    const running = retry(fn, { classify, clock, ...policy, signal: controller.signal });
    await clock.sleeping.promise;
    controller.abort();
    const error = await running.catch((e: unknown) => e);
    expect(error).toBe(controller.signal.reason);
    expect((error as Error).name).toBe("AbortError");
    expect(calls).toEqual([1]);
  });

  it("rejects promptly with the abort reason during an attempt that ignores the signal", async () => {
    const controller = new AbortController();
    const started = deferred();
    const running = retry(
      async () => {
        started.resolve();
        return new Promise<string>(() => {});
      },
      { classify, clock: new FakeClock(), signal: controller.signal },
    );
    await started.promise;
    controller.abort(new Error("stop"));
    await expect(running).rejects.toThrow("stop");
  });

  it("passes the signal to the attempt so it can cancel its own I/O", async () => {
    const controller = new AbortController();
    let received: AbortSignal | undefined;
    await retry(
      async (_n, signal) => {
        received = signal;
        return 1;
      },
      { classify, clock: new FakeClock(), signal: controller.signal },
    );
    expect(received).toBe(controller.signal);
  });

  it("does not classify the error of an attempt cancelled by abort", async () => {
    const controller = new AbortController();
    const seen: unknown[] = [];
    const running = retry(
      async (_n, signal) => {
        controller.abort(new Error("stop"));
        throw new Error(`cancelled: ${String(signal.aborted)}`);
      },
      {
        classify: (error) => {
          seen.push(error);
          return { kind: "retryable" };
        },
        clock: new FakeClock(),
        signal: controller.signal,
      },
    );
    await expect(running).rejects.toThrow("stop");
    expect(seen).toEqual([]);
  });

  it("sleeps for real with the system clock when none is injected", async () => {
    const { fn } = failingTimes(1);
    await expect(retry(fn, { classify, initialDelayMs: 1, maxDelayMs: 1 })).resolves.toBe("done");
  });
});

describe("RetryPolicySchema", () => {
  it("fills every default from an empty object", () => {
    expect(RetryPolicySchema.parse({})).toEqual({
      max_attempts: RETRY_DEFAULTS.maxAttempts,
      max_elapsed_ms: RETRY_DEFAULTS.maxElapsedMs,
      initial_delay_ms: RETRY_DEFAULTS.initialDelayMs,
      max_delay_ms: RETRY_DEFAULTS.maxDelayMs,
    });
  });

  it("rejects unknown keys", () => {
    expect(RetryPolicySchema.safeParse({ max_retries: 3 }).success).toBe(false);
  });

  it("rejects zero attempts and fractional milliseconds", () => {
    expect(RetryPolicySchema.safeParse({ max_attempts: 0 }).success).toBe(false);
    expect(RetryPolicySchema.safeParse({ initial_delay_ms: 1.5 }).success).toBe(false);
  });

  it("rejects a max delay below the initial delay", () => {
    const result = RetryPolicySchema.safeParse({ initial_delay_ms: 500, max_delay_ms: 100 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(["max_delay_ms"]);
  });

  it("maps to retry options", () => {
    const options = retryOptionsFromPolicy(
      RetryPolicySchema.parse({
        max_attempts: 4,
        max_elapsed_ms: 9_000,
        initial_delay_ms: 50,
        max_delay_ms: 800,
      }),
    );
    expect(options).toEqual({ maxAttempts: 4, maxElapsedMs: 9_000, initialDelayMs: 50, maxDelayMs: 800 });
  });
});
