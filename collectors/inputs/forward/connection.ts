import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import {
  type IncomingRecord,
  type IngestBatch,
  ingestBatchSize,
  isPackedEntries,
  newEventId,
  type PackedEntries,
} from "../../../core/event/incoming.js";
import type { Logger } from "../../../core/log.js";
import type { AppendOutcome, IngestTarget } from "../../../core/stage.js";
import { type ForwardErrorCode, ForwardProtocolError } from "./errors.js";
import { type Frame, FrameDecoder } from "./frame-decoder.js";
import { gunzipBounded } from "./gzip.js";
import { encodeHelo, encodePongFailure, encodePongOk, isPing, parsePing, verifyPing } from "./handshake.js";
import type { ForwardMetrics } from "./metrics.js";
import {
  chunkDigest,
  decodeEntries,
  type EntryRejectCode,
  type EventFrame,
  encodeAck,
  packEntries,
  parseEventFrame,
} from "./protocol.js";

export interface ConnectionOptions {
  maxFrameBytes: number;
  maxDecompressedBytes: number;
  idleTimeoutMs: number;
  sharedKey?: string;
  selfHostname: string;
}

export interface ConnectionDeps {
  target: IngestTarget;
  metrics: ForwardMetrics;
  log: Logger;
  now: () => number;
  /** Aborted at shutdown: stops waiting for buffer space. */
  signal: AbortSignal;
}

/** Buffered-but-unprocessed bytes above which reading pauses while a frame is being stored. */
const HIGH_WATER_BYTES = 1024 * 1024;
/** Events of ack-less frames gathered before they are appended. */
const MAX_PENDING_RECORDS = 10_000;
/**
 * Unsent ack bytes above which reading pauses until the client reads. Generous, because some
 * clients (fluent-logger's PackedForward without requireAckResponse) send chunk ids but never
 * read the acks; they should stall late, not after a few hundred chunks.
 */
const MAX_UNREAD_ACK_BYTES = 1024 * 1024;
/** How long a closing connection may take to say goodbye before it is cut. */
const CLOSE_GRACE_MS = 2_000;

/**
 * One client connection. Frames are processed strictly in order, one at a time: decode,
 * append to the buffer, and only once the append resolved, ack. Frames without a `chunk`
 * option (no ack wanted) that arrive back to back are gathered into one append. When the
 * buffer is full, or too much is buffered, or the client does not read its acks, the socket
 * stops reading: TCP pushes back on the client and nothing is dropped or acked early.
 */
export class ForwardConnection {
  readonly closed: Promise<void>;
  private readonly decoder: FrameDecoder;
  private readonly remote: string;
  private phase: "handshake" | "open";
  private nonce: Buffer | undefined;
  private pumping: Promise<void> | undefined;
  private pending: (IncomingRecord[] | PackedEntries)[] = [];
  private pendingCount = 0;
  private peerEnded = false;
  private stopping = false;
  /** Set once the connection is going away: no more frames are processed. */
  private finished = false;
  private isClosed = false;
  private waitingForSpace = false;
  private waitingForDrain = false;
  private timeoutWhileBusy = false;
  private closingGracefully = false;
  /** Bytes arrived since the pump last asked the decoder for a frame. */
  private dirty = false;
  private readonly loggedRejects = new Set<string>();
  private resolveClosed!: () => void;

