import type { IncomingRecord } from "../../core/event/incoming.js";
import type { AppendOutcome, IngestTarget } from "../../core/stage.js";

/**
 * An in-memory `IngestTarget` for input tests: records what was appended, answers duplicates
 * by dedup key, and can be switched full to exercise backpressure or made to fail appends.
 */
export class MemoryIngestTarget implements IngestTarget {
  readonly appends: { records: IncomingRecord[]; dedupKey?: string }[] = [];
  readonly seenKeys = new Set<string>();
  full = false;
  failNextAppend: Error | undefined;
  /** Delay before an append resolves, to hold acks back in tests. */
  appendDelayMs = 0;
  private waiters: (() => void)[] = [];

  get records(): IncomingRecord[] {
    return this.appends.flatMap((a) => a.records);
  }

  async append(records: IncomingRecord[], dedupKey?: string): Promise<AppendOutcome> {
    if (this.appendDelayMs > 0) await new Promise((r) => setTimeout(r, this.appendDelayMs));
    if (this.failNextAppend) {
      const error = this.failNextAppend;
      this.failNextAppend = undefined;
      throw error;
    }
    if (dedupKey !== undefined) {
      if (this.seenKeys.has(dedupKey)) return "duplicate";
      this.seenKeys.add(dedupKey);
    }
    this.appends.push(dedupKey === undefined ? { records } : { records, dedupKey });
    return "stored";
  }

  hasSpace(): boolean {
    return !this.full;
  }

  setFull(full: boolean): void {
    this.full = full;
    if (!full) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    }
  }

  waitForSpace(signal?: AbortSignal): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal?.reason ?? new Error("aborted"));
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      });
    });
  }
}
