import type { ItemOutcome } from "./stage.js";

/**
 * The writes a sink has in flight, so `shutdown()` can wait for them: once closed, new writes
 * are answered retryable per item (the caller keeps them in its buffer) instead of being sent.
 */
export class InFlightWrites {
  private readonly runs = new Set<Promise<unknown>>();
  private closedFlag = false;

  constructor(private readonly sinkName: string) {}

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Runs `deliver` unless closed; a closed sink answers every item retryable. */
  async run(count: number, deliver: () => Promise<ItemOutcome[]>): Promise<ItemOutcome[]> {
    if (this.closedFlag) {
      return Array.from({ length: count }, () => ({
        status: "retryable",
        reason: `${this.sinkName} is shut down`,
      }));
    }
    const run = deliver();
    this.runs.add(run);
    try {
      return await run;
    } finally {
      this.runs.delete(run);
    }
  }

  /** Refuses new writes and waits for those in flight; safe to call twice. */
  async close(): Promise<void> {
    this.closedFlag = true;
    await Promise.allSettled([...this.runs]);
  }
}
