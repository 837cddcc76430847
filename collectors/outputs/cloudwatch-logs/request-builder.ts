import type { LogEvent } from "../../../core/event/schema.js";
import { CLOUDWATCH_LOGS } from "../../../core/limits.js";
import { type BatchLimits, type EncodedEvent, type EventBatch, splitIntoBatches } from "./batch.js";
import { encodeEvent } from "./encode.js";
import type { NameTemplate } from "./template.js";

const DAY_MS = 86_400_000;

/** The PutLogEvents batch rules, as the batcher takes them. */
export const PUT_LOG_EVENTS_LIMITS: BatchLimits = {
  maxEvents: CLOUDWATCH_LOGS.PUT_MAX_EVENTS,
  maxBytes: CLOUDWATCH_LOGS.PUT_MAX_BATCH_BYTES,
  perEventOverhead: CLOUDWATCH_LOGS.EVENT_OVERHEAD_BYTES,
  maxSpanMs: CLOUDWATCH_LOGS.PUT_MAX_SPAN_MS,
};

export interface Rejection {
  code: string;
  reason: string;
}

/** Why CloudWatch Logs would refuse an event at this time, if it would. */
export function checkTimeWindow(
  timestamp: number,
  now: number,
  retentionDays?: number,
): Rejection | undefined {
  if (timestamp > now + CLOUDWATCH_LOGS.MAX_EVENT_FUTURE_MS) {
    return {
      code: "too_new",
      reason: `event time ${new Date(timestamp).toISOString()} is more than 2 hours ahead of ${new Date(now).toISOString()}`,
    };
  }
  if (timestamp < now - CLOUDWATCH_LOGS.MAX_EVENT_AGE_MS) {
    return {
      code: "too_old",
      reason: `event time ${new Date(timestamp).toISOString()} is more than 14 days before ${new Date(now).toISOString()}`,
    };
  }
  if (retentionDays !== undefined && timestamp < now - retentionDays * DAY_MS) {
    return {
      code: "expired",
      reason: `event time ${new Date(timestamp).toISOString()} is older than the log group's ${retentionDays}-day retention`,
    };
  }
  return undefined;
}

/** One PutLogEvents call. */
export interface PutRequest extends EventBatch {
  logGroupName: string;
  logStreamName: string;
}

export interface BuildOptions {
  logGroup: NameTemplate;
  logStream: NameTemplate;
  maxEventBytes: number;
  now: number;
  retentionDays?: number;
}

export interface BuiltRequests {
  /** Events answered before sending, by their position in the batch. */
  rejected: Map<number, Rejection>;
  requests: PutRequest[];
  /** How many events were shortened to fit, by what was cut. */
  truncated: { message: number; attrs: number };
}

/**
 * Turns a batch of events into PutLogEvents requests: encode (truncating oversized events),
 * answer events the service would refuse for their time, route to a group and stream, and split
 * each stream's events into requests that satisfy every PutLogEvents rule.
 */
export function buildRequests(events: readonly LogEvent[], options: BuildOptions): BuiltRequests {
  const rejected = new Map<number, Rejection>();
  const truncated = { message: 0, attrs: 0 };
  const streams = new Map<string, { group: string; stream: string; events: EncodedEvent[] }>();
  events.forEach((event, index) => {
    const timestamp = Date.parse(event["@timestamp"]);
    if (!Number.isFinite(timestamp)) {
      rejected.set(index, {
        code: "invalid_timestamp",
        reason: `@timestamp ${JSON.stringify(event["@timestamp"])} is not a valid time`,
      });
      return;
    }
    const outside = checkTimeWindow(timestamp, options.now, options.retentionDays);
    if (outside) {
      rejected.set(index, outside);
      return;
    }
    const encoded = encodeEvent(event, options.maxEventBytes);
    if (!encoded.ok) {
      rejected.set(index, { code: encoded.code, reason: encoded.reason });
      return;
    }
    if (encoded.truncated !== "none") truncated[encoded.truncated]++;
    const group = options.logGroup(event);
    const stream = options.logStream(event);
    const key = `${group}\u0000${stream}`;
    let target = streams.get(key);
    if (!target) {
      target = { group, stream, events: [] };
      streams.set(key, target);
    }
    target.events.push({ index, timestamp, message: encoded.message, bytes: encoded.bytes });
  });
  const requests: PutRequest[] = [];
  for (const { group, stream, events: streamEvents } of streams.values()) {
    for (const batch of splitIntoBatches(streamEvents, PUT_LOG_EVENTS_LIMITS)) {
      requests.push({ logGroupName: group, logStreamName: stream, ...batch });
    }
  }
  return { rejected, requests, truncated };
}
