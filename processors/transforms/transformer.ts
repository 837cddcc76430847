import type { IncomingRecord } from "../../core/event/incoming.js";
import type { Level, LogEvent } from "../../core/event/schema.js";
import { MetricsRegistry } from "../../core/metrics.js";
import { buildAliases, buildAliasTrie } from "./aliases.js";
import { attrText, type BoundCounts, boundText, buildAttrs } from "./bound.js";
import { type TransformsConfig, type TransformsConfigInput, TransformsConfigSchema } from "./config.js";
import { chooseId, chooseTime, contextString, serviceFromTag } from "./enrich.js";
import { type ParsedHttp, type ParseOptions, RecordParser } from "./parse.js";
import { compileRedactor, RedactionTally, type Redactor } from "./redact.js";
import { cutChars } from "./strings.js";
import { isIsoMillisOf, isoMillis, isValidTimeMs } from "./time.js";
import type { DropCode, Transform, TransformContext, TransformResult, TransformStats } from "./types.js";

/**
 * The transform chain, composed: parse → normalise level → drop by level → id → time → enrich →
 * redact and bound → event. Everything here is pure and synchronous; metrics are added by
 * `createTransformer` from the stats each result carries.
 */

/** A configuration compiled once for the hot path (alias table, regular expressions, limits). */
export interface CompiledTransforms {
  readonly config: TransformsConfig;
  readonly parse: ParseOptions;
  /** Reused per call, like `tally`. */
  readonly parser: RecordParser;
  readonly redactor: Redactor;
  readonly dropLevels: ReadonlySet<Level>;
  /** Reused per call: the transform is synchronous, so one call never sees another's state. */
  readonly tally: RedactionTally;
  /** Reused per call, like `tally`: what bounding changed in the current event. */
  readonly counts: BoundCounts;
  /** How bounding redacts (undefined when redaction is off); built once, it never changes. */
  readonly redaction: { redactor: Redactor; tally: RedactionTally } | undefined;
  /** Inputs stamp whole batches with one receive time; its ISO form is reused. */
  readonly ingestMemo: { ms: number; iso: string };
}

export function compileTransforms(config: TransformsConfig): CompiledTransforms {
  const limits = config.limits;
  const parse: ParseOptions = {
    aliases: buildAliasTrie(buildAliases(config.id_field)),
    idField: config.id_field,
    maxDepth: limits.max_depth,
    maxKeyLength: limits.max_key_length,
    // Enough entries to fill `_overflow` with small ones; the rest are only counted.
    maxStoredAttrs: limits.max_attrs + Math.ceil(limits.max_attr_value_bytes / 8),
    maxMessageChars: limits.max_message_bytes + 4096,
  };
  const redactor = compileRedactor(config.redact);
  const tally = new RedactionTally();
  return {
    config,
    parse,
    parser: new RecordParser(parse),
    redactor,
    dropLevels: new Set(config.drop_levels),
    tally,
    counts: { truncated: 0, overflowKeys: 0 },
    redaction: redactor.enabled ? { redactor, tally } : undefined,
    ingestMemo: { ms: Number.NaN, iso: "" },
  };
}

function drop(code: DropCode, reason: string, intentional = false): TransformResult {
  return { ok: false, code, reason, intentional };
}

/** The text of a thrown value; hostile values may throw again when read. */
function describe(error: unknown): string {
  try {
    return error instanceof Error ? String(error.message) : String(error);
  } catch {
    return "unprintable error";
  }
}

function ingestIso(compiled: CompiledTransforms, ms: number): string {
  const memo = compiled.ingestMemo;
  if (memo.ms !== ms) {
    memo.ms = ms;
    memo.iso = isoMillis(ms);
  }
  return memo.iso;
}

/**
 * Builds an event in schema order (so serialised events read the same way everywhere), leaving
 * absent fields out. Called with `new`, and its prototype is `Object.prototype`, so the event is
 * a plain object like a literal; unlike a literal given its fields one by one, it holds them all
 * in the object itself instead of regrowing a separate property store several times per event,
 * garbage that made the hot path collection-bound.
 */
