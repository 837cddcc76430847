import type { FirehoseClient } from "@aws-sdk/client-firehose";
import { newEventId } from "../../core/event/incoming.js";
import { type Counter, MetricsRegistry } from "../../core/metrics.js";
import { type Clock, systemClock } from "../../core/retry.js";
import { createTransformer, type Transform } from "../transforms/index.js";
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationResult,
  LambdaContext,
} from "./aws-events.js";
import { createDeadLetterWriter, createHandlerS3Client, createReingestClient } from "./clients.js";
import { type HandlerConfig, loadHandlerConfig } from "./config.js";
import type { DeadLetterSink } from "./dead-letter.js";
import { type DeliveryTiming, writeDeadLetters } from "./deliver.js";
import { type FirehoseLimits, type FirehoseStats, processFirehoseRecords } from "./firehose.js";
import { lambdaLogger } from "./lambda-log.js";
import { reingestRecords, streamNameFromArn } from "./reingest.js";
import { DeadLetterFailedError } from "./subscription.js";
import { defaultSafetyMarginMs, invocationDeadlines, type Logger } from "./timing.js";

/**
 * Lambda entry point for Firehose data transformation. Thin: `processFirehoseRecords` builds the
 * answer; this file puts back what the answer could not carry, stores dead letters, and only then
 * answers. If either fails, the invocation fails, and Firehose invokes again with the same records
 * (and after its retries, sends them to the error output): events delivered twice that way are
 * harmless, since every lake row carries the event id.
 */

/** Puts records back into the delivery stream `stream` of `region`. */
export type Reingest = (
  stream: string,
  region: string,
  records: readonly Uint8Array[],
  timing: DeliveryTiming,
) => Promise<void>;

export interface FirehoseTransformDeps {
  transform: Transform;
  deadLetter: DeadLetterSink;
  /** Absent: nothing is put back (such records are answered ProcessingFailed). */
  reingest?: Reingest | undefined;
  partitionKeys: boolean;
  limits?: Partial<FirehoseLimits>;
  serviceFromLogGroup?: RegExp | undefined;
  clock?: Clock;
  random?: () => number;
  log?: Logger;
  metrics?: MetricsRegistry;
  safetyMarginMs?: (remainingMs: number) => number;
  retryInitialDelayMs?: number;
  retryMaxDelayMs?: number;
}

export interface FirehoseInvocation {
  remainingMs: number;
  requestId: string;
}

export type FirehoseTransformer = (
  event: FirehoseTransformationEvent,
  invocation: FirehoseInvocation,
) => Promise<FirehoseTransformationResult>;

/** When Lambda gives no context (a direct call), the time Firehose allows an invocation by default. */
const DEFAULT_REMAINING_MS = 60_000;

function countersOf(registry: MetricsRegistry): { records: Counter; events: Counter } {
  return {
    records: registry.counter(
      "logpipe_firehose_transform_records_total",
      "Firehose records answered, by result.",
    ),
    events: registry.counter(
      "logpipe_firehose_transform_events_total",
      "Events of Firehose records, by outcome (kept, dropped_intentionally, dead_lettered, reingested, misfiled).",
    ),
  };
}

function count(counters: ReturnType<typeof countersOf>, stats: FirehoseStats): void {
  counters.records.inc({ result: "Ok" }, stats.ok);
  counters.records.inc({ result: "Dropped" }, stats.dropped);
  counters.records.inc({ result: "ProcessingFailed" }, stats.failed);
  counters.events.inc({ outcome: "kept" }, stats.events);
  counters.events.inc({ outcome: "dropped_intentionally" }, stats.droppedIntentionally);
  counters.events.inc({ outcome: "dead_lettered" }, stats.deadLettered);
  counters.events.inc({ outcome: "reingested" }, stats.reingestedEvents);
  counters.events.inc({ outcome: "misfiled" }, stats.misfiled);
}

