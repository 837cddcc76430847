import { hostname } from "node:os";
import { setTimeout as sleepTimer } from "node:timers/promises";
import { type Clock, retry } from "../../core/retry.js";
import type { LoggerOptions } from "./config.js";
import { ForwarderError } from "./errors.js";
import { type ChunkSender, FluentChunkSender } from "./fluent-sender.js";
import { reason } from "./normalize.js";
import { EventQueue, type QueuedEvent } from "./queue.js";
import { type DiagnosticLog, type DropReason, Reporter } from "./reporter.js";

/** Counters of a logger (shared by all its children) since it was created. */
export interface LoggerStats {
  /** Events held now: waiting to be sent or sent and awaiting their ack. */
  queued: number;
  /** Estimated bytes of those events. */
  queuedBytes: number;
  /** Events in the chunk currently awaiting its ack. */
  inFlight: number;
  /** Events handed to the forwarder, each attempt counted (a retried event counts again). */
  sent: number;
  /** Events the forwarder acknowledged: they are in its durable buffer. */
  acked: number;
  /** Events given up after their last attempt, or still unsent when the logger closed. */
  failed: number;
  /** Events refused at `log()` (queue full, oversized, logger closed), never sent. */
  dropped: number;
  /** Resends of events whose chunk was not acknowledged. */
  retried: number;
}

export interface ShipperDeps {
  sender: ChunkSender;
  log: DiagnosticLog;
  /** Wall clock for report intervals. */
  now?: () => number;
  /** Backoff sleeps between attempts. */
  clock?: Clock;
  random?: () => number;
}

export type ShipperSettings = Pick<
  LoggerOptions,
  "queue" | "chunk" | "flushIntervalMs" | "maxRetries" | "retry" | "flushTimeoutMs" | "warnIntervalMs"
>;

/**
 * Backoff sleeps do not hold the process open: a process that finishes without `flush()` exits
 * instead of waiting out an outage (and `flush()` holds it open while it waits).
 */
export const unrefClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleepTimer(ms, undefined, signal ? { signal, ref: false } : { ref: false }),
};

interface FlushWaiter {
  /** Settled-event count at which every event accepted before the flush is settled. */
  target: number;
  done(): void;
}

/**
 * Moves events from the bounded queue to the forwarder: one chunk at a time, each acknowledged,
 * retried with backoff up to `maxRetries` times, then counted as failed. `enqueue` never waits
 * and never throws; what does not fit is dropped, counted and reported.
 */
