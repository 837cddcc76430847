/** One event waiting to be sent, or sent and awaiting its ack. */
export interface QueuedEvent {
  /** Event time, epoch milliseconds (sent as the Fluent EventTime). */
  readonly timeMs: number;
  readonly record: Record<string, unknown>;
  /** Estimated encoded size, what the byte bound counts. */
  readonly bytes: number;
}

export type OfferResult = "queued" | "full" | "oversized";

/**
 * The bounded FIFO between `log()` and the sender. It holds events from the moment they are
 * logged until they are acknowledged or given up, so the bound covers what is in flight too:
 * memory stays bounded however long the forwarder is away. `offer` never waits; a full queue
 * refuses the new event and the caller counts the drop.
 */
export class EventQueue {
  private items: QueuedEvent[] = [];
  private head = 0;
  private heldEvents = 0;
  private heldBytes = 0;

  constructor(
    readonly maxEvents: number,
    readonly maxBytes: number,
  ) {}

  /** Events held: waiting plus taken and not yet released. */
  get events(): number {
    return this.heldEvents;
  }

  get bytes(): number {
    return this.heldBytes;
  }

  /** Events waiting to be taken. */
  get waiting(): number {
    return this.items.length - this.head;
  }

  offer(event: QueuedEvent): OfferResult {
    if (event.bytes > this.maxBytes) return "oversized";
    if (this.heldEvents + 1 > this.maxEvents || this.heldBytes + event.bytes > this.maxBytes) return "full";
    this.items.push(event);
    this.heldEvents++;
    this.heldBytes += event.bytes;
    return "queued";
  }

  /**
   * Takes the oldest waiting events, up to `maxEvents` and `maxBytes` (at least one, so an event
   * larger than a chunk still goes, alone). They stay counted until `release`.
   */
  take(maxEvents: number, maxBytes: number): QueuedEvent[] {
    const out: QueuedEvent[] = [];
    let bytes = 0;
    while (this.head < this.items.length && out.length < maxEvents) {
      const next = this.items[this.head]!;
      if (out.length > 0 && bytes + next.bytes > maxBytes) break;
      out.push(next);
      bytes += next.bytes;
      this.head++;
    }
    this.compact();
    return out;
  }

  /** Forgets taken events (acknowledged or given up), making room for new ones. */
  release(events: readonly QueuedEvent[]): void {
    for (const event of events) {
      this.heldEvents--;
      this.heldBytes -= event.bytes;
    }
  }

  /** Removes and returns every waiting event (at close, to account for what was never sent). */
  drain(): QueuedEvent[] {
    const out = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    this.release(out);
    return out;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