/** The orchestration around `processFirehoseRecords`, over injected dependencies. */
export function createFirehoseTransformer(deps: FirehoseTransformDeps): FirehoseTransformer {
  const clock = deps.clock ?? systemClock;
  const log: Logger = deps.log ?? (() => {});
  const counters = countersOf(deps.metrics ?? new MetricsRegistry());
  const margin = deps.safetyMarginMs ?? defaultSafetyMarginMs;
  const initialDelayMs = deps.retryInitialDelayMs ?? 200;
  const maxDelayMs = deps.retryMaxDelayMs ?? 5_000;

  return async (event, invocation) => {
    const deadlines = invocationDeadlines(clock, invocation.remainingMs, margin(invocation.remainingMs));
    const stream = streamNameFromArn((event as { deliveryStreamArn?: unknown } | null)?.deliveryStreamArn);
    const reingest = deps.reingest !== undefined && stream !== undefined ? deps.reingest : undefined;
    const outcome = processFirehoseRecords(event, deps.transform, {
      partitionKeys: deps.partitionKeys,
      reingest: reingest !== undefined,
      ...(deps.limits ? { limits: deps.limits } : {}),
      serviceFromLogGroup: deps.serviceFromLogGroup,
      now: clock.now(),
    });
    count(counters, outcome.stats);

    const timing = { clock, random: deps.random, initialDelayMs, maxDelayMs };
    const failures: unknown[] = [];
    await Promise.all([
      (async () => {
        if (outcome.reingest.length === 0 || reingest === undefined || stream === undefined) return;
        try {
          await reingest(stream, event.region, outcome.reingest, {
            ...timing,
            retryUntil: deadlines.finishUntil,
            signal: deadlines.finishSignal,
          });
        } catch (error) {
          failures.push(error);
        }
      })(),
      (async () => {
        try {
          await writeDeadLetters(
            deps.deadLetter,
            outcome.deadLetters,
            { requestId: invocation.requestId, signal: deadlines.finishSignal },
            { ...timing, retryUntil: deadlines.finishUntil },
          );
        } catch (error) {
          failures.push(new DeadLetterFailedError(error));
        }
      })(),
    ]);
    if (failures.length > 0) {
      const first = failures[0];
      log("error", "firehose transformation failed; failing the invocation so Firehose retries it", {
        stage: "sending",
        code: (first as { code?: unknown }).code,
        reason: first instanceof Error ? first.message : String(first),
      });
      throw first;
    }
    log("info", "firehose records transformed", {
      requestId: invocation.requestId,
      reingestRecords: outcome.reingest.length,
      ...outcome.stats,
    });
    return outcome.response;
  };
}

export interface FirehoseHandlerOptions {
  /** Read on the first invocation; `process.env` by default. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Builds the dependencies from the config; real clients by default. */
  build?: (config: HandlerConfig, shared: { metrics: MetricsRegistry; log: Logger }) => FirehoseTransformDeps;
  log?: Logger;
}

export type FirehoseHandler = (
  event: FirehoseTransformationEvent,
  context?: LambdaContext,
) => Promise<FirehoseTransformationResult>;

/** The production wiring: transforms from the config, S3 dead letters, Firehose re-ingestion. */
export function defaultFirehoseDeps(
  config: HandlerConfig,
  shared: { metrics: MetricsRegistry; log: Logger },
): FirehoseTransformDeps {
  const clients = new Map<string, FirehoseClient>();
  const reingest: Reingest = (stream, region, records, timing) => {
    let client = clients.get(region);
    if (client === undefined) {
      client = createReingestClient(region || config.s3.region);
      clients.set(region, client);
    }
    return reingestRecords(client, stream, records, timing);
  };
  return {
    transform: createTransformer(config.transforms, { metrics: shared.metrics }),
    deadLetter: createDeadLetterWriter(config, createHandlerS3Client(config)),
    reingest: config.firehose.reingest ? reingest : undefined,
    partitionKeys: config.firehose.partitionKeys,
    serviceFromLogGroup: config.serviceFromLogGroup,
    metrics: shared.metrics,
    log: shared.log,
  };
}

export function createFirehoseTransformHandler(options: FirehoseHandlerOptions = {}): FirehoseHandler {
  const log = options.log ?? lambdaLogger();
  let transformer: FirehoseTransformer | undefined;
  return async (event, context) => {
    if (transformer === undefined) {
      const config = loadHandlerConfig(options.env ?? process.env);
      transformer = createFirehoseTransformer(
        (options.build ?? defaultFirehoseDeps)(config, { metrics: new MetricsRegistry(), log }),
      );
    }
    return transformer(event, {
      remainingMs: context?.getRemainingTimeInMillis() ?? DEFAULT_REMAINING_MS,
      requestId:
        context?.awsRequestId ??
        (typeof event?.invocationId === "string" ? event.invocationId : newEventId()),
    });
  };
}

/** The function's handler (`processors/handlers/firehose-transform.handler`). */
export const handler: FirehoseHandler = createFirehoseTransformHandler();
