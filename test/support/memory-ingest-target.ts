import { unpackEntries } from "../../collectors/inputs/forward/protocol.js";
import { type IncomingRecord, type IngestBatch, isPackedEntries } from "../../core/event/incoming.js";
import type { AppendOutcome, IngestTarget } from "../../core/stage.js";

/**
 * An in-memory `IngestTarget` for input tests: records what was appended, answers duplicates
 * by dedup key, and can be switched full to exercise backpressure or made to fail appends.
 */
export class MemoryIngestTarget implements IngestTarget {
  /** `packed`: the batch came as the client's entry bytes (`PackedEntries`), not as records. */
  readonly appends: { records: IncomingRecord[]; dedupKey?: string; packed: boolean }[] = [];
  readonly seenKeys = new Set<string>();
  full = false;
  failNextAppend: Error | undefined;
  /** Delay before an append resolves, to hold acks back in tests. */
  appendDelayMs = 0;
  private waiters: (() => void)[] = [];

  get records(): IncomingRecord[] {
    return this.appends.flatMap((a) => a.records);
  }

  /** Packed entries are decoded as an output would read them, so tests see records either way. */
  async append(batch: IngestBatch, dedupKey?: string): Promise<AppendOutcome> {
    const records = isPackedEntries(batch) ? unpackEntries(batch).records : [...batch];
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
    const packed = isPackedEntries(batch);
    this.appends.push(dedupKey === undefined ? { records, packed } : { records, dedupKey, packed });
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
