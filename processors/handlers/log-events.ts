import type { IncomingRecord } from "../../core/event/incoming.js";
import { type CloudWatchLogEvent, type TransformContext, tagFromLogGroup } from "../transforms/index.js";
import type { SubscriptionLogEvent } from "./aws-events.js";

/**
 * CloudWatch Logs events → transform input. Pure. The event's own fields win everywhere: the
 * service, id and time the transforms find inside the message beat what the log group and the
 * CloudWatch envelope say, which only fill gaps.
 */

export interface LogGroupOptions {
  /**
   * Applied to the log group name: the group named `service`, else the first capture group,
   * becomes the tag the transforms take the service from. No match: the last path segment.
   */
  serviceFromLogGroup?: RegExp | undefined;
}

/** The tag of a log group: what names the service of events that carry none. */
export function logGroupTag(logGroup: string, options: LogGroupOptions = {}): string {
  const pattern = options.serviceFromLogGroup;
  if (pattern !== undefined) {
    const match = pattern.exec(logGroup);
    const captured = match?.groups?.service ?? match?.[1];
    if (captured !== undefined && captured !== "") return captured;
  }
  return tagFromLogGroup(logGroup);
}

/**
 * Keys of `extractedFields` that would take over what the message must decide: the id (the
 * forwarder's id inside the message wins over anything the filter pattern extracted) and the
 * line itself. They are kept, renamed, rather than lost.
 */
const RESERVED = new Set(["message", "log", "msg"]);

function mergeExtracted(
  record: Record<string, unknown>,
  extracted: Record<string, unknown>,
  idField: string | null,
): void {
  for (const key of Object.keys(extracted)) {
    const value = extracted[key];
    if (value === undefined) continue;
    const name = RESERVED.has(key) || key === idField ? `extracted_${key}` : key;
    // A plain assignment to `__proto__` would change the record's prototype instead of adding a field.
    Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
  }
}

export interface LogEventOrigin extends LogGroupOptions {
  logGroup: string;
  logStream: string;
  /** When the handler received the payload, epoch milliseconds. */
  receivedAt: number;
  /** The transforms' `id_field` (default `id`), so extracted fields cannot take its place. */
  idField?: string | null;
  source?: string;
}

/** The context every event of one message shares. */
export function contextOf(origin: Pick<LogEventOrigin, "logGroup" | "logStream">): TransformContext {
  return { log_group: origin.logGroup, log_stream: origin.logStream };
}

/**
 * One (already checked) log event as transform input. The CloudWatch event id is the input id,
 * the fallback: an id the forwarder carried inside a JSON message is lifted by the transforms and
 * wins. `extractedFields` are merged into the record next to the message.
 */
export function logEventInput(
  event: SubscriptionLogEvent | CloudWatchLogEvent,
  origin: LogEventOrigin,
  tag: string,
): IncomingRecord {
  const record: Record<string, unknown> = { message: event.message };
  const extracted = (event as SubscriptionLogEvent).extractedFields;
  if (extracted !== undefined && extracted !== null)
    mergeExtracted(record, extracted, origin.idField === undefined ? "id" : origin.idField);
  return {
    id: event.id,
    time: event.timestamp,
    receivedAt: origin.receivedAt,
    tag,
    source: origin.source ?? "cloudwatch",
    record,
  };
}
