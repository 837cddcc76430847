/** Where the logger reports about itself (drops, failures). Never the logger itself. */
export type DiagnosticLog = (
  level: "info" | "warn" | "error",
  message: string,
  fields?: Record<string, unknown>,
) => void;

/** Why an event was dropped at `log()`, without ever being sent. */
export type DropReason = "queue_full" | "oversized" | "closed" | "internal_error";

export const DROP_REASONS: readonly DropReason[] = ["queue_full", "oversized", "closed", "internal_error"];

/** One line to stderr, the default diagnostic sink: the application's own logs may be what is failing. */
export const stderrDiagnostics: DiagnosticLog = (level, message, fields) => {
  const suffix = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
  process.stderr.write(`logpipe logger ${level}: ${message}${suffix}\n`);
};

/**
 * Reports drops and failures at most once per interval, each report carrying the counts since
 * the previous one, so a flood of drops costs one line per interval and no drop goes unreported:
 * counts left over at the end of an interval are reported when it ends (or at `close`).
 * A burst within one tick becomes a single report.
 */
export class Reporter {
  private readonly drops: Record<DropReason, number> = {
    queue_full: 0,
    oversized: 0,
    closed: 0,
    internal_error: 0,
  };
  private failed = 0;
  private lastFailure = "";
  private totalDropped = 0;
  private totalFailed = 0;
  private lastReport = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly log: DiagnosticLog,
    private readonly now: () => number,
  ) {}

  dropped(reason: DropReason, count = 1): void {
    this.drops[reason] += count;
    this.totalDropped += count;
    this.schedule();
  }

  /** Events given up after their last attempt failed with `reason`. */
  gaveUp(count: number, reason: string): void {
    this.failed += count;
    this.totalFailed += count;
    this.lastFailure = reason;
    this.schedule();
  }

  /** Reports whatever is pending now and stops the timer. */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.report();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastReport + this.intervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.report();
    }, wait);
    // Reporting must not keep a finished process alive; close() reports what is left.
    this.timer.unref?.();
  }

  private report(): void {
    const dropped = DROP_REASONS.reduce((sum, r) => sum + this.drops[r], 0);
    if (dropped === 0 && this.failed === 0) return;
    this.lastReport = this.now();
    if (dropped > 0) {
      const byReason: Record<string, number> = {};
      for (const r of DROP_REASONS) {
        if (this.drops[r] > 0) byReason[r] = this.drops[r];
        this.drops[r] = 0;
      }
      this.log(
        "warn",
        `dropped ${dropped} event${dropped === 1 ? "" : "s"} (${Object.entries(byReason)
          .map(([r, n]) => `${r}: ${n}`)
          .join(", ")}); ${this.totalDropped} dropped in total`,
        { dropped, ...byReason, total_dropped: this.totalDropped },
      );
    }
    if (this.failed > 0) {
      const failed = this.failed;
      this.failed = 0;
      this.log(
        "error",
        `gave up on ${failed} event${failed === 1 ? "" : "s"} the forwarder did not acknowledge: ${this.lastFailure}; ${this.totalFailed} failed in total`,
        { failed, reason: this.lastFailure, total_failed: this.totalFailed },
      );
    }
  }
}
