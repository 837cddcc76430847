import { newEventId } from "../../core/event/incoming.js";
import type { Clock } from "../../core/retry.js";
import {
  type LoggerOptions,
  type LoggerOptionsInput,
  LoggerOptionsSchema,
  type Threshold,
} from "./config.js";
import { parseOptions } from "./errors.js";
import type { ChunkSender } from "./fluent-sender.js";
import { LEVEL_RANK, type Level } from "./levels.js";
import { Normalizer } from "./normalize.js";
import { activeTraceIds, loadTraceApi, type ModuleImporter, type TraceApi } from "./otel.js";
import {
  buildRecord,
  type Fields,
  mergeFields,
  messageText,
  NO_FIELDS,
  type NormalizedFields,
  normalizeFields,
  type RecordCore,
  recordBytes,
} from "./record.js";
import { type DiagnosticLog, stderrDiagnostics } from "./reporter.js";
import { createShipper, type LoggerStats, machineHostname, type Shipper } from "./shipper.js";

export type { Fields } from "./record.js";
export type { LoggerStats } from "./shipper.js";

/** One log method: a message, then optional fields (an `Error` as the fields is taken as `err`). */
export type LogMethod = (message: string, fields?: Fields | Error) => void;

/**
 * A structured logger. Calls never wait and never throw: events go into a bounded queue and are
 * shipped to the forwarder in acknowledged chunks; when the queue is full they are dropped and
 * counted (and reported on stderr at most once per `warnIntervalMs`).
 *
 * Signature: `log.info("order placed", { order_id: 42 })`, message first. An `Error` under `err`
 * (or `error`, or as the fields themselves) becomes `error.type`, `error.message`, `error.stack`.
 */
export interface Logger {
  trace: LogMethod;
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  fatal: LogMethod;
  /** Logs at a level given at run time. */
  log(level: Level, message: string, fields?: Fields | Error): void;
  /** The threshold of this logger (children keep the one they were created with). */
  level: Threshold;
  isLevelEnabled(level: Level): boolean;
  /**
   * A logger whose events carry `bindings` (merged over this logger's, later keys winning),
   * sharing this logger's queue and connection.
   */
  child(bindings: Fields, options?: { level?: Threshold }): Logger;
  /** Resolves once optional integrations (OpenTelemetry) are loaded; logging works before. */
  readonly ready: Promise<void>;
  /** Events refused at `log()` since the logger was created (also in `stats()`). */
  readonly droppedCount: number;
  stats(): LoggerStats;
  /**
   * Resolves once every event logged before the call is acknowledged by the forwarder or given
   * up, or after `timeoutMs` (default `flushTimeoutMs`). Never rejects.
   */
  flush(timeoutMs?: number): Promise<void>;
  /** Flushes (as `flush`), then stops: later events are dropped and counted. Idempotent. */
  close(timeoutMs?: number): Promise<void>;
}

export interface LoggerDeps {
  /** Clock for event times and ids. */
  now?: () => number;
  /** Where the logger reports drops and failures; one line to stderr by default. */
  log?: DiagnosticLog;
  /**
   * The OpenTelemetry trace API (`trace` from `@opentelemetry/api`); `null` turns trace ids
   * off. Absent: imported lazily when the application has the package.
   */
  trace?: TraceApi | null;
  /** How the optional OpenTelemetry package is imported, when `trace` is absent. */
  importModule?: ModuleImporter;
  /** Replaces the fluent-logger connection. */
  sender?: ChunkSender;
  /** Backoff sleeps between attempts. */
  clock?: Clock;
  /** Jitter source. */
  random?: () => number;
}

/** State shared by a logger and all its children. */
class LoggerContext {
  readonly now: () => number;
  readonly host: string;
  trace: TraceApi | undefined;
  readonly ready: Promise<void>;

  /** A fresh one per event: a getter that logs while its object is being walked must not disturb the walk. */
  normalizer(): Normalizer {
    return new Normalizer(this.options.limits);
  }

  constructor(
    readonly options: LoggerOptions,
    readonly shipper: Shipper,
    deps: LoggerDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.host = options.host ?? machineHostname();
    if (deps.trace !== undefined) {
      this.trace = deps.trace ?? undefined;
      this.ready = Promise.resolve();
    } else {
      this.ready = loadTraceApi(deps.importModule).then((api) => {
        this.trace = api;
      });
    }
  }
}

