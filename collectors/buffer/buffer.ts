import { type FileHandle, mkdir, open, readFile, truncate, unlink } from "node:fs/promises";
import { resolve as resolvePath } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { type IngestBatch, ingestBatchSize } from "../../core/event/incoming.js";
import type { Logger } from "../../core/log.js";
import type { Counter, Gauge, MetricsRegistry } from "../../core/metrics.js";
import type { AppendOutcome, IngestTarget } from "../../core/stage.js";
import { encodeBatch } from "./codec.js";
import { type BufferConfig, BufferConfigSchema } from "./config.js";
import { type BufferConsumer, BufferConsumerImpl, type ConsumerHost } from "./consumer.js";
import { RecentKeys } from "./dedup.js";
import { BufferError } from "./errors.js";
import {
  acquireLock,
  cursorsDir,
  isValidConsumerName,
  listSegmentIds,
  readCursor,
  segmentPath,
  segmentsDir,
  syncDir,
  writeCursor,
} from "./files.js";
import { encodeFrame, MAX_FRAME_BODY_BYTES, normalizeDedupKey, scanFrames } from "./frame.js";
import { type Segment, writeAllAt } from "./segment.js";

export interface BufferDeps {
  /** One per output; each sees every record and keeps its own cursor. */
  consumers: string[];
  metrics: MetricsRegistry;
  log?: Logger;
  now?: () => number;
}

export interface BufferStats {
  /** Bytes on disk, including appends being written. */
  bytes: number;
  segments: number;
  /** Records not yet committed, per consumer. */
  pending: Record<string, number>;
}

/** What `open` found on disk. */
export interface RecoveryReport {
  segments: number;
  entries: number;
  records: number;
  /** Unreadable regions skipped inside segments. */
  corruptRegions: number;
  /** Bytes cut from segment ends (torn writes). */
  truncatedBytes: number;
  /** Segments deleted because they held no valid entry. */
  removedSegments: number;
}

interface QueuedAppend {
  frame: Buffer;
  firstSeq: number;
  count: number;
  key: string | undefined;
  resolve: () => void;
  reject: (error: Error) => void;
  segment?: Segment;
  offset?: number;
}

interface SpaceWaiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

interface BufferMetrics {
  bytes: Gauge;
  segments: Gauge;
  pending: Gauge;
  appendedRecords: Counter;
  appendedBytes: Counter;
  duplicates: Counter;
  fsyncs: Counter;
  corrupt: Counter;
  truncatedBytes: Counter;
  lostRecords: Counter;
  backpressure: Counter;
  committed: Counter;
  writeErrors: Counter;
  deletedSegments: Counter;
}

