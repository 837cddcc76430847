import { type FileHandle, open } from "node:fs/promises";
import type { IncomingRecord } from "../../core/event/incoming.js";
import { decodeRecords } from "./codec.js";
import { CommitTracker, type Ticket } from "./commit-tracker.js";
import { BufferError } from "./errors.js";
import { findNextFrame, parseFrame } from "./frame.js";
import { readAt, type Segment } from "./segment.js";

/**
 * Records handed to one output; commit it once every record was delivered (or dead-lettered).
 * The reader may take the records out of `records` (the delivery pump does): commit needs only
 * the batch.
 */
export interface BufferBatch {
  readonly records: IncomingRecord[];
}

/** One output's view of the buffer: its own read position and committed cursor. */
export interface BufferConsumer {
  readonly name: string;
  /**
   * Next records after the last read (reads ahead), up to `maxRecords`. Waits until some exist;
   * rejects when the signal aborts; resolves with an empty batch once the buffer is closed.
   */
  read(maxRecords: number, signal?: AbortSignal): Promise<BufferBatch>;
  /**
   * Marks a batch delivered. Commits may come out of order: the durable cursor advances over the
   * contiguous committed prefix only. A commit after the buffer closed is ignored (the records
   * are delivered again after restart).
   */
  commit(batch: BufferBatch): Promise<void>;
}

/** What a consumer needs from the buffer that owns it. */
export interface ConsumerHost {
  isClosed(): boolean;
  changeGeneration(): number;
  /** Resolves once anything changed after `generation` (an append, a new segment, close). */
  waitForChange(generation: number, signal?: AbortSignal): Promise<void>;
  segmentAfter(segment: Segment): Segment | undefined;
  /** Unreadable data met while reading; `lost` records (when known) will never be delivered. */
  reportCorrupt(consumer: string, reason: string, fields: Record<string, unknown>, lost: number): void;
  committed(consumer: BufferConsumerImpl, released: number): void;
}

class ConsumerBatch implements BufferBatch {
  constructor(
    readonly records: IncomingRecord[],
    readonly owner: BufferConsumerImpl,
    readonly ticket: Ticket | undefined,
  ) {}
}

/**
 * An entry read from disk. Its payload is decoded only when its records are handed out: held
 * as bytes (outside the JavaScript heap) it costs the garbage collector nothing while it waits,
 * where thousands of decoded records would be copied by every young-generation collection.
 */
interface ReadyEntry {
  payload: Buffer | undefined;
  records: IncomingRecord[] | undefined;
  count: number;
  firstSeq: number;
  /** Next record of the entry to hand out. */
  index: number;
  segment: number;
  offset: number;
}

/** Bytes read from a segment at a time; an entry larger than this is read whole. */
const READ_CHUNK_BYTES = 1024 * 1024;