function EventObject(
  this: Record<string, unknown>,
  id: string,
  timestamp: string,
  service: string,
  env: string | undefined,
  region: string | undefined,
  host: string | undefined,
  level: Level,
  message: string,
  traceId: string | undefined,
  spanId: string | undefined,
  requestId: string | undefined,
  http: ParsedHttp | undefined,
  source: string | undefined,
  logGroup: string | undefined,
  logStream: string | undefined,
  ingestTime: string | undefined,
  attrs: Record<string, string> | undefined,
): void {
  this.id = id;
  this["@timestamp"] = timestamp;
  this.service = service;
  if (env !== undefined) this.env = env;
  if (region !== undefined) this.region = region;
  if (host !== undefined) this.host = host;
  this.level = level;
  this.message = message;
  if (traceId !== undefined) this.trace_id = traceId;
  if (spanId !== undefined) this.span_id = spanId;
  if (requestId !== undefined) this.request_id = requestId;
  if (http !== undefined) this.http = http;
  if (source !== undefined) this.source = source;
  if (logGroup !== undefined) this.log_group = logGroup;
  if (logStream !== undefined) this.log_stream = logStream;
  if (ingestTime !== undefined) this.ingest_time = ingestTime;
  if (attrs !== undefined) this.attrs = attrs;
}
EventObject.prototype = Object.prototype;

type EventConstructor = new (...args: Parameters<typeof EventObject>) => LogEvent;

function transformUnsafe(
  compiled: CompiledTransforms,
  input: IncomingRecord,
  context: TransformContext | undefined,
): TransformResult {
  const { config, redactor } = compiled;
  const limits = config.limits;
  const parsed = compiled.parser.parseShared(input.record);

  const level: Level = parsed.level ?? "info";
  if (compiled.dropLevels.has(level)) return drop("dropped_level", `level ${level} is in drop_levels`, true);

  const id = chooseId(parsed.id, input.id);
  if (id === undefined)
    return drop("invalid_id", "neither the record nor the input carries an id of 1-128 characters");
  const timeMs = chooseTime(parsed.timeMs, input.time, input.receivedAt);
  if (timeMs === undefined)
    return drop("invalid_time", "no valid event time in the record, the input or the receive time");

  const tally = compiled.tally;
  tally.reset();
  const counts = compiled.counts;
  counts.truncated = 0;
  counts.overflowKeys = 0;
  const redaction = compiled.redaction;
  const attrLimit = limits.max_attr_value_bytes;

  // A record's own schema timestamp is reused rather than formatted again.
  const timestamp =
    parsed.timeText !== undefined && timeMs === parsed.timeMs && isIsoMillisOf(parsed.timeText, timeMs)
      ? parsed.timeText
      : isoMillis(timeMs);
  const service =
    parsed.service ??
    (config.service_from_tag ? serviceFromTag(input.tag) : undefined) ??
    config.defaults.service;
  const env = parsed.env ?? config.defaults.env;
  const region = parsed.region ?? config.defaults.region;
  const host = parsed.host ?? config.defaults.host;
  const message = boundText(parsed.message ?? "", limits.max_message_bytes, redaction, counts);
  const http = parsed.http;
  if (http !== undefined) {
    if (http.path !== undefined) http.path = boundText(http.path, attrLimit, redaction, counts);
    if (http.user_agent !== undefined)
      http.user_agent = boundText(http.user_agent, attrLimit, redaction, counts);
  }
  const source = parsed.source ?? contextString(input.source, 64);
  const logGroup = contextString(context?.log_group, 512) ?? parsed.log_group;
  const logStream = contextString(context?.log_stream, 512) ?? parsed.log_stream;
  let ingestTime: string | undefined;
  if (parsed.ingestMs !== undefined) ingestTime = isoMillis(parsed.ingestMs);
  else if (typeof input.receivedAt === "number" && isValidTimeMs(input.receivedAt))
    ingestTime = ingestIso(compiled, Math.floor(input.receivedAt));

  let extras: Record<string, string> | undefined;
  if (parsed.levelRaw !== undefined) {
    const raw = attrText(parsed.levelRaw, attrLimit, 1);
    if (raw !== undefined) extras = { level_raw: raw };
  }
  const attrs = buildAttrs(
    parsed.attrKeys,
    parsed.attrValues,
    parsed.attrsNotStored,
    extras,
    { maxAttrs: limits.max_attrs, maxAttrValueBytes: attrLimit, maxDepth: limits.max_depth },
    redactor,
    tally,
    counts,
    redaction,
    parsed.attrCount,
  );
  const result = new (EventObject as unknown as EventConstructor)(
    id,
    timestamp,
    service,
    env,
    region,
    host,
    level,
    message,
    parsed.trace_id,
    parsed.span_id,
    parsed.request_id,
    http,
    source,
    logGroup,
    logStream,
    ingestTime,
    attrs,
  );
  if (tally.total === 0 && counts.truncated === 0 && counts.overflowKeys === 0)
    return { ok: true, event: result };
  const stats: TransformStats = {};
  if (tally.total > 0) stats.redactions = tally.counts;
  if (counts.truncated > 0) stats.truncated = counts.truncated;
  if (counts.overflowKeys > 0) stats.overflowKeys = counts.overflowKeys;
  tally.reset();
  return { ok: true, event: result, stats };
}