function createMetrics(registry: MetricsRegistry): BufferMetrics {
  return {
    bytes: registry.gauge("logpipe_buffer_bytes", "Bytes the durable buffer holds on disk"),
    segments: registry.gauge("logpipe_buffer_segments", "Segment files of the durable buffer"),
    pending: registry.gauge("logpipe_buffer_pending_records", "Records an output has not committed yet"),
    appendedRecords: registry.counter(
      "logpipe_buffer_appended_records_total",
      "Records stored in the buffer",
    ),
    appendedBytes: registry.counter(
      "logpipe_buffer_appended_bytes_total",
      "Bytes of entries stored in the buffer",
    ),
    duplicates: registry.counter(
      "logpipe_buffer_duplicates_total",
      "Appends answered `duplicate` because their dedup key was seen recently",
    ),
    fsyncs: registry.counter("logpipe_buffer_fsyncs_total", "fsync calls on segment files"),
    corrupt: registry.counter(
      "logpipe_buffer_corrupt_entries_total",
      "Unreadable regions of segment files that were skipped or cut, by reason",
    ),
    truncatedBytes: registry.counter(
      "logpipe_buffer_truncated_bytes_total",
      "Bytes cut from the end of segment files on open (torn writes)",
    ),
    lostRecords: registry.counter(
      "logpipe_buffer_lost_records_total",
      "Records of entries that could not be decoded and were skipped, per output",
    ),
    backpressure: registry.counter(
      "logpipe_buffer_backpressure_total",
      "Times the buffer reached max_bytes and the inputs had to wait",
    ),
    committed: registry.counter("logpipe_buffer_committed_records_total", "Records an output committed"),
    writeErrors: registry.counter(
      "logpipe_buffer_write_errors_total",
      "Failed writes or fsyncs of segment files",
    ),
    deletedSegments: registry.counter(
      "logpipe_buffer_deleted_segments_total",
      "Segment files deleted after every output passed them",
    ),
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The durable spool between inputs and outputs. Appends go to append-only segment files as
 * checksummed entries and are acknowledged only after the fsync that covers them (appends that
 * arrive during an fsync share the next one). Every output reads through its own consumer and
 * commits what it delivered; a segment is deleted once every output's persisted cursor has
 * passed it. On open, segments are verified: a torn tail is cut, corrupt entries are skipped,
 * and both are counted and logged.
 */
export class DurableBuffer implements IngestTarget {
  private readonly metrics: BufferMetrics;
  private readonly log: Logger | undefined;
  private readonly now: () => number;
  private readonly consumers = new Map<string, BufferConsumerImpl>();
  private readonly recent: RecentKeys;
  /** Keys of appends being written: a resend waits for the first copy instead of storing a second. */
  private readonly inflight = new Map<string, Promise<void>>();
  private segments: Segment[] = [];
  private active: Segment | undefined;
  private activeHandle: FileHandle | undefined;
  /** The active segment's file may hold bytes of a failed write: continue in a new one. */
  private rotateBeforeWrite = false;
  private nextSegmentId = 1;
  private nextSeq = 0;
  private bytes = 0;
  private queue: QueuedAppend[] = [];
  private writing: Promise<void> | undefined;
  private lastSyncAt = Number.NEGATIVE_INFINITY;
  private generation = 0;
  private changeWaiters = new Set<() => void>();
  private spaceWaiters = new Set<SpaceWaiter>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushChain: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private isClosed = false;
  readonly recovery: RecoveryReport = {
    segments: 0,
    entries: 0,
    records: 0,
    corruptRegions: 0,
    truncatedBytes: 0,
    removedSegments: 0,
  };

  private constructor(
    private readonly dir: string,
    private readonly config: BufferConfig,
    deps: BufferDeps,
    private readonly releaseLock: () => Promise<void>,
  ) {
    this.metrics = createMetrics(deps.metrics);
    this.log = deps.log;
    this.now = deps.now ?? Date.now;
    this.recent = new RecentKeys(config.dedup_window);
  }

  /** Opens (and recovers) the buffer in `config.dir`; the directory is locked to this process until `close`. */
  static async open(config: BufferConfig, deps: BufferDeps): Promise<DurableBuffer> {
    const settings = BufferConfigSchema.parse(config);
    if (deps.consumers.length === 0) {
      throw new BufferError("invalid_consumer", "the buffer needs at least one consumer (one per output)");
    }
    for (const name of deps.consumers) {
      if (!isValidConsumerName(name)) {
        throw new BufferError(
          "invalid_consumer",
          `consumer name "${name}" must be 1-128 characters of letters, digits, '_', '.' or '-'`,
        );
      }
    }
    if (new Set(deps.consumers).size !== deps.consumers.length) {
      throw new BufferError(
        "invalid_consumer",
        `consumer names must be unique: ${deps.consumers.join(", ")}`,
      );
    }
    const dir = resolvePath(settings.dir);
    await mkdir(segmentsDir(dir), { recursive: true });
    await mkdir(cursorsDir(dir), { recursive: true });
    const release = await acquireLock(dir);
    const buffer = new DurableBuffer(dir, settings, deps, release);
    try {
      await buffer.recover(deps.consumers);
    } catch (error) {
      await buffer.activeHandle?.close().catch(() => undefined);
      await release();
      throw error;
    }
    return buffer;
  }

  async append(batch: IngestBatch, dedupKey?: string): Promise<AppendOutcome> {
    if (this.isClosed) throw new BufferError("buffer_closed", "the buffer is closed");
    const count = ingestBatchSize(batch);
    if (count === 0) return "stored";
    const key =
      dedupKey === undefined || dedupKey === "" || this.config.dedup_window === 0
        ? undefined
        : normalizeDedupKey(dedupKey);
    if (key !== undefined) {
      for (;;) {
        if (this.recent.has(key)) {
          this.recent.add(key);
          this.metrics.duplicates.inc();
          return "duplicate";
        }
        const first = this.inflight.get(key);
        if (!first) break;
        await first.catch(() => undefined);
        if (this.isClosed) throw new BufferError("buffer_closed", "the buffer is closed");
      }
    }

    let payload: Uint8Array[];
    try {
      payload = encodeBatch(batch);
    } catch (error) {
      throw new BufferError("unencodable_records", `records cannot be stored: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    const payloadBytes = payload.reduce((total, part) => total + part.length, 0);
    if (payloadBytes > MAX_FRAME_BODY_BYTES - 2048) {
      throw new BufferError(
        "entry_too_large",
        `an append of ${payloadBytes} bytes exceeds the entry limit of ${MAX_FRAME_BODY_BYTES - 2048}; split it`,
      );
    }
    const firstSeq = this.nextSeq;
    const frame = encodeFrame(firstSeq, count, key, payload);
    this.nextSeq += count;
    const stored = new Promise<void>((resolve, reject) => {
      this.queue.push({ frame, firstSeq, count, key, resolve, reject });
    });
    if (key !== undefined) this.inflight.set(key, stored);
    this.addBytes(frame.length);
    this.kickWriter();
    try {
      await stored;
    } finally {
      if (key !== undefined && this.inflight.get(key) === stored) this.inflight.delete(key);
    }
    return "stored";
  }

  hasSpace(): boolean {
    return this.bytes < this.config.max_bytes;
  }

  waitForSpace(signal?: AbortSignal): Promise<void> {
    if (this.hasSpace()) return Promise.resolve();
    if (this.isClosed) return Promise.reject(new BufferError("buffer_closed", "the buffer is closed"));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.spaceWaiters.delete(waiter);
        reject(signal?.reason);
      };
      const waiter: SpaceWaiter = {
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.spaceWaiters.add(waiter);
    });
  }

  consumer(name: string): BufferConsumer {
    const consumer = this.consumers.get(name);
    if (!consumer) {
      throw new BufferError(
        "invalid_consumer",
        `no consumer "${name}"; declared at open: ${[...this.consumers.keys()].join(", ")}`,
      );
    }
    return consumer;
  }

  stats(): BufferStats {
    const pending: Record<string, number> = {};
    for (const [name, consumer] of this.consumers) pending[name] = consumer.pending;
    return { bytes: this.bytes, segments: this.segments.length, pending };
  }

  /** Waits for appends in flight, fsyncs, persists the cursors and releases the directory. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  // ---- what consumers call back into ----------------------------------------------------------

  private readonly host: ConsumerHost = {
    isClosed: () => this.isClosed,
    changeGeneration: () => this.generation,
    waitForChange: (generation, signal) => this.waitForChange(generation, signal),
    segmentAfter: (segment) => this.segments.find((s) => s.id > segment.id),
    reportCorrupt: (consumer, reason, fields, lost) => this.reportCorrupt(consumer, reason, fields, lost),
    committed: (consumer, released) => this.committed(consumer, released),
  };

  private waitForChange(generation: number, signal?: AbortSignal): Promise<void> {
    if (generation !== this.generation || this.isClosed) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.changeWaiters.delete(wake);
        reject(signal?.reason);
      };
      const wake = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.changeWaiters.add(wake);
    });
  }

  private reportCorrupt(
    consumer: string,
    reason: string,
    fields: Record<string, unknown>,
    lost: number,
  ): void {
    this.metrics.corrupt.inc({ reason });
    if (lost > 0) this.metrics.lostRecords.inc({ consumer }, lost);
    this.log?.("error", "buffer entry unreadable; skipped", {
      consumer,
      reason,
      lostRecords: lost,
      ...fields,
    });
  }

  private committed(consumer: BufferConsumerImpl, released: number): void {
    this.metrics.committed.inc({ consumer: consumer.name }, released);
    this.metrics.pending.set(consumer.pending, { consumer: consumer.name });
    this.scheduleFlush();
  }

  // ---- recovery -----------------------------------------------------------------------------

  private async recover(consumerNames: string[]): Promise<void> {
    const cursors = new Map<string, number>();
    for (const name of consumerNames) {
      const read = await readCursor(this.dir, name);
      if (read.kind === "invalid") {
        this.log?.("warn", "buffer cursor file unreadable; the output starts from the oldest record", {
          consumer: name,
          reason: read.reason,
        });
      }
      cursors.set(name, read.kind === "ok" ? read.seq : 0);
    }

    const starts = new Map<string, { segment: Segment; offset: number }>();
    const pending = new Map<string, number>(consumerNames.map((name) => [name, 0]));
    let seqEnd = 0;
    const ids = await listSegmentIds(this.dir);
    for (const [index, id] of ids.entries()) {
      this.nextSegmentId = id + 1;
      const path = segmentPath(this.dir, id);
      const bytes = await readFile(path);
      const segment: Segment = {
        id,
        path,
        endSeq: 0,
        size: bytes.length,
        visibleEnd: bytes.length,
        sealed: true,
        holes: undefined,
      };
      let entries = 0;
      for (const event of scanFrames(bytes)) {
        if (event.kind === "entry") {
          entries++;
          this.recovery.records += event.count;
          const end = event.firstSeq + event.count;
          segment.endSeq = end;
          seqEnd = Math.max(seqEnd, end);
          if (event.key !== undefined) this.recent.add(event.key);
          for (const [name, cursor] of cursors) {
            if (end <= cursor) continue;
            pending.set(name, pending.get(name)! + Math.min(event.count, end - cursor));
            if (!starts.has(name)) starts.set(name, { segment, offset: event.offset });
          }
        } else if (event.kind === "corrupt") {
          this.recovery.corruptRegions++;
          segment.holes ??= new Map();
          segment.holes.set(event.offset, event.bytes);
          this.metrics.corrupt.inc({ reason: event.reason });
          this.log?.("error", "buffer segment has a corrupt region; skipped", {
            segment: id,
            offset: event.offset,
            bytes: event.bytes,
            reason: event.reason,
          });
        } else {
          const last = index === ids.length - 1;
          await truncate(path, event.offset);
          segment.size = segment.visibleEnd = event.offset;
          this.recovery.truncatedBytes += event.bytes;
          this.metrics.truncatedBytes.inc(undefined, event.bytes);
          this.metrics.corrupt.inc({ reason: last ? "torn_tail" : "corrupt_tail" });
          this.log?.(last ? "warn" : "error", "buffer segment ends in an incomplete entry; cut it off", {
            segment: id,
            offset: event.offset,
            bytes: event.bytes,
            reason: event.reason,
          });
        }
      }
      if (entries === 0) {
        await unlink(path);
        this.recovery.removedSegments++;
        continue;
      }
      this.recovery.entries += entries;
      this.segments.push(segment);
      this.bytes += segment.size;
    }
    this.recovery.segments = this.segments.length;

    // A cursor can be ahead of every entry on disk (all consumed and deleted): new records must
    // number after it, or they would be skipped as already committed.
    this.nextSeq = Math.max(seqEnd, ...cursors.values());
    const active = await this.createSegment();
    for (const name of consumerNames) {
      const consumer = new BufferConsumerImpl(
        name,
        this.host,
        cursors.get(name)!,
        starts.get(name) ?? { segment: active, offset: 0 },
        pending.get(name)!,
      );
      this.consumers.set(name, consumer);
      this.metrics.pending.set(consumer.pending, { consumer: name });
    }
    this.metrics.bytes.set(this.bytes);
    this.log?.("info", "buffer opened", {
      dir: this.dir,
      ...this.recovery,
      pending: this.stats().pending,
    });
  }

  // ---- writing ------------------------------------------------------------------------------

  private addBytes(delta: number): void {
    const hadSpace = this.hasSpace();
    this.bytes += delta;
    this.metrics.bytes.set(this.bytes);
    if (hadSpace && !this.hasSpace()) {
      this.metrics.backpressure.inc();
      this.log?.("warn", "buffer full; inputs wait until outputs catch up", {
        bytes: this.bytes,
        maxBytes: this.config.max_bytes,
      });
    } else if (!hadSpace && this.hasSpace()) {
      const waiters = [...this.spaceWaiters];
      this.spaceWaiters.clear();
      for (const waiter of waiters) waiter.resolve();
    }
  }

  private kickWriter(): void {
    if (!this.writing) this.writing = this.writeLoop();
  }

  private async writeLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        if (this.config.fsync === "batch" && this.config.fsync_interval_ms > 0) {
          const wait = this.lastSyncAt + this.config.fsync_interval_ms - this.now();
          if (wait > 0) await delay(wait);
        }
        const group = this.queue;
        this.queue = [];
        await this.writeGroup(group);
      }
    } finally {
      // Cleared in the same tick as the last emptiness check, so an append queued from here on
      // starts a new loop.
      this.writing = undefined;
    }
  }

  /** Writes, syncs and acknowledges one group of appends; on failure rejects all of them. */
  private async writeGroup(group: QueuedAppend[]): Promise<void> {
    const touched = new Set<Segment>();
    try {
      let segment = this.rotateBeforeWrite || !this.active ? await this.rotate(false) : this.active;
      let run: Buffer[] = [];
      let runStart = segment.size;
      for (const item of group) {
        if (segment.size > 0 && segment.size + item.frame.length > this.config.segment_bytes) {
          await writeAllAt(this.activeHandle!, run, runStart);
          run = [];
          segment = await this.rotate(true);
          runStart = 0;
        }
        item.segment = segment;
        item.offset = segment.size;
        // Set before any write so a deletion check never sees a range smaller than the file's.
        segment.size += item.frame.length;
        segment.endSeq = item.firstSeq + item.count;
        touched.add(segment);
        run.push(item.frame);
      }
      await writeAllAt(this.activeHandle!, run, runStart);
      if (this.config.fsync === "batch") {
        await this.activeHandle!.datasync();
        this.metrics.fsyncs.inc();
        this.lastSyncAt = this.now();
      }
    } catch (error) {
      this.failGroup(group, touched, error);
      return;
    }
    this.publish(group);
    if (this.active && this.active.size >= this.config.segment_bytes) {
      // Keep the active segment below segment_bytes so a drained buffer can always free space.
      await this.rotate(true).catch((error: unknown) => {
        this.metrics.writeErrors.inc();
        this.rotateBeforeWrite = true;
        this.log?.("error", "buffer could not start a new segment", { error: errorMessage(error) });
      });
    }
  }

  private publish(group: QueuedAppend[]): void {
    let records = 0;
    let bytes = 0;
    for (const item of group) {
      item.segment!.visibleEnd = item.offset! + item.frame.length;
      if (item.key !== undefined) this.recent.add(item.key);
      records += item.count;
      bytes += item.frame.length;
      item.resolve();
    }
    for (const consumer of this.consumers.values()) {
      consumer.pending += records;
      this.metrics.pending.set(consumer.pending, { consumer: consumer.name });
    }
    this.metrics.appendedRecords.inc(undefined, records);
    this.metrics.appendedBytes.inc(undefined, bytes);
    this.notifyChange();
  }

  private failGroup(group: QueuedAppend[], touched: Set<Segment>, error: unknown): void {
    this.metrics.writeErrors.inc();
    const failure = new BufferError(
      "buffer_write_failed",
      `writing to the buffer failed: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
    this.log?.("error", "buffer write failed; the appends were not acknowledged", {
      error: errorMessage(error),
      appends: group.length,
    });
    // After a failed write or fsync the file's tail is unknown: cut it back to what was
    // acknowledged and continue in a fresh segment.
    for (const segment of touched) {
      segment.size = segment.visibleEnd;
      truncate(segment.path, segment.visibleEnd).catch(() => undefined);
    }
    this.rotateBeforeWrite = true;
    let bytes = 0;
    for (const item of group) bytes += item.frame.length;
    this.addBytes(-bytes);
    for (const item of group) item.reject(failure);
    this.notifyChange();
  }

  /** Seals the active segment (fsyncing it when `sync`) and starts the next one. */
  private async rotate(sync: boolean): Promise<Segment> {
    const handle = this.activeHandle;
    const previous = this.active;
    if (handle) {
      if (sync && this.config.fsync === "batch") {
        await handle.datasync();
        this.metrics.fsyncs.inc();
      }
      this.activeHandle = undefined;
      await handle.close().catch(() => undefined);
    }
    if (previous) previous.sealed = true;
    const next = await this.createSegment();
    this.rotateBeforeWrite = false;
    return next;
  }

  private async createSegment(): Promise<Segment> {
    const id = this.nextSegmentId++;
    const path = segmentPath(this.dir, id);
    const handle = await open(path, "wx");
    try {
      if (this.config.fsync === "batch") await syncDir(segmentsDir(this.dir));
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    const segment: Segment = { id, path, endSeq: 0, size: 0, visibleEnd: 0, sealed: false, holes: undefined };
    this.segments.push(segment);
    this.active = segment;
    this.activeHandle = handle;
    this.metrics.segments.set(this.segments.length);
    this.notifyChange();
    return segment;
  }

  private notifyChange(): void {
    this.generation++;
    const waiters = [...this.changeWaiters];
    this.changeWaiters.clear();
    for (const wake of waiters) wake();
  }

  // ---- cursors and deletion -----------------------------------------------------------------

  private scheduleFlush(): void {
    if (this.isClosed || this.flushTimer) return;
    // When inputs are waiting for space, free it now rather than after the usual interval.
    const wait = this.hasSpace() ? this.config.cursor_flush_interval_ms : 0;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flushCursors().catch((error: unknown) => {
        this.log?.("error", "buffer could not persist cursors; retrying on the next commit", {
          error: errorMessage(error),
        });
      });
    }, wait);
    this.flushTimer.unref();
  }

  private flushCursors(): Promise<void> {
    const run = this.flushChain.then(() => this.flushCursorsNow());
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  private async flushCursorsNow(): Promise<void> {
    const written: [BufferConsumerImpl, number][] = [];
    for (const consumer of this.consumers.values()) {
      const seq = consumer.tracker.committed;
      if (seq === consumer.persisted) continue;
      await writeCursor(this.dir, consumer.name, seq);
      written.push([consumer, seq]);
    }
    if (written.length === 0) return;
    await syncDir(cursorsDir(this.dir));
    for (const [consumer, seq] of written) consumer.persisted = seq;
    await this.deleteConsumedSegments();
  }

  private async deleteConsumedSegments(): Promise<void> {
    let oldestCursor = Number.POSITIVE_INFINITY;
    for (const consumer of this.consumers.values()) oldestCursor = Math.min(oldestCursor, consumer.persisted);
    let freed = 0;
    for (;;) {
      const segment = this.segments[0];
      if (!segment || segment === this.active || !segment.sealed || segment.visibleEnd < segment.size) break;
      if (segment.size > 0 && segment.endSeq > oldestCursor) break;
      await unlink(segment.path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      });
      this.segments.shift();
      freed += segment.size;
      this.metrics.deletedSegments.inc();
    }
    if (freed > 0) {
      this.metrics.segments.set(this.segments.length);
      this.addBytes(-freed);
    }
  }

  // ---- close --------------------------------------------------------------------------------

  private async closeNow(): Promise<void> {
    this.isClosed = true;
    this.notifyChange();
    const waiters = [...this.spaceWaiters];
    this.spaceWaiters.clear();
    for (const waiter of waiters) waiter.reject(new BufferError("buffer_closed", "the buffer is closed"));
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    while (this.writing) await this.writing;
    const handle = this.activeHandle;
    this.activeHandle = undefined;
    if (handle) {
      try {
        await handle.datasync();
        this.metrics.fsyncs.inc();
      } catch (error) {
        this.log?.("error", "buffer fsync on close failed", { error: errorMessage(error) });
      }
      await handle.close().catch(() => undefined);
    }
    try {
      await this.flushCursors();
    } catch (error) {
      // Cursors not persisted mean records delivered again after restart, never records lost.
      this.log?.("error", "buffer could not persist cursors on close", { error: errorMessage(error) });
    }
    for (const consumer of this.consumers.values()) await consumer.close();
    await this.releaseLock();
  }
}