  constructor(
    private readonly socket: Socket,
    private readonly options: ConnectionOptions,
    private readonly deps: ConnectionDeps,
  ) {
    this.decoder = new FrameDecoder({ maxFrameBytes: options.maxFrameBytes });
    this.remote = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
    this.phase = options.sharedKey === undefined ? "open" : "handshake";
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  start(): void {
    const socket = this.socket;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("end", () => {
      this.peerEnded = true;
      this.schedule();
    });
    socket.on("error", (error) => this.onSocketError(error));
    socket.on("close", () => this.onClose());
    if (this.options.idleTimeoutMs > 0) {
      socket.setTimeout(this.options.idleTimeoutMs);
      socket.on("timeout", () => this.onTimeout());
    }
    if (this.phase === "handshake") {
      this.nonce = randomBytes(16);
      socket.write(encodeHelo(this.nonce));
    }
  }

  /**
   * Stops reading, lets the frames already received finish (appends complete, acks go out),
   * then closes. Resolves once the socket is closed.
   */
  async drainAndClose(): Promise<void> {
    this.stopping = true;
    this.updateFlow();
    while (this.pumping) await this.pumping;
    this.finishGracefully();
    await this.closed;
  }

  private onData(chunk: Buffer): void {
    if (this.finished || this.stopping) return;
    this.decoder.push(chunk);
    this.dirty = true;
    this.schedule();
    this.updateFlow();
  }

  private schedule(): void {
    if (this.pumping || this.finished) {
      if (this.finished && this.peerEnded) this.finishGracefully();
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      this.afterPump();
    });
  }

  private afterPump(): void {
    if (this.timeoutWhileBusy && !this.finished) {
      this.timeoutWhileBusy = false;
      this.socket.setTimeout(this.options.idleTimeoutMs);
    }
    if (!this.finished && this.dirty) {
      this.schedule();
      return;
    }
    if (!this.finished && this.peerEnded) {
      if (this.decoder.bufferedBytes > 0) {
        this.fail(
          new ForwardProtocolError(
            "truncated_frame",
            `client closed with ${this.decoder.bufferedBytes} bytes of an incomplete frame`,
          ),
        );
        return;
      }
      this.finishGracefully();
      return;
    }
    this.updateFlow();
  }

  private async pump(): Promise<void> {
    for (;;) {
      if (this.finished) return;
      let frame: Frame | undefined;
      this.dirty = false;
      try {
        frame = this.decoder.next();
      } catch (error) {
        await this.flushPending();
        this.fail(error);
        return;
      }
      this.updateFlow();
      if (!frame) {
        if (this.pendingCount === 0) return;
        if (!(await this.flushPending())) return;
        continue;
      }
      this.deps.metrics.frames.inc();
      try {
        if (this.phase === "handshake") this.handshake(frame);
        else await this.eventFrame(frame);
        if (this.socket.writableLength > MAX_UNREAD_ACK_BYTES) await this.waitForDrain();
      } catch (error) {
        await this.flushPending();
        this.fail(error);
        return;
      }
    }
  }

  private handshake(frame: Frame): void {
    if (!isPing(frame)) {
      throw new ForwardProtocolError("handshake_required", "data sent before the shared-key handshake");
    }
    const ping = parsePing(frame);
    const nonce = this.nonce!;
    const key = this.options.sharedKey!;
    if (!verifyPing(ping, nonce, key)) {
      this.report("shared_key_mismatch", "PING digest does not match the shared key", {
        client_hostname: ping.clientHostname.toString("utf8"),
      });
      this.finished = true;
      this.closingGracefully = true;
      this.socket.end(encodePongFailure("shared_key mismatch"));
      this.closeAfterGrace();
      return;
    }
    this.socket.write(encodePongOk(ping, nonce, key, this.options.selfHostname));
    this.phase = "open";
  }

  private async eventFrame(frame: Frame): Promise<void> {
    const { metrics } = this.deps;
    const parsed = parseEventFrame(frame);
    const entries = parsed.compressed
      ? await gunzipBounded(parsed.entries, this.options.maxDecompressedBytes)
      : parsed.entries;
    const receivedAt = this.deps.now();
    const digest = parsed.chunk ? chunkDigest(parsed.chunk, parsed.tagBytes, entries) : undefined;
    const batch = this.toBatch(parsed, entries, receivedAt, digest);
    const count = ingestBatchSize(batch);

    if (!parsed.chunk) {
      if (count > 0) this.gather(batch);
      if (this.pendingCount >= MAX_PENDING_RECORDS) await this.flushPending();
      return;
    }
    // Records of earlier ack-less frames go first: order on a connection is kept.
    if (!(await this.flushPending())) return;
    if (count > 0) {
      if (!(await this.waitForSpace())) return;
      const outcome = await this.append(batch, `${parsed.chunk.toString("latin1")}:${digest}`);
      if (outcome === undefined) return;
      if (outcome === "duplicate") metrics.duplicates.inc();
    }
    if (this.socket.destroyed || this.socket.writableEnded) return;
    // One write: Fluent Bit reads the ack with a single read and treats a partial one as failure.
    this.socket.write(encodeAck(parsed.chunk));
    metrics.acks.inc();
  }