export class Shipper {
  private readonly queue: EventQueue;
  private readonly reporter: Reporter;
  private readonly clock: Clock;
  private readonly abort = new AbortController();
  private readonly counts = { sent: 0, acked: 0, failed: 0, dropped: 0, retried: 0 };
  private inFlight = 0;
  /** Events accepted into the queue, ever. */
  private accepted = 0;
  /** Events acked or failed, ever. FIFO delivery makes "first N settled" hold. */
  private settled = 0;
  private waiters: FlushWaiter[] = [];
  private wake: (() => void) | undefined;
  private cutLinger: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly settings: ShipperSettings,
    private readonly deps: ShipperDeps,
  ) {
    this.queue = new EventQueue(settings.queue.maxEvents, settings.queue.maxBytes);
    this.reporter = new Reporter(settings.warnIntervalMs, deps.log, deps.now ?? Date.now);
    this.clock = deps.clock ?? unrefClock;
  }

  /** Queues an event for sending. False when it was dropped (and counted). */
  enqueue(event: QueuedEvent): boolean {
    if (this.stopping) return this.drop("closed");
    const outcome = this.queue.offer(event);
    if (outcome !== "queued") return this.drop(outcome === "full" ? "queue_full" : "oversized");
    this.accepted++;
    this.running ??= this.run().catch((error: unknown) => {
      // Not expected: deliver() settles every chunk. Say so rather than lose the loop silently.
      this.deps.log("error", `logger send loop stopped: ${reason(error)}`);
    });
    if (this.queue.waiting >= this.settings.chunk.maxEvents) this.cutLinger?.();
    this.wake?.();
    return true;
  }

  /** Counts an event that never reached the queue. */
  drop(why: DropReason): false {
    this.counts.dropped++;
    this.reporter.dropped(why);
    return false;
  }

  stats(): LoggerStats {
    return {
      queued: this.queue.events,
      queuedBytes: this.queue.bytes,
      inFlight: this.inFlight,
      ...this.counts,
    };
  }

  /**
   * Resolves once every event accepted before the call is acknowledged or given up, or after
   * `timeoutMs`, whichever comes first. Never rejects; `stats()` tells what happened.
   */
  flush(timeoutMs = this.settings.flushTimeoutMs): Promise<void> {
    const target = this.accepted;
    if (this.settled >= target) return Promise.resolve();
    this.cutLinger?.();
    return new Promise<void>((resolve) => {
      const waiter: FlushWaiter = {
        target,
        done: () => {
          clearTimeout(timer);
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve();
        },
      };
      const timer = setTimeout(() => waiter.done(), timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /**
   * Stops accepting events, waits up to `timeoutMs` for the outstanding ones (as `flush`), then
   * gives up on what is left (counted as failed and reported) and drops the connection.
   * Idempotent: later calls return the first call's promise.
   */
  close(timeoutMs = this.settings.flushTimeoutMs): Promise<void> {
    this.closing ??= this.shutdown(timeoutMs);
    return this.closing;
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.stopping = true;
    await this.flush(timeoutMs);
    this.abort.abort(new ForwarderError("closed", "the logger was closed before the forwarder acknowledged"));
    this.deps.sender.close();
    this.wake?.();
    await this.running;
    const unsent = this.queue.drain();
    if (unsent.length > 0) this.giveUp(unsent.length, "the logger was closed before they were sent");
    this.reporter.close();
  }

  private async run(): Promise<void> {
    let idle = true;
    for (;;) {
      if (this.queue.waiting === 0) {
        if (this.stopping) return;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
        idle = true;
        continue;
      }
      // The first event of an idle logger waits a moment for company, so a burst goes as one chunk.
      if (
        idle &&
        !this.stopping &&
        this.waiters.length === 0 &&
        this.queue.waiting < this.settings.chunk.maxEvents
      )
        await this.linger();
      idle = false;
      const chunk = this.queue.take(this.settings.chunk.maxEvents, this.settings.chunk.maxBytes);
      await this.deliver(chunk);
      this.queue.release(chunk);
      this.settled += chunk.length;
      for (const waiter of this.waiters) if (this.settled >= waiter.target) waiter.done();
    }
  }

  private linger(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.cutLinger = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.settings.flushIntervalMs);
      this.cutLinger = done;
    });
  }

  private async deliver(chunk: QueuedEvent[]): Promise<void> {
    try {
      await retry(
        async (attempt) => {
          if (attempt > 1) this.counts.retried += chunk.length;
          this.counts.sent += chunk.length;
          this.inFlight = chunk.length;
          try {
            await this.deps.sender.send(chunk);
          } finally {
            this.inFlight = 0;
          }
        },
        {
          classify: (error) =>
            error instanceof ForwarderError && error.code === "closed"
              ? { kind: "permanent" }
              : { kind: "retryable" },
          maxAttempts: this.settings.maxRetries + 1,
          maxElapsedMs: Number.POSITIVE_INFINITY,
          initialDelayMs: this.settings.retry.initialDelayMs,
          maxDelayMs: this.settings.retry.maxDelayMs,
          signal: this.abort.signal,
          clock: this.clock,
          ...(this.deps.random ? { random: this.deps.random } : {}),
        },
      );
      this.counts.acked += chunk.length;
    } catch (error) {
      this.giveUp(chunk.length, reason(error));
    }
  }

  private giveUp(count: number, why: string): void {
    this.counts.failed += count;
    this.reporter.gaveUp(count, why);
  }
}

/** The process's hostname, or a placeholder when the OS will not say. */
export function machineHostname(): string {
  try {
    return hostname() || "localhost";
  } catch {
    return "localhost";
  }
}

/** A shipper sending to the forwarder the options name, through fluent-logger. */
export function createShipper(
  options: LoggerOptions,
  deps: Partial<ShipperDeps> & { log: DiagnosticLog },
): Shipper {
  const f = options.forwarder;
  const sender =
    deps.sender ??
    new FluentChunkSender({
      host: f.host,
      port: f.port,
      tag: f.tagPrefix ?? options.service,
      ackTimeoutMs: options.ackTimeoutMs,
      maxChunkBytes: options.chunk.maxBytes,
      sharedKey: f.sharedKey,
      // Distinct from the forwarder's default self_hostname (the same machine's name), which
      // the handshake refuses.
      clientHostname: f.clientHostname ?? `${options.service}@${machineHostname()}`,
      tls:
        f.tls === false
          ? undefined
          : f.tls === true
            ? {}
            : {
                ...(f.tls.ca === undefined ? {} : { ca: f.tls.ca }),
                ...(f.tls.cert === undefined ? {} : { cert: f.tls.cert }),
                ...(f.tls.key === undefined ? {} : { key: f.tls.key }),
                ...(f.tls.servername === undefined ? {} : { servername: f.tls.servername }),
                rejectUnauthorized: f.tls.rejectUnauthorized,
              },
    });
  return new Shipper(options, { ...deps, sender });
}
