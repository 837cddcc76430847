import type { IngestBatch } from "./event/incoming.js";

/**
 * The small interfaces every component kind implements. Lifecycle follows one rule: `start()`
 * returns fast, `shutdown()` flushes and is safe to call twice or without `start()`.
 */
export interface Lifecycle {
  start(): Promise<void>;
  shutdown(): Promise<void>;
}

/** What a sink says about each item of a batch it was given. */
export type ItemOutcome =
  | { status: "accepted" }
  | { status: "retryable"; reason: string; throttled?: boolean; retryAfterMs?: number }
  | { status: "rejected"; code: string; reason: string };

/** An output or store: accepts a batch and answers per item, in order. */
export interface Sink<T> extends Lifecycle {
  readonly name: string;
  write(batch: readonly T[], signal?: AbortSignal): Promise<ItemOutcome[]>;
}

export type AppendOutcome = "stored" | "duplicate";

/**
 * Where inputs put what they receive: the durable buffer. `append` resolves only once the
 * records are durable; inputs acknowledge their clients after that, never before.
 */
export interface IngestTarget {
  /**
   * @param dedupKey identifies the content of a client's retryable unit (chunk id + content
   *   digest). A key seen recently makes the append a no-op answered `duplicate`.
   */
  append(batch: IngestBatch, dedupKey?: string): Promise<AppendOutcome>;
  /** False once the buffer is at its cap: inputs stop reading and answer with backpressure. */
  hasSpace(): boolean;
  /** Resolves when there is room again (or the signal aborts). */
  waitForSpace(signal?: AbortSignal): Promise<void>;
}

/** An input: a listener that turns client traffic into appends to an `IngestTarget`. */
export interface Input extends Lifecycle {
  readonly name: string;
  /** Where it listens, once started (e.g. `tcp://127.0.0.1:24224`). */
  address(): string | undefined;
}