  /**
   * The frame's events as the buffer will store them. Packed and Forward entries that all check
   * out are kept as the client's bytes (no record is decoded here: the output decodes each once);
   * a Message frame, or entries with a bad one among them, are decoded so the bad ones can be
   * skipped and counted.
   */
  private toBatch(
    parsed: EventFrame,
    entries: Buffer,
    receivedAt: number,
    digest: string | undefined,
  ): IncomingRecord[] | PackedEntries {
    const { metrics } = this.deps;
    let batch: IncomingRecord[] | PackedEntries | undefined;
    let timeDefaulted = 0;
    if (parsed.mode !== "message") {
      const packed = packEntries(parsed, entries, receivedAt, digest ?? newEventId(receivedAt));
      if (packed) ({ block: batch, timeDefaulted } = packed);
    }
    if (batch === undefined) {
      const decoded = decodeEntries(parsed, entries, {
        tag: parsed.tag,
        receivedAt,
        source: "forward",
        ...(digest === undefined ? {} : { digest }),
      });
      timeDefaulted = decoded.timeDefaulted;
      if (decoded.rejectedCount > 0) this.countRejects(decoded.rejected, parsed.tag);
      batch = decoded.records;
    }
    metrics.events.inc(undefined, ingestBatchSize(batch));
    if (timeDefaulted > 0) metrics.timeDefaulted.inc(undefined, timeDefaulted);
    return batch;
  }

  /** Holds an ack-less frame's events for the next append; Message frames' records are merged. */
  private gather(batch: IncomingRecord[] | PackedEntries): void {
    const last = this.pending[this.pending.length - 1];
    if (!isPackedEntries(batch) && last !== undefined && !isPackedEntries(last)) {
      last.push(...batch);
    } else {
      this.pending.push(batch);
    }
    this.pendingCount += ingestBatchSize(batch);
  }

  /** Appends the gathered ack-less events. False when the connection must stop. */
  private async flushPending(): Promise<boolean> {
    if (this.pendingCount === 0) return true;
    const batches = this.pending;
    const count = this.pendingCount;
    this.pending = [];
    this.pendingCount = 0;
    if (!(await this.waitForSpace())) {
      // The client asked for no acks, so it will not resend these: say so.
      this.deps.log("warn", "forward input stopped while the buffer was full; ack-less records not stored", {
        count,
        remote: this.remote,
      });
      return false;
    }
    // Queued together, the appends share one write and one fsync, and keep their order.
    const outcomes = await Promise.all(batches.map((batch) => this.append(batch)));
    return outcomes.every((outcome) => outcome !== undefined);
  }

  private async append(batch: IngestBatch, dedupKey?: string): Promise<AppendOutcome | undefined> {
    try {
      return await this.deps.target.append(batch, dedupKey);
    } catch (error) {
      this.fail(
        new ForwardProtocolError("append_failed", `buffer append failed: ${errorMessage(error)}`, {
          cause: error,
        }),
      );
      return undefined;
    }
  }