/**
 * One received record → one `LogEvent` (always valid against `LogEventSchema`) or a drop with a
 * code and reason. Pure; never throws: an unexpected failure on hostile data is a
 * `transform_error` drop.
 */
export function transformRecord(
  compiled: CompiledTransforms,
  input: IncomingRecord,
  context?: TransformContext,
): TransformResult {
  try {
    return transformUnsafe(compiled, input, context);
  } catch (error) {
    return drop("transform_error", `transform failed: ${cutChars(describe(error), 200)}`);
  }
}

export interface TransformerDeps {
  metrics?: MetricsRegistry;
}

/**
 * The configured transform, counting into `deps.metrics` (a private registry when absent, so
 * drops are always counted): `logpipe_transform_events_total` (events kept),
 * `logpipe_transform_dropped_total{code}`, `logpipe_redactions_total{kind}`,
 * `logpipe_transform_truncated_total` and `logpipe_transform_overflow_keys_total`.
 * The config is validated once here (a parsed config passes through unchanged).
 */
export function createTransformer(config: TransformsConfigInput, deps: TransformerDeps = {}): Transform {
  const compiled = compileTransforms(TransformsConfigSchema.parse(config));
  const metrics = deps.metrics ?? new MetricsRegistry();
  const kept = metrics.counter("logpipe_transform_events_total", "Events transformed and kept.");
  const dropped = metrics.counter(
    "logpipe_transform_dropped_total",
    "Events dropped by the transforms, by code (dropped_level is intentional).",
  );
  const redactions = metrics.counter("logpipe_redactions_total", "Values redacted, by kind.");
  const truncated = metrics.counter("logpipe_transform_truncated_total", "Strings cut to their size bound.");
  const overflow = metrics.counter(
    "logpipe_transform_overflow_keys_total",
    "Attribute keys beyond max_attrs, folded into attrs._overflow.",
  );
  return (input, context) => {
    const result = transformRecord(compiled, input, context);
    if (!result.ok) {
      dropped.inc({ code: result.code });
      return result;
    }
    kept.inc();
    const stats = result.stats;
    if (stats !== undefined) {
      if (stats.redactions !== undefined) {
        for (const kind of Object.keys(stats.redactions)) redactions.inc({ kind }, stats.redactions[kind]);
      }
      if (stats.truncated !== undefined) truncated.inc(undefined, stats.truncated);
      if (stats.overflowKeys !== undefined) overflow.inc(undefined, stats.overflowKeys);
    }
    return result;
  };
}

export interface TransformDrop {
  /** Position of the input in the batch. */
  index: number;
  id: string;
  code: DropCode;
  reason: string;
  intentional: boolean;
}

/** Transforms a batch: the kept events in input order, and every drop with its position. */
export function transformBatch(
  transform: Transform,
  inputs: readonly IncomingRecord[],
  context?: TransformContext,
): { events: LogEvent[]; drops: TransformDrop[] } {
  const events: LogEvent[] = [];
  const drops: TransformDrop[] = [];
  for (let index = 0; index < inputs.length; index++) {
    const input = inputs[index]!;
    const result = transform(input, context);
    if (result.ok) events.push(result.event);
    else
      drops.push({
        index,
        id: input.id,
        code: result.code,
        reason: result.reason,
        intentional: result.intentional,
      });
  }
  return { events, drops };
}
