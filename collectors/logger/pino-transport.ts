import { Writable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { z } from "zod";
import { LoggerOptionsSchema, THRESHOLDS } from "./config.js";
import { parseOptions } from "./errors.js";
import { LEVEL_RANK } from "./levels.js";
import type { LoggerDeps } from "./logger.js";
import { LineSplitter, type PinoMapping, pinoEvent } from "./pino.js";
import { stderrDiagnostics } from "./reporter.js";
import { createShipper, type LoggerStats, machineHostname, type Shipper } from "./shipper.js";

/**
 * pino transport: `pino.transport({ target: "logpipe/pino-transport",
 * options: { service: "checkout", forwarder: { port: 24224 } } })`. pino runs it in a worker
 * thread and writes its JSON lines into the stream this returns; each line is mapped onto the
 * logger's record shape and shipped through the same bounded, acknowledged queue as
 * `createLogger`. Trace ids come from the records themselves (a pino mixin or the OpenTelemetry
 * pino instrumentation writes `trace_id`/`span_id`): the worker thread has no span context.
 */
export const PinoTransportOptionsSchema = LoggerOptionsSchema.extend({
  level: z
    .enum(THRESHOLDS)
    .default("trace")
    .describe(
      "Lowest level shipped; pino has already applied its own level, so the default ships everything.",
    ),
  messageKey: z.string().min(1).default("msg").describe("pino's messageKey: the field holding the message."),
  errorKey: z
    .string()
    .min(1)
    .default("err")
    .describe("pino's errorKey: the field holding a serialised error."),
}).describe("Options of the pino transport: the logger's options plus pino's key names.");

export type PinoTransportOptions = z.output<typeof PinoTransportOptionsSchema>;
export type PinoTransportOptionsInput = z.input<typeof PinoTransportOptionsSchema>;

/** Counters of the transport: the shipper's, plus lines that were not pino records. */
export interface PinoTransportStats extends LoggerStats {
  /** Lines that were not a JSON object; shipped with their text as the message. */
  malformed: number;
}

export type PinoTransportDeps = Pick<LoggerDeps, "now" | "log" | "sender" | "clock" | "random">;

/**
 * The stream pino writes to. Writes never wait on the network: lines are mapped and queued at
 * once, and a full queue drops and counts (as `createLogger` does), so a slow forwarder cannot
 * stall the application behind pino's buffer. `end()` flushes before the stream closes; pino's
 * `flush()` reaches `flush()`.
 */
export class PinoForwardStream extends Writable {
  private readonly shipper: Shipper;
  private readonly splitter: LineSplitter;
  private readonly decoder = new StringDecoder("utf8");
  private readonly mapping: PinoMapping;
  private readonly rank: number;
  private malformed = 0;

  constructor(
    private readonly options: PinoTransportOptions,
    deps: PinoTransportDeps = {},
  ) {
    super({ decodeStrings: false, autoDestroy: true });
    this.shipper = createShipper(options, {
      log: deps.log ?? stderrDiagnostics,
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.sender ? { sender: deps.sender } : {}),
      ...(deps.clock ? { clock: deps.clock } : {}),
      ...(deps.random ? { random: deps.random } : {}),
    });
    // A line longer than the whole queue could never be queued; skip it without buffering it.
    this.splitter = new LineSplitter(options.queue.maxBytes);
    this.rank = LEVEL_RANK[options.level];
    this.mapping = {
      service: options.service,
      env: options.env,
      host: options.host ?? machineHostname(),
      messageKey: options.messageKey,
      errorKey: options.errorKey,
      limits: options.limits,
      now: deps.now ?? Date.now,
    };
  }

  stats(): PinoTransportStats {
    return { ...this.shipper.stats(), malformed: this.malformed };
  }

  /** Resolves once every line written so far is acknowledged or given up (or after the timeout). */
  flush(timeoutMs?: number): Promise<void> {
    return this.shipper.flush(timeoutMs);
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const text = typeof chunk === "string" ? chunk : this.decoder.write(chunk as Buffer);
    this.take(text);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.take(this.decoder.end());
    const last = this.splitter.end();
    if (last !== undefined) this.line(last);
    this.shipper.close().then(
      () => callback(),
      (error: unknown) => callback(error as Error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Ended streams closed in _final already (close is idempotent); a destroyed one gives up now.
    this.shipper.close(this.writableFinished ? undefined : 0).then(
      () => callback(error),
      () => callback(error),
    );
  }

  private take(text: string): void {
    if (text === "") return;
    const { lines, oversized } = this.splitter.push(text);
    for (let i = 0; i < oversized; i++) this.shipper.drop("oversized");
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = undefined;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.malformed++;
      value = { [this.options.messageKey]: line, parse_error: "not a JSON object" };
    }
    try {
      const event = pinoEvent(value, this.mapping);
      const level = event.record["level"] as keyof typeof LEVEL_RANK;
      if (LEVEL_RANK[level] < this.rank) return;
      this.shipper.enqueue(event);
    } catch {
      this.shipper.drop("internal_error");
    }
  }
}

/** Keys pino's worker adds to the options it was given (thread-stream context, config handshake). */
const PINO_ADDED_KEYS = ["$context", "pinoWillSendConfig"];

/**
 * The transport entry point pino calls (in its worker thread) with the `options` given to
 * `pino.transport`, plus the keys pino itself adds. Throws a {@link ConfigError} naming every
 * bad option.
 */
export default async function pinoTransport(
  options: PinoTransportOptionsInput,
  deps: PinoTransportDeps = {},
): Promise<PinoForwardStream> {
  const own: Record<string, unknown> =
    typeof options === "object" && options !== null ? { ...(options as Record<string, unknown>) } : {};
  for (const key of PINO_ADDED_KEYS) delete own[key];
  return new PinoForwardStream(parseOptions(PinoTransportOptionsSchema, own), deps);
}
