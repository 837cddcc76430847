/** A range of sequence numbers handed out by one read: `[from, to)` holding `count` records. */
export interface Ticket {
  readonly from: number;
  readonly to: number;
  readonly count: number;
  done: boolean;
}

/**
 * Tracks one consumer's reads and commits. Reads hand out adjacent ranges in order; commits may
 * arrive in any order, and the committed position only advances over the contiguous prefix of
 * committed ranges, so a crash never skips a range that was read later but committed earlier.
 */
export class CommitTracker {
  private readonly open: Ticket[] = [];
  private head = 0;
  private issuedTo: number;
  private committedTo: number;

  constructor(start: number) {
    this.issuedTo = start;
    this.committedTo = start;
  }

  /** Every record below this sequence number is committed. */
  get committed(): number {
    return this.committedTo;
  }

  /** Where the next ticket starts. */
  get issued(): number {
    return this.issuedTo;
  }

  get outstanding(): number {
    return this.open.length - this.head;
  }

  /** Hands out the range from the end of the previous one up to `to`. */
  issue(to: number, count: number): Ticket {
    if (to < this.issuedTo) throw new RangeError(`ticket end ${to} is before ${this.issuedTo}`);
    const ticket: Ticket = { from: this.issuedTo, to, count, done: false };
    this.issuedTo = to;
    this.open.push(ticket);
    return ticket;
  }

  /** Marks a ticket committed; returns how many records the committed prefix grew by. */
  complete(ticket: Ticket): number {
    if (ticket.done) return 0;
    ticket.done = true;
    let released = 0;
    while (this.head < this.open.length && this.open[this.head]!.done) {
      const first = this.open[this.head]!;
      this.committedTo = first.to;
      released += first.count;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.open.length) {
      this.open.splice(0, this.head);
      this.head = 0;
    }
    return released;
  }
}
