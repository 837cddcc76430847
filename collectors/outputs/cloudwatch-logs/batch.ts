/** One log event ready to send, remembering which item of the caller's batch it came from. */
export interface EncodedEvent {
  /** Position in the batch handed to `write`. */
  index: number;
  /** Epoch milliseconds. */
  timestamp: number;
  message: string;
  /** UTF-8 bytes of `message`. */
  bytes: number;
}

export interface BatchLimits {
  maxEvents: number;
  /** Counting each event's UTF-8 message bytes plus `perEventOverhead`. */
  maxBytes: number;
  perEventOverhead: number;
  /** Largest allowed difference between the first and last timestamp of one request. */
  maxSpanMs: number;
}

export interface EventBatch {
  events: EncodedEvent[];
  /** Request size as CloudWatch Logs counts it (messages plus overhead). */
  bytes: number;
}

/**
 * Splits the events of one log stream into PutLogEvents-sized requests: each sorted by timestamp
 * (stable, so equal timestamps keep their order), within the count and byte limits, and spanning
 * at most `maxSpanMs`. Every event lands in exactly one batch; an event that cannot fit even
 * alone is a caller error (the encoder caps event size), so it throws rather than loop.
 */
export function splitIntoBatches(events: readonly EncodedEvent[], limits: BatchLimits): EventBatch[] {
  const sorted = events.map((e, order) => ({ e, order }));
  sorted.sort((a, b) => a.e.timestamp - b.e.timestamp || a.order - b.order);
  const batches: EventBatch[] = [];
  let current: EventBatch | undefined;
  for (const { e } of sorted) {
    const size = e.bytes + limits.perEventOverhead;
    if (size > limits.maxBytes) {
      throw new RangeError(`event of ${e.bytes} bytes cannot fit a request of ${limits.maxBytes} bytes`);
    }
    const first = current?.events[0];
    if (
      !current ||
      !first ||
      current.events.length >= limits.maxEvents ||
      current.bytes + size > limits.maxBytes ||
      e.timestamp - first.timestamp > limits.maxSpanMs
    ) {
      current = { events: [], bytes: 0 };
      batches.push(current);
    }
    current.events.push(e);
    current.bytes += size;
  }
  return batches;
}
