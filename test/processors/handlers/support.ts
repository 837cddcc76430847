import type { LogEvent } from "../../../core/event/schema.js";
import type { Clock } from "../../../core/retry.js";
import type { ItemOutcome, Sink } from "../../../core/stage.js";
import type {
  DeadLetterContext,
  DeadLetterEntry,
  DeadLetterSink,
} from "../../../processors/handlers/index.js";
import { DeadLetterWriteError } from "../../../processors/handlers/index.js";

/** 2025-12-05T18:00:00.000Z */
export const T0 = Date.UTC(2025, 11, 5, 18, 0, 0, 0);

/** A clock whose sleeps advance virtual time at once, so retry budgets run out without waiting. */
export class VirtualClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(public time = T0) {}
  now(): number {
    return this.time;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.time += ms;
  }
}

/** How a scripted sink answers one event on one attempt (1-based, counted per event). */
export type Script = (event: LogEvent, attempt: number) => ItemOutcome;

/** An in-memory sink answering from a script; remembers the ids of every write, in order. */
export class ScriptedSink implements Sink<LogEvent> {
  readonly writes: string[][] = [];
  readonly stored = new Map<string, LogEvent>();
  private readonly attempts = new Map<string, number>();
  constructor(
    readonly name: string,
    private readonly script: Script = () => ({ status: "accepted" }),
  ) {}
  async start(): Promise<void> {}
  async shutdown(): Promise<void> {}
  async write(batch: readonly LogEvent[]): Promise<ItemOutcome[]> {
    this.writes.push(batch.map((e) => e.id));
    return batch.map((event) => {
      const attempt = (this.attempts.get(event.id) ?? 0) + 1;
      this.attempts.set(event.id, attempt);
      const outcome = this.script(event, attempt);
      if (outcome.status === "accepted") this.stored.set(event.id, event);
      return outcome;
    });
  }
}

/** A dead-letter sink in memory; can be told to fail its next writes. */
export class MemoryDeadLetters implements DeadLetterSink {
  readonly name = "memory_dead_letter";
  readonly entries: DeadLetterEntry[] = [];
  readonly contexts: DeadLetterContext[] = [];
  failures: { retryable: boolean; times: number } | undefined;
  calls = 0;
  async write(entries: readonly DeadLetterEntry[], context: DeadLetterContext): Promise<void> {
    this.calls++;
    if (this.failures && this.failures.times > 0) {
      this.failures.times--;
      throw new DeadLetterWriteError(
        "s3_unavailable",
        "dead-letter bucket unavailable",
        this.failures.retryable,
        false,
      );
    }
    this.contexts.push(context);
    this.entries.push(...entries);
  }
  byOutput(output: string): DeadLetterEntry[] {
    return this.entries.filter((e) => e.output === output);
  }
}

export function lambdaContext(remainingMs = 60_000, awsRequestId = "8c6f2d3a-1b4e-4f5a-9c7d-0e1f2a3b4c5d") {
  return { getRemainingTimeInMillis: () => remainingMs, awsRequestId };
}
