/** How a call that held a slot ended, as the limiter judges it. */
export type CallResult = "success" | "throttled" | "other";

/** A held slot: give it back exactly once with how the call went. */
export interface Slot {
  release(result: CallResult): void;
}

/**
 * An adaptive limit on concurrent calls (AIMD, as TCP congestion control): halved when the
 * service throttles, grown by one after a full window of successes, always within [min, max].
 * Calls that were already in flight when the limit was cut do not cut it again, so one burst of
 * throttling counts as one signal.
 */
export class AdaptiveConcurrency {
  private value: number;
  private active = 0;
  /** Bumped at every decrease; a throttled call from an older epoch is old news. */
  private epoch = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(
    private readonly min: number,
    private readonly max: number,
    private readonly onChange: (limit: number) => void = () => {},
    initial = min,
  ) {
    if (min < 1 || max < min) throw new RangeError(`invalid concurrency bounds [${min}, ${max}]`);
    this.value = Math.min(max, Math.max(min, initial));
    this.onChange(this.limit);
  }

  /** The current number of calls allowed at once. */
  get limit(): number {
    return Math.floor(this.value);
  }

  get inFlight(): number {
    return this.active;
  }

  /** Waits for a free slot (first come, first served); rejects if `signal` aborts first. */
  async acquire(signal?: AbortSignal): Promise<Slot> {
    signal?.throwIfAborted();
    if (this.active < this.limit && this.waiters.length === 0) {
      this.active++;
    } else {
      // The releasing call counts the slot for us before waking us, so nobody can overtake.
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        const onAbort = () => {
          const at = this.waiters.indexOf(wake);
          if (at >= 0) this.waiters.splice(at, 1);
          reject(signal?.reason);
        };
        this.waiters.push(wake);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    }
    const epoch = this.epoch;
    let released = false;
    return {
      release: (result) => {
        if (released) return;
        released = true;
        this.active--;
        this.adjust(result, epoch);
        while (this.waiters.length > 0 && this.active < this.limit) {
          this.active++;
          this.waiters.shift()!();
        }
      },
    };
  }

  private adjust(result: CallResult, epoch: number): void {
    const before = this.limit;
    if (result === "throttled") {
      if (epoch !== this.epoch) return;
      this.epoch++;
      this.value = Math.max(this.min, Math.floor(this.value / 2));
    } else if (result === "success") {
      this.value = Math.min(this.max, this.value + 1 / this.limit);
    }
    if (this.limit !== before) this.onChange(this.limit);
  }
}