class StructuredLogger implements Logger {
  private rank: number;
  private threshold: Threshold;

  constructor(
    private readonly ctx: LoggerContext,
    private readonly bound: NormalizedFields,
    level: Threshold,
  ) {
    this.threshold = level;
    this.rank = LEVEL_RANK[level];
  }

  readonly trace: LogMethod = (message, fields) => this.write("trace", message, fields);
  readonly debug: LogMethod = (message, fields) => this.write("debug", message, fields);
  readonly info: LogMethod = (message, fields) => this.write("info", message, fields);
  readonly warn: LogMethod = (message, fields) => this.write("warn", message, fields);
  readonly error: LogMethod = (message, fields) => this.write("error", message, fields);
  readonly fatal: LogMethod = (message, fields) => this.write("fatal", message, fields);

  log(level: Level, message: string, fields?: Fields | Error): void {
    // A level that is not one of the six (a JavaScript caller's typo) is still an event.
    this.write(
      LEVEL_RANK[level] === undefined || level === ("silent" as Level) ? "info" : level,
      message,
      fields,
    );
  }

  get level(): Threshold {
    return this.threshold;
  }

  set level(level: Threshold) {
    const rank = LEVEL_RANK[level];
    if (rank === undefined) return;
    this.threshold = level;
    this.rank = rank;
  }

  isLevelEnabled(level: Level): boolean {
    return LEVEL_RANK[level] >= this.rank;
  }

  child(bindings: Fields, options?: { level?: Threshold }): Logger {
    const extra = normalizeFields(bindings, this.ctx.normalizer());
    const level =
      options?.level !== undefined && LEVEL_RANK[options.level] !== undefined
        ? options.level
        : this.threshold;
    return new StructuredLogger(this.ctx, mergeFields(this.bound, extra), level);
  }

  get ready(): Promise<void> {
    return this.ctx.ready;
  }

  get droppedCount(): number {
    return this.ctx.shipper.stats().dropped;
  }

  stats(): LoggerStats {
    return this.ctx.shipper.stats();
  }

  flush(timeoutMs?: number): Promise<void> {
    return this.ctx.shipper.flush(timeoutMs);
  }

  close(timeoutMs?: number): Promise<void> {
    return this.ctx.shipper.close(timeoutMs);
  }

  private write(level: Level, message: unknown, fields: unknown): void {
    if (LEVEL_RANK[level] < this.rank) return;
    const { ctx } = this;
    try {
      const now = ctx.now();
      // log.error(err): the error is both the message and the fields.
      const callFieldsInput = fields === undefined && message instanceof Error ? message : fields;
      const normalizer = ctx.normalizer();
      const text = messageText(message, normalizer);
      const call = callFieldsInput === undefined ? NO_FIELDS : normalizeFields(callFieldsInput, normalizer);
      const ids = activeTraceIds(ctx.trace);
      const core: RecordCore = {
        id: newEventId(now),
        level,
        message: text,
        service: ctx.options.service,
        env: ctx.options.env,
        host: ctx.host,
        trace_id: ids?.trace_id,
        span_id: ids?.span_id,
      };
      ctx.shipper.enqueue({
        timeMs: now,
        record: buildRecord(core, this.bound, call),
        bytes: recordBytes(core, this.bound.bytes + call.bytes),
      });
    } catch {
      // Normalisation is total, so this is a bug; the event is still accounted for.
      ctx.shipper.drop("internal_error");
    }
  }
}

/**
 * Creates a logger. Options are validated at once (a {@link ConfigError} names every bad key);
 * nothing connects until the first event.
 */
export function createLogger(options: LoggerOptionsInput, deps: LoggerDeps = {}): Logger {
  const parsed = parseOptions(LoggerOptionsSchema, options);
  const shipper = createShipper(parsed, {
    log: deps.log ?? stderrDiagnostics,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.sender ? { sender: deps.sender } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.random ? { random: deps.random } : {}),
  });
  const ctx = new LoggerContext(parsed, shipper, deps);
  return new StructuredLogger(ctx, NO_FIELDS, parsed.level);
}