export class BufferConsumerImpl implements BufferConsumer {
  readonly tracker: CommitTracker;
  /** Cursor last written to disk. */
  persisted: number;
  /** Records at or after the committed cursor that are still in the buffer. */
  pending: number;
  private segment: Segment;
  private offset: number;
  private handle: FileHandle | undefined;
  private handleSegment: Segment | undefined;
  private readonly ready: ReadyEntry[] = [];
  private readyHead = 0;
  private readyRecords = 0;
  /** Sequence number after the last record queued in `ready`. */
  private queuedSeq: number;
  /** Unreadable bytes were skipped since the last entry: the seq gap up to the next one is lost. */
  private skippedSinceEntry = false;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly host: ConsumerHost,
    cursor: number,
    start: { segment: Segment; offset: number },
    pending: number,
  ) {
    this.tracker = new CommitTracker(cursor);
    this.persisted = cursor;
    this.queuedSeq = cursor;
    this.segment = start.segment;
    this.offset = start.offset;
    this.pending = pending;
  }

  read(maxRecords: number, signal?: AbortSignal): Promise<BufferBatch> {
    if (!(maxRecords >= 1))
      return Promise.reject(new RangeError(`maxRecords must be ≥ 1, got ${maxRecords}`));
    // Reads are serialised so concurrent readers of one consumer get adjacent, disjoint batches.
    const run = this.chain.then(() => this.readNow(Math.floor(maxRecords), signal));
    this.chain = run.catch(() => undefined);
    return run;
  }

  async commit(batch: BufferBatch): Promise<void> {
    if (!(batch instanceof ConsumerBatch)) throw new TypeError("commit() takes a batch returned by read()");
    if (batch.ticket === undefined) return;
    if (batch.owner !== this) {
      throw new BufferError(
        "invalid_consumer",
        `batch was read by consumer "${batch.owner.name}", not "${this.name}"`,
      );
    }
    if (this.host.isClosed()) return;
    const released = this.tracker.complete(batch.ticket);
    if (released > 0) {
      this.pending -= released;
      this.host.committed(this, released);
    }
  }

  /** Waits for the read in progress, then releases the file handle. */
  async close(): Promise<void> {
    await this.chain;
    await this.closeHandle();
  }

  private async readNow(max: number, signal: AbortSignal | undefined): Promise<BufferBatch> {
    for (;;) {
      signal?.throwIfAborted();
      if (this.host.isClosed()) return new ConsumerBatch([], this, undefined);
      if (this.readyRecords > 0) {
        const batch = this.take(max);
        if (batch) return batch;
        continue;
      }
      const generation = this.host.changeGeneration();
      let filled: boolean;
      try {
        filled = await this.fill();
      } catch (error) {
        if (this.host.isClosed()) return new ConsumerBatch([], this, undefined);
        throw error;
      }
      if (!filled) await this.host.waitForChange(generation, signal);
    }
  }

  /** The next records from `ready`; undefined when every entry left turned out undecodable. */
  private take(max: number): ConsumerBatch | undefined {
    let records: IncomingRecord[] = [];
    let to = this.tracker.issued;
    while (records.length < max && this.readyHead < this.ready.length) {
      const entry = this.ready[this.readyHead]!;
      const decoded = entry.records ?? this.decode(entry);
      if (decoded === undefined) {
        this.ready[this.readyHead++] = undefined as never;
        continue;
      }
      const n = Math.min(max - records.length, entry.count - entry.index);
      if (records.length === 0 && entry.index === 0 && n === entry.count) {
        records = decoded;
      } else {
        for (let i = entry.index; i < entry.index + n; i++) records.push(decoded[i]!);
      }
      entry.index += n;
      to = entry.firstSeq + entry.index;
      if (entry.index === entry.count) this.ready[this.readyHead++] = undefined as never;
    }
    if (this.readyHead === this.ready.length) {
      this.ready.length = 0;
      this.readyHead = 0;
    }
    if (records.length === 0) return undefined;
    this.readyRecords -= records.length;
    return new ConsumerBatch(records, this, this.tracker.issue(to, records.length));
  }

  /**
   * Decodes an entry's records, keeping them on the entry while it is being handed out in parts.
   * An entry that cannot be decoded is reported and its records counted lost: undefined.
   */
  private decode(entry: ReadyEntry): IncomingRecord[] | undefined {
    const payload = entry.payload!;
    entry.payload = undefined;
    try {
      entry.records = decodeRecords(payload, entry.count);
      return entry.records;
    } catch (error) {
      const lost = entry.count - entry.index;
      this.host.reportCorrupt(
        this.name,
        "undecodable_payload",
        { segment: entry.segment, offset: entry.offset, error: (error as Error).message },
        lost,
      );
      this.loseRecords(lost);
      this.readyRecords -= lost;
      // No ticket covers them: the next ticket starts where the last one ended, so its commit
      // carries the cursor past them.
      return undefined;
    }
  }

  /** Queues the next entries from disk; false when there is nothing more to read yet. */
  private async fill(): Promise<boolean> {
    for (;;) {
      const segment = this.segment;
      if (this.offset < segment.visibleEnd) {
        if (await this.load(segment)) return true;
        continue;
      }
      if (segment.sealed && segment.visibleEnd >= segment.size) {
        const next = this.host.segmentAfter(segment);
        if (!next) return false;
        await this.closeHandle();
        this.segment = next;
        this.offset = 0;
        continue;
      }
      return false;
    }
  }

  /** Reads and decodes entries from `offset`; true when records were queued. */
  private async load(segment: Segment): Promise<boolean> {
    const handle = await this.openHandle(segment);
    const end = segment.visibleEnd;
    let buf = await readAt(handle, this.offset, Math.min(end - this.offset, READ_CHUNK_BYTES));
    if (buf.length === 0) {
      await this.skipUnreadable(segment, handle, 0, "file_shortened");
      return false;
    }
    let pos = 0;
    let queued = false;
    while (pos < buf.length) {
      const frame = parseFrame(buf, pos);
      if (frame.kind === "ok") {
        if (this.enqueue(frame.firstSeq, frame.count, frame.payload, segment, this.offset + pos)) {
          queued = true;
        }
        pos += frame.size;
        continue;
      }
      const hole = segment.holes?.get(this.offset + pos);
      if (hole !== undefined) {
        // Found and reported on open; its records were never counted as pending.
        this.offset += pos + hole;
        return queued;
      }
      if (frame.kind === "incomplete" && this.offset + pos + frame.needed <= end) {
        if (pos > 0) break;
        const whole = await readAt(handle, this.offset, frame.needed);
        if (whole.length === frame.needed) {
          buf = whole;
          continue;
        }
      }
      await this.skipUnreadable(
        segment,
        handle,
        pos,
        frame.kind === "incomplete" ? "incomplete" : frame.reason,
      );
      return queued;
    }
    this.offset += pos;
    return queued;
  }

  /**
   * Bytes that were whole when written and acknowledged no longer are (disk fault, a file cut
   * or edited behind the buffer's back): skip to the next valid entry, count and report it.
   * Always moves the read position forward.
   */
  private async skipUnreadable(
    segment: Segment,
    handle: FileHandle,
    pos: number,
    reason: string,
  ): Promise<void> {
    const at = this.offset + pos;
    const remaining = segment.visibleEnd - at;
    const rest = await readAt(handle, at, remaining);
    const next = findNextFrame(rest, 1);
    const skipped = next === -1 ? remaining : next;
    this.host.reportCorrupt(this.name, reason, { segment: segment.id, offset: at, bytes: skipped }, 0);
    this.skippedSinceEntry = true;
    this.offset = at + skipped;
  }

  private enqueue(
    firstSeq: number,
    count: number,
    payload: Buffer,
    segment: Segment,
    offset: number,
  ): boolean {
    const endSeq = firstSeq + count;
    if (this.skippedSinceEntry) {
      this.skippedSinceEntry = false;
      const lost = firstSeq - this.queuedSeq;
      if (lost > 0) this.loseRecords(lost);
    }
    const skip = Math.max(0, this.queuedSeq - firstSeq);
    if (skip >= count) return false;
    this.ready.push({
      payload,
      records: undefined,
      count,
      firstSeq,
      index: skip,
      segment: segment.id,
      offset,
    });
    this.readyRecords += count - skip;
    this.queuedSeq = endSeq;
    return true;
  }

  private loseRecords(lost: number): void {
    this.pending = Math.max(0, this.pending - lost);
  }

  private async openHandle(segment: Segment): Promise<FileHandle> {
    if (this.handle && this.handleSegment === segment) return this.handle;
    await this.closeHandle();
    this.handle = await open(segment.path, "r");
    this.handleSegment = segment;
    return this.handle;
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    this.handleSegment = undefined;
    await handle?.close().catch(() => undefined);
  }
}
