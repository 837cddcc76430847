import { PipelineError } from "../../core/errors.js";
import type { IncomingRecord } from "../../core/event/incoming.js";
import type { LogEvent } from "../../core/event/schema.js";
import { sealEvent } from "../../core/event/sealed.js";
import { CLOUDWATCH_LOGS } from "../../core/limits.js";
import { type Counter, MetricsRegistry } from "../../core/metrics.js";
import { type Clock, systemClock } from "../../core/retry.js";
import type { Sink } from "../../core/stage.js";
import {
  type CompiledServiceLogs,
  compileServiceLogs,
  selectServiceLogParser,
  toIncomingRecord,
} from "../transforms/aws/index.js";
import type { Transform } from "../transforms/index.js";
import type { CloudWatchLogsEvent, SubscriptionMessage } from "./aws-events.js";
import type { DeadLetterEntry, DeadLetterSink } from "./dead-letter.js";
import { DEFAULT_MAX_DECODED_BYTES, decodeSubscriptionEvent, invalidLogEvent } from "./decode.js";
import { deliverToSink, type SinkReport, writeDeadLetters } from "./deliver.js";
import { contextOf, logEventInput, logGroupTag } from "./log-events.js";
import { defaultSafetyMarginMs, invocationDeadlines, type Logger } from "./timing.js";

/**
 * The CloudWatch Logs subscription processor: decode → transform → fan out to every sink in
 * parallel → dead-letter what can never be delivered. Pure orchestration over injected sinks,
 * so it runs in tests with in-memory sinks and in Lambda with OpenSearch and the S3 lake.
 *
 * Failing the invocation is how work gets retried: CloudWatch Logs invokes the function
 * asynchronously, and Lambda runs a failed invocation again with the same payload. That resends
 * events some sink already accepted, which is harmless by design: the event id is the OpenSearch
 * `_id` (a resent event overwrites itself, or is answered 409 and counted as written) and every
 * lake row carries it, so SQL can deduplicate.
 */

export interface SubscriptionProcessorDeps {
  transform: Transform;
  sinks: readonly Sink<LogEvent>[];
  deadLetter: DeadLetterSink;
  clock?: Clock;
  /** Jitter source of the retry loop; injected so tests are deterministic. */
  random?: () => number;
  log?: Logger;
  metrics?: MetricsRegistry;
  /** See `LOGPIPE_SERVICE_FROM_LOG_GROUP`. */
  serviceFromLogGroup?: RegExp | undefined;
  /**
   * AWS service logs (VPC Flow Logs, CloudTrail, ALB) recognised by log group name; their lines
   * are parsed into the schema before the transforms. Defaults to the built-in patterns.
   */
  serviceLogs?: CompiledServiceLogs;
  /** The transforms' `id_field`, so extracted fields never stand in for the message's id. */
  idField?: string | null;
  maxDecodedBytes?: number;
  /** Time kept back from retrying, given the time left; see `defaultSafetyMarginMs`. */
  safetyMarginMs?: (remainingMs: number) => number;
  retryInitialDelayMs?: number;
  retryMaxDelayMs?: number;
}

export interface InvocationInfo {
  /** What `context.getRemainingTimeInMillis()` said at the start. */
  remainingMs: number;
  requestId: string;
}

export interface SubscriptionSummary {
  messageType: string;
  logGroup: string;
  /** Log events in the payload. */
  events: number;
  /** Events the transforms kept (and the sinks were given). */
  kept: number;
  /** Dropped on purpose (e.g. `drop_levels`): counted only. */
  droppedIntentionally: number;
  /** Unusable events, written to the dead-letter location. */
  invalid: number;
  /** Per sink: accepted, rejected (dead-lettered) and what was left retryable. */
  sinks: Record<string, { accepted: number; rejected: number; leftover: number; attempts: number }>;
}

/** Some sink still had retryable work when the invocation's time ran out. */
export class SubscriptionRetryError extends PipelineError {
  override name = "SubscriptionRetryError";
  constructor(
    readonly leftover: Record<string, number>,
    readonly summary: SubscriptionSummary,
    sample: string,
  ) {
    const parts = Object.entries(leftover)
      .filter(([, n]) => n > 0)
      .map(([sink, n]) => `${sink}: ${n}`);
    super(
      "sending",
      "retry_exhausted",
      `events still retryable when the invocation's time ran out (${parts.join(", ")}): ${sample}; failing the invocation so Lambda delivers the batch again`,
    );
  }
}

