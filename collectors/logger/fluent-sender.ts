import type { Socket } from "node:net";
import type { ConnectionOptions } from "node:tls";
import fluent from "fluent-logger";
import { ForwarderError } from "./errors.js";
import type { QueuedEvent } from "./queue.js";

/** Sends chunks of events to the forwarder, one at a time, each acknowledged. */
export interface ChunkSender {
  /**
   * Sends the events as one chunk and resolves once the forwarder acknowledged it (that is, once
   * they are in its durable buffer); rejects with a {@link ForwarderError} otherwise. One call at
   * a time.
   */
  send(events: readonly QueuedEvent[]): Promise<void>;
  /** Drops the connection; a send in progress fails with `closed`. Idempotent. */
  close(): void;
}

export interface FluentChunkSenderOptions {
  host: string;
  port: number;
  tag: string;
  /** From hand-off to ack: connect, handshake, write and the forwarder's durable append. */
  ackTimeoutMs: number;
  /** Largest chunk the caller sends, so the sender never splits one on its own. */
  maxChunkBytes: number;
  sharedKey?: string | undefined;
  clientHostname: string;
  /** Connect over TLS with these options (host and port are added). */
  tls?: ConnectionOptions | undefined;
}

type Callback = (error?: Error) => void;

/**
 * The parts of fluent-logger's `FluentSender` this file relies on beyond its typed surface.
 * fluent-logger 3 offers no way to learn that a connection died under an unacknowledged chunk,
 * to drop a connection, or to let an idle one not hold the process open; the socket and the
 * disconnect are the only handles for that.
 */
interface SenderInternals {
  emit(data: Record<string, unknown>, time: object, callback: Callback): void;
  on(event: "error", listener: (error: Error) => void): void;
  _socket: Socket | null;
  _sendQueue: { clear?(): void };
  _flushSendQueueTimeoutId: ReturnType<typeof setTimeout> | null;
  _disconnect(): void;
}

type EventTimeClass = new (epoch: number, nano: number) => object;
const EventTime = (fluent as unknown as { EventTime: EventTimeClass }).EventTime;

/** Fluent EventTime (seconds + nanoseconds) for an epoch-milliseconds time. */
export function eventTime(timeMs: number): object {
  const ms = Math.max(0, Math.floor(timeMs));
  return new EventTime(Math.floor(ms / 1000), (ms % 1000) * 1_000_000);
}

const quiet = { info: () => undefined, error: () => undefined };

const CONNECT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ETIMEDOUT",
]);

interface Attempt {
  fail(error: ForwarderError): void;
}

/**
 * A {@link ChunkSender} over the `fluent-logger` client in PackedForward mode with acks. Every
 * chunk is emitted at once into a sender that flushes it as one frame with one chunk id, and the
 * per-event callbacks report the ack. After any failure the whole sender is thrown away and the
 * next attempt starts on a fresh one: fluent-logger keeps unsent entries, ack listeners and
 * timers of a failed chunk, which would otherwise leak into the next one.
 */
export class FluentChunkSender implements ChunkSender {
  private sender: SenderInternals | undefined;
  private current: Attempt | undefined;
  private closed = false;

  constructor(private readonly options: FluentChunkSenderOptions) {}

  send(events: readonly QueuedEvent[]): Promise<void> {
    if (this.closed) return Promise.reject(new ForwarderError("closed", "the logger is closed"));
    if (this.current)
      return Promise.reject(new Error("FluentChunkSender.send called while a chunk is in flight"));
    if (events.length === 0) return Promise.resolve();
    const sender = this.sender ?? this.open();
    return new Promise<void>((resolve, reject) => {
      let outstanding = events.length;
      let socket: Socket | null = null;
      const onClose = () =>
        finish(
          new ForwarderError(
            "connection_closed",
            "the forwarder closed the connection before acknowledging the chunk",
          ),
        );
      const timer = setTimeout(
        () =>
          finish(
            new ForwarderError(
              "ack_timeout",
              `no ack from the forwarder within ${this.options.ackTimeoutMs} ms`,
            ),
          ),
        this.options.ackTimeoutMs,
      );
      const attempt: Attempt = { fail: (error) => finish(error) };
      const finish = (error?: ForwarderError) => {
        if (this.current !== attempt) return;
        this.current = undefined;
        clearTimeout(timer);
        socket?.off("close", onClose);
        if (error) {
          this.discard(sender);
          reject(error);
        } else {
          // An idle connection must not keep a finished process alive.
          sender._socket?.unref();
          resolve();
        }
      };
      this.current = attempt;
      const onEvent: Callback = (error) => {
        if (error) finish(classify(error));
        else if (--outstanding === 0) finish();
      };
      try {
        for (const event of events) sender.emit(event.record, eventTime(event.timeMs), onEvent);
      } catch (error) {
        finish(classify(error));
        return;
      }
      socket = sender._socket;
      if (socket && this.current === attempt) {
        // While a chunk is unacknowledged the connection keeps the process alive.
        socket.ref();
        socket.once("close", onClose);
      }
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.current?.fail(
      new ForwarderError("closed", "the logger was closed before the chunk was acknowledged"),
    );
    if (this.sender) this.discard(this.sender);
  }

  private open(): SenderInternals {
    const o = this.options;
    const sender = fluent.createFluentSender(o.tag, {
      host: o.host,
      port: o.port,
      eventMode: "PackedForward",
      requireAckResponse: true,
      ackResponseTimeout: o.ackTimeoutMs,
      // 0 would mean fluent-logger's default of 100 ms; batching is done before the hand-off.
      flushInterval: 1,
      sendQueueSizeLimit: o.maxChunkBytes * 2,
      internalLogger: quiet,
      // Reconnecting is ours: fluent-logger's own retry timers cannot be cancelled.
      enableReconnect: false,
      ...(o.tls ? { tls: true, tlsOptions: o.tls } : {}),
      ...(o.sharedKey === undefined
        ? {}
        : { security: { clientHostname: o.clientHostname, sharedKey: o.sharedKey } }),
    } as fluent.Options) as unknown as SenderInternals;
    sender.on("error", (error) => {
      if (this.sender === sender) this.current?.fail(classify(error));
    });
    this.sender = sender;
    return sender;
  }

  private discard(sender: SenderInternals): void {
    if (this.sender === sender) this.sender = undefined;
    if (sender._flushSendQueueTimeoutId) clearTimeout(sender._flushSendQueueTimeoutId);
    sender._sendQueue.clear?.();
    sender._disconnect();
  }
}

/** What a fluent-logger or socket error means for the chunk. */
export function classify(error: unknown): ForwarderError {
  if (error instanceof ForwarderError) return error;
  const e = (error ?? {}) as { name?: unknown; code?: unknown; message?: unknown };
  const message = typeof e.message === "string" ? e.message : String(error);
  switch (e.name) {
    case "ResponseTimeoutError":
      return new ForwarderError("ack_timeout", `no ack from the forwarder: ${message}`, { cause: error });
    case "ResponseError":
      return new ForwarderError("ack_mismatch", `unexpected ack from the forwarder: ${message}`, {
        cause: error,
      });
    case "HandshakeError":
      return new ForwarderError("handshake_failed", `shared-key handshake failed: ${message}`, {
        cause: error,
      });
    default:
      if (typeof e.code === "string" && CONNECT_CODES.has(e.code))
        return new ForwarderError("connect_failed", `cannot connect to the forwarder: ${message}`, {
          cause: error,
        });
      return new ForwarderError("connection_closed", `connection to the forwarder failed: ${message}`, {
        cause: error,
      });
  }
}
