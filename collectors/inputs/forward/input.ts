import { readFile } from "node:fs/promises";
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { hostname } from "node:os";
import { createServer as createTlsServer } from "node:tls";
import type { Logger } from "../../../core/log.js";
import type { MetricsRegistry } from "../../../core/metrics.js";
import type { IngestTarget, Input } from "../../../core/stage.js";
import type { ForwardInputConfig } from "./config.js";
import { ForwardConnection } from "./connection.js";
import { ForwardMetrics } from "./metrics.js";

export interface ForwardInputDeps {
  metrics: MetricsRegistry;
  log?: Logger;
  /** Clock for receive times and event ids. */
  now?: () => number;
}

/** At most one "connection limit reached" line per this many milliseconds. */
const LIMIT_LOG_INTERVAL_MS = 10_000;

/**
 * The Fluent forward protocol server: Fluent Bit, Fluentd and fluent-logger clients connect
 * over TCP (or TLS), send Message, Forward, PackedForward or CompressedPackedForward frames,
 * and get `{ack: chunk}` once their events are in the durable buffer.
 */
export class ForwardInput implements Input {
  readonly name = "forward";
  private readonly metrics: ForwardMetrics;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly abort = new AbortController();
  private readonly connections = new Set<ForwardConnection>();
  private server: Server | undefined;
  private bound: string | undefined;
  private openSockets = 0;
  private readonly rawSockets = new Set<Socket>();
  private lastLimitLog = Number.NEGATIVE_INFINITY;
  /** Sockets refused at the limit: their TLS layer failing is not a separate error. */
  private readonly refused = new WeakSet<Socket>();
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly config: ForwardInputConfig,
    private readonly target: IngestTarget,
    deps: ForwardInputDeps,
  ) {
    this.metrics = new ForwardMetrics(deps.metrics);
    this.log = deps.log ?? (() => undefined);
    this.now = deps.now ?? Date.now;
  }

  start(): Promise<void> {
    this.starting ??= this.listen();
    return this.starting;
  }

  /** `tcp://host:port` (or `tls://`) with the port actually bound, once started. */
  address(): string | undefined {
    return this.bound;
  }

  /**
   * Stops accepting, lets frames already received finish (appends complete, acks go out),
   * then closes every connection. Idempotent; safe without `start()`.
   */
  shutdown(): Promise<void> {
    this.stopping ??= this.stop();
    return this.stopping;
  }

  private async listen(): Promise<void> {
    const { config } = this;
    if (!config.enabled || this.stopping) return;
    const server = config.tls ? await this.tlsServer() : createNetServer({ allowHalfOpen: true });
    if (this.stopping) return;
    server.on("connection", (socket: Socket) => this.onRawConnection(socket));
    if (config.tls) {
      server.on("secureConnection", (socket: Socket) => this.serve(socket));
      server.on("tlsClientError", (error: Error, socket: Socket) => {
        // A failed handshake leaves the socket open unless it is destroyed here.
        socket.destroy();
        if (this.refused.has(socket) || this.stopping) return;
        this.metrics.errors.inc({ code: "tls_error" });
        this.log("warn", `forward connection closed: TLS handshake failed: ${error.message}`, {
          code: "tls_error",
          remote: `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`,
        });
      });
    } else {
      server.on("connection", (socket: Socket) => this.serve(socket));
    }
    server.on("error", (error) => this.log("error", `forward listener error: ${error.message}`));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      server.once("error", onError);
      server.listen(config.port, config.host, () => {
        server.off("error", onError);
        resolve();
      });
    });
    const address = server.address();
    if (address && typeof address === "object") {
      const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
      this.bound = `${config.tls ? "tls" : "tcp"}://${host}:${address.port}`;
    }
    this.log("info", `forward input listening on ${this.bound}`);
  }

  private async tlsServer(): Promise<Server> {
    const tls = this.config.tls!;
    const [cert, key, ca] = await Promise.all([
      readFile(tls.cert_file),
      readFile(tls.key_file),
      tls.ca_file ? readFile(tls.ca_file) : Promise.resolve(undefined),
    ]);
    return createTlsServer({
      cert,
      key,
      ...(ca ? { ca, requestCert: true, rejectUnauthorized: true } : {}),
      allowHalfOpen: true,
      handshakeTimeout:
        this.config.idle_timeout_ms > 0 ? Math.min(this.config.idle_timeout_ms, 120_000) : 120_000,
    });
  }

  /** Counts every TCP connection (TLS or not) against the limit before anything else. */
  private onRawConnection(socket: Socket): void {
    if (this.stopping || this.openSockets >= this.config.max_connections) {
      if (!this.stopping) {
        this.metrics.errors.inc({ code: "too_many_connections" });
        const now = this.now();
        if (now - this.lastLimitLog >= LIMIT_LOG_INTERVAL_MS) {
          this.lastLimitLog = now;
          this.log(
            "warn",
            `forward connection refused: max_connections (${this.config.max_connections}) open`,
            {
              code: "too_many_connections",
            },
          );
        }
      }
      this.refused.add(socket);
      socket.destroy();
      return;
    }
    this.openSockets++;
    this.rawSockets.add(socket);
    this.metrics.connections.set(this.openSockets);
    this.metrics.connectionsAccepted.inc();
    // A socket destroyed before any listener would otherwise throw its error.
    socket.on("error", () => undefined);
    socket.once("close", () => {
      this.rawSockets.delete(socket);
      this.openSockets--;
      this.metrics.connections.set(this.openSockets);
    });
  }

  private serve(socket: Socket): void {
    if (socket.destroyed) return;
    const connection = new ForwardConnection(
      socket,
      {
        maxFrameBytes: this.config.max_frame_bytes,
        maxDecompressedBytes: this.config.max_decompressed_bytes,
        idleTimeoutMs: this.config.idle_timeout_ms,
        ...(this.config.shared_key === undefined ? {} : { sharedKey: this.config.shared_key }),
        selfHostname: this.config.self_hostname ?? hostname(),
      },
      { target: this.target, metrics: this.metrics, log: this.log, now: this.now, signal: this.abort.signal },
    );
    this.connections.add(connection);
    void connection.closed.then(() => this.connections.delete(connection));
    connection.start();
  }

  private async stop(): Promise<void> {
    await this.starting?.catch(() => undefined);
    const server = this.server;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    // Frames already received are finished; waiting for buffer space is not (the client resends).
    this.abort.abort(new Error("forward input shutting down"));
    await Promise.all([...this.connections].map((c) => c.drainAndClose()));
    // Sockets that never became a connection (e.g. stuck in a TLS handshake) would hold close() open.
    for (const socket of this.rawSockets) socket.destroy();
    await closed;
    this.bound = undefined;
  }
}