/** Dead letters could not be stored, so the batch must be processed again. */
export class DeadLetterFailedError extends PipelineError {
  override name = "DeadLetterFailedError";
  constructor(cause: unknown) {
    super(
      "sending",
      "dead_letter_failed",
      `dead letters could not be stored: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

export interface SubscriptionProcessor {
  process(event: CloudWatchLogsEvent, invocation: InvocationInfo): Promise<SubscriptionSummary>;
}

interface Metrics {
  messages: Counter;
  events: Counter;
  sinkEvents: Counter;
  deadLetters: Counter;
}

function metricsOf(registry: MetricsRegistry): Metrics {
  return {
    messages: registry.counter(
      "logpipe_subscription_messages_total",
      "Subscription payloads handled, by messageType.",
    ),
    events: registry.counter(
      "logpipe_subscription_events_total",
      "Log events of data messages, by outcome (kept, dropped_intentionally, invalid).",
    ),
    sinkEvents: registry.counter(
      "logpipe_subscription_sink_events_total",
      "Events per sink and final outcome of an invocation (accepted, rejected, leftover).",
    ),
    deadLetters: registry.counter(
      "logpipe_subscription_dead_letters_total",
      "Events written to the dead-letter location, by output and code.",
    ),
  };
}

export interface TransformMessageOptions {
  transform: Transform;
  /** Compiled once per processor (`compileServiceLogs`). */
  serviceLogs: CompiledServiceLogs;
  /** The transforms' `id_field`. */
  idField: string | null;
  serviceFromLogGroup?: RegExp | undefined;
  /** When the payload was received, epoch milliseconds. */
  receivedAt: number;
  /** The same instant as ISO text, for dead letters. */
  nowIso: string;
}

export interface TransformedMessage {
  /** Kept events, sealed (see `sealEvent`): serialised once for every sink. */
  events: LogEvent[];
  deadLetters: DeadLetterEntry[];
  /** Dropped on purpose. */
  intentional: number;
}

/** The log events of a data message → events for the sinks, dead letters and a count of drops. */
export function transformMessage(
  message: SubscriptionMessage,
  options: TransformMessageOptions,
): TransformedMessage {
  const { receivedAt, nowIso } = options;
  const tag = logGroupTag(message.logGroup, { serviceFromLogGroup: options.serviceFromLogGroup });
  const origin = {
    logGroup: message.logGroup,
    logStream: message.logStream,
    receivedAt,
    idField: options.idField,
  };
  const context = contextOf(origin);
  const serviceLog = selectServiceLogParser({ log_group: message.logGroup }, options.serviceLogs);
  const events: LogEvent[] = [];
  const deadLetters: DeadLetterEntry[] = [];
  let intentional = 0;
  for (const raw of message.logEvents as unknown[]) {
    const problem = invalidLogEvent(raw);
    if (problem !== undefined) {
      deadLetters.push({
        output: "transform",
        code: "invalid_log_event",
        reason: problem,
        time: nowIso,
        event: raw,
      });
      continue;
    }
    const logEvent = raw as SubscriptionMessage["logEvents"][number];
    let input: IncomingRecord;
    if (serviceLog) {
      const parsed = serviceLog.parseMessage(logEvent.message);
      if (!parsed.ok) {
        deadLetters.push({
          output: "transform",
          code: parsed.code,
          reason: `${serviceLog.kind}: ${parsed.reason}`,
          time: nowIso,
          event: { ...logEvent, log_group: message.logGroup, log_stream: message.logStream },
        });
        continue;
      }
      input = toIncomingRecord(parsed, {
        id: logEvent.id,
        time: logEvent.timestamp,
        receivedAt,
        source: "cloudwatch",
      });
    } else {
      input = logEventInput(logEvent, origin, tag);
    }
    const result = options.transform(input, context);
    if (result.ok) events.push(sealEvent(result.event));
    else if (result.intentional) intentional++;
    else
      deadLetters.push({
        output: "transform",
        code: result.code,
        reason: result.reason,
        time: nowIso,
        event: { ...(raw as object), log_group: message.logGroup, log_stream: message.logStream },
      });
  }
  return { events, deadLetters, intentional };
}

export function createSubscriptionProcessor(deps: SubscriptionProcessorDeps): SubscriptionProcessor {
  const clock = deps.clock ?? systemClock;
  const log: Logger = deps.log ?? (() => {});
  const metrics = metricsOf(deps.metrics ?? new MetricsRegistry());
  const margin = deps.safetyMarginMs ?? defaultSafetyMarginMs;
  const maxDecodedBytes = deps.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES;
  const initialDelayMs = deps.retryInitialDelayMs ?? 200;
  const maxDelayMs = deps.retryMaxDelayMs ?? 5_000;
  const idField = deps.idField === undefined ? "id" : deps.idField;
  const serviceLogs = deps.serviceLogs ?? compileServiceLogs();

  return {
    async process(event, invocation) {
      // Measured before decoding, which spends part of the time Lambda reported.
      const deadlines = invocationDeadlines(clock, invocation.remainingMs, margin(invocation.remainingMs));
      // Decoding first: a bad payload throws here, before any write.
      const message = await decodeSubscriptionEvent(event, maxDecodedBytes);
      metrics.messages.inc({ type: message.messageType });
      const summary: SubscriptionSummary = {
        messageType: message.messageType,
        logGroup: message.logGroup,
        events: message.logEvents.length,
        kept: 0,
        droppedIntentionally: 0,
        invalid: 0,
        sinks: {},
      };
      // CloudWatch sends a control message to check that the destination is reachable.
      if (message.messageType === CLOUDWATCH_LOGS.SUBSCRIPTION_MESSAGE_TYPES.CONTROL) {
        summary.events = 0;
        return summary;
      }

      const now = clock.now();
      const nowIso = new Date(now).toISOString();
      const { events, deadLetters, intentional } = transformMessage(message, {
        transform: deps.transform,
        serviceLogs,
        idField,
        serviceFromLogGroup: deps.serviceFromLogGroup,
        receivedAt: now,
        nowIso,
      });
      summary.kept = events.length;
      summary.droppedIntentionally = intentional;
      summary.invalid = deadLetters.length;
      metrics.events.inc({ outcome: "kept" }, events.length);
      if (intentional > 0) metrics.events.inc({ outcome: "dropped_intentionally" }, intentional);
      if (deadLetters.length > 0) metrics.events.inc({ outcome: "invalid" }, deadLetters.length);

      const timing = {
        clock,
        random: deps.random,
        initialDelayMs,
        maxDelayMs,
      };
      const dlqContext = { requestId: invocation.requestId, signal: deadlines.finishSignal };
      const failures: unknown[] = [];
      const deadLetter = async (entries: DeadLetterEntry[]) => {
        try {
          await writeDeadLetters(deps.deadLetter, entries, dlqContext, {
            ...timing,
            retryUntil: deadlines.finishUntil,
          });
          for (const entry of entries) metrics.deadLetters.inc({ output: entry.output, code: entry.code });
        } catch (error) {
          failures.push(error);
        }
      };

      const reports: SinkReport[] = [];
      await Promise.all([
        deadLetter(deadLetters),
        ...(events.length === 0
          ? []
          : deps.sinks.map(async (sink) => {
              const report = await deliverToSink(sink, events, {
                ...timing,
                retryUntil: deadlines.retryUntil,
                signal: deadlines.sinkSignal,
              });
              reports.push(report);
              await deadLetter(
                report.rejected.map((item) => ({
                  output: sink.name,
                  code: item.code,
                  reason: item.reason,
                  time: new Date(clock.now()).toISOString(),
                  event: events[item.index],
                })),
              );
            })),
      ]);

      const leftover: Record<string, number> = {};
      let sample = "";
      for (const report of reports) {
        summary.sinks[report.sink] = {
          accepted: report.accepted,
          rejected: report.rejected.length,
          leftover: report.leftover.length,
          attempts: report.attempts.length,
        };
        metrics.sinkEvents.inc({ sink: report.sink, outcome: "accepted" }, report.accepted);
        if (report.rejected.length > 0)
          metrics.sinkEvents.inc({ sink: report.sink, outcome: "rejected" }, report.rejected.length);
        if (report.leftover.length > 0) {
          metrics.sinkEvents.inc({ sink: report.sink, outcome: "leftover" }, report.leftover.length);
          leftover[report.sink] = report.leftover.length;
          sample ||= report.leftover[0]!.reason;
        }
      }

      if (failures.length > 0) {
        log("error", "dead letters could not be stored; failing the invocation", {
          stage: "sending",
          code: "dead_letter_failed",
          reason: failures[0] instanceof Error ? failures[0].message : String(failures[0]),
        });
        throw new DeadLetterFailedError(failures[0]);
      }
      if (Object.keys(leftover).length > 0) {
        const error = new SubscriptionRetryError(leftover, summary, sample);
        log("warn", error.message, { stage: "sending", code: error.code, leftover });
        throw error;
      }
      return summary;
    },
  };
}