  /** Waits (not reading) until the buffer has room. False when shutdown interrupted the wait. */
  private async waitForSpace(): Promise<boolean> {
    const { target, signal } = this.deps;
    if (target.hasSpace()) return true;
    this.waitingForSpace = true;
    this.updateFlow();
    try {
      await target.waitForSpace(signal);
      return true;
    } catch {
      // Only shutdown aborts the wait; the client keeps what was not acked and resends it.
      this.finished = true;
      return false;
    } finally {
      this.waitingForSpace = false;
      this.updateFlow();
    }
  }

  /** A client that does not read its acks is not read from either (until shutdown). */
  private waitForDrain(): Promise<void> {
    this.waitingForDrain = true;
    this.updateFlow();
    const { signal } = this.deps;
    return new Promise<void>((resolve) => {
      const done = () => {
        this.socket.off("drain", done);
        this.socket.off("close", done);
        signal.removeEventListener("abort", done);
        this.waitingForDrain = false;
        this.updateFlow();
        resolve();
      };
      this.socket.on("drain", done);
      this.socket.on("close", done);
      if (signal.aborted) done();
      else signal.addEventListener("abort", done, { once: true });
    });
  }

  private updateFlow(): void {
    const socket = this.socket;
    if (this.isClosed || socket.destroyed) return;
    const pause =
      !this.finished &&
      (this.stopping ||
        this.waitingForSpace ||
        this.waitingForDrain ||
        (this.pumping !== undefined && this.decoder.bufferedBytes >= HIGH_WATER_BYTES));
    if (pause) {
      if (!socket.isPaused()) socket.pause();
    } else if (socket.isPaused()) {
      socket.resume();
    }
  }

  private onTimeout(): void {
    if (this.finished) return;
    if (this.pumping) {
      // The client is waiting on us (buffer full, append in progress), not idle.
      this.timeoutWhileBusy = true;
      return;
    }
    this.fail(new ForwardProtocolError("idle_timeout", `no data for ${this.options.idleTimeoutMs} ms`));
  }

  private onSocketError(error: Error): void {
    if (this.finished) return;
    this.fail(new ForwardProtocolError("socket_error", errorMessage(error), { cause: error }), "debug");
  }

  private onClose(): void {
    this.isClosed = true;
    this.finished = true;
    this.decoder.release();
    this.resolveClosed();
  }

  private fail(error: unknown, level: "debug" | "warn" = "warn"): void {
    if (this.finished) return;
    const problem =
      error instanceof ForwardProtocolError
        ? error
        : new ForwardProtocolError("malformed_msgpack", errorMessage(error), { cause: error });
    this.report(problem.code, problem.message, undefined, level);
    this.finished = true;
    this.decoder.release();
    this.socket.destroy();
  }

  private report(
    code: ForwardErrorCode,
    message: string,
    fields?: Record<string, unknown>,
    level: "debug" | "warn" = "warn",
  ): void {
    this.deps.metrics.errors.inc({ code });
    this.deps.log(level, `forward connection closed: ${message}`, { code, remote: this.remote, ...fields });
  }

  private countRejects(rejected: Partial<Record<EntryRejectCode, number>>, tag: string): void {
    for (const [code, count] of Object.entries(rejected)) {
      if (!count) continue;
      this.deps.metrics.entriesRejected.inc({ code }, count);
      // One line per reason per connection: a client sending only bad entries cannot flood the log.
      if (!this.loggedRejects.has(code)) {
        this.loggedRejects.add(code);
        this.deps.log("warn", `forward entries skipped: ${code}`, { code, count, tag, remote: this.remote });
      }
    }
  }

  /** Half-closes after the last ack, then waits for the client to close (or cuts it). */
  private finishGracefully(): void {
    if (this.isClosed || this.closingGracefully) return;
    this.closingGracefully = true;
    this.finished = true;
    this.decoder.release();
    if (!this.socket.writableEnded) this.socket.end();
    // Read (and discard) until the client's FIN, so the socket can close.
    if (this.socket.isPaused()) this.socket.resume();
    this.closeAfterGrace();
  }

  private closeAfterGrace(): void {
    const timer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    void this.closed.then(() => clearTimeout(timer));
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
