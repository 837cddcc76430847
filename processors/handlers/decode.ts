import { gunzipSync } from "node:zlib";
import { PipelineError } from "../../core/errors.js";
import { CLOUDWATCH_LOGS } from "../../core/limits.js";
import type { SubscriptionLogEvent, SubscriptionMessage } from "./aws-events.js";

/**
 * Decoding of CloudWatch Logs subscription payloads: base64 → gunzip → JSON → checked shape.
 * Everything that can be wrong with a payload is found here, before anything is written, so a
 * bad payload fails the invocation whole instead of leaving half of it delivered.
 */

/**
 * Most bytes a payload may inflate to. CloudWatch Logs delivers at most about 1 MB of events
 * per invocation; this leaves generous room and still stops a gzip bomb long before memory does.
 */
export const DEFAULT_MAX_DECODED_BYTES = 64 * 1024 * 1024;

export type DecodeStep = "envelope" | "base64" | "gzip" | "json" | "shape";

/** A payload that cannot be decoded; `step` says which layer failed. */
export class SubscriptionDecodeError extends PipelineError {
  override name = "SubscriptionDecodeError";
  constructor(
    readonly step: DecodeStep,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super("receiving", `decode_${step}`, `CloudWatch Logs subscription payload: ${detail}`, options);
  }
}

// A character-class test plus a length check; a grouped pattern would backtrack on megabytes.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Strict base64: `Buffer.from(…, "base64")` silently skips characters outside the alphabet,
 * which would turn a corrupted payload into a confusing gzip error.
 */
export function strictBase64(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  return Buffer.from(text, "base64");
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function gzipProblem(error: unknown, maxBytes: number): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === "ERR_BUFFER_TOO_LARGE") return `gunzip: inflates to more than ${maxBytes} bytes`;
  return `gunzip failed (${describe(error)})`;
}

/** The `awslogs.data` string of an invocation event, or a decode error naming what is missing. */
export function payloadOf(event: unknown): string {
  const awslogs = (event as { awslogs?: unknown } | null | undefined)?.awslogs;
  const data = (awslogs as { data?: unknown } | null | undefined)?.data;
  if (typeof data !== "string")
    throw new SubscriptionDecodeError("envelope", "the event has no awslogs.data string");
  return data;
}

/** base64 → gzip bytes, or a decode error. */
export function decodeBase64(data: string): Buffer {
  const bytes = strictBase64(data);
  if (bytes === undefined) throw new SubscriptionDecodeError("base64", "awslogs.data is not valid base64");
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b)
    throw new SubscriptionDecodeError("gzip", "awslogs.data is not gzip data (no gzip header)");
  return bytes;
}

/**
 * Decodes an invocation event's payload. The gunzip is synchronous: a Lambda container serves one
 * invocation at a time, so nothing waits on the event loop, and the thread-pool round trips of
 * the asynchronous form cost more than inflating a ~1 MB payload.
 */
export async function decodeSubscriptionEvent(
  event: unknown,
  maxDecodedBytes = DEFAULT_MAX_DECODED_BYTES,
): Promise<SubscriptionMessage> {
  return parseSubscriptionJson(gunzipPayload(decodeBase64(payloadOf(event)), maxDecodedBytes));
}

/** Synchronous gunzip of a subscription payload (Firehose records carry the same format). */
export function gunzipPayload(compressed: Uint8Array, maxDecodedBytes = DEFAULT_MAX_DECODED_BYTES): Buffer {
  try {
    return gunzipSync(compressed, { maxOutputLength: maxDecodedBytes });
  } catch (error) {
    throw new SubscriptionDecodeError("gzip", gzipProblem(error, maxDecodedBytes), { cause: error });
  }
}

/** JSON text → a checked subscription message. */
export function parseSubscriptionJson(json: Buffer | string): SubscriptionMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof json === "string" ? json : json.toString("utf8"));
  } catch (error) {
    throw new SubscriptionDecodeError("json", `not JSON after gunzip (${describe(error)})`, { cause: error });
  }
  return checkSubscriptionMessage(parsed);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The message's envelope is checked strictly (a payload without a log group or an event list is
 * not one CloudWatch sends); single log events are checked later, one by one, so one odd event
 * is dead-lettered on its own instead of failing the batch.
 */
export function checkSubscriptionMessage(value: unknown): SubscriptionMessage {
  if (!isObject(value)) throw new SubscriptionDecodeError("shape", "the payload is not a JSON object");
  const { messageType, logGroup, logStream, logEvents } = value;
  if (typeof messageType !== "string")
    throw new SubscriptionDecodeError("shape", "the payload has no messageType string");
  const types = CLOUDWATCH_LOGS.SUBSCRIPTION_MESSAGE_TYPES;
  if (messageType !== types.DATA && messageType !== types.CONTROL)
    throw new SubscriptionDecodeError(
      "shape",
      `unknown messageType ${JSON.stringify(messageType.slice(0, 64))} (expected ${types.DATA} or ${types.CONTROL})`,
    );
  if (messageType === types.DATA) {
    if (typeof logGroup !== "string" || logGroup === "")
      throw new SubscriptionDecodeError("shape", "the payload has no logGroup string");
    if (typeof logStream !== "string")
      throw new SubscriptionDecodeError("shape", "the payload has no logStream string");
    if (!Array.isArray(logEvents))
      throw new SubscriptionDecodeError("shape", "the payload has no logEvents array");
  }
  return {
    messageType,
    owner: typeof value.owner === "string" ? value.owner : "",
    logGroup: typeof logGroup === "string" ? logGroup : "",
    logStream: typeof logStream === "string" ? logStream : "",
    subscriptionFilters: Array.isArray(value.subscriptionFilters)
      ? value.subscriptionFilters.filter((f): f is string => typeof f === "string")
      : [],
    logEvents: Array.isArray(logEvents) ? (logEvents as SubscriptionLogEvent[]) : [],
    ...(typeof value.policyLevel === "string" ? { policyLevel: value.policyLevel } : {}),
  };
}

/** Why one log event of a data message cannot be used, or undefined when it can. */
export function invalidLogEvent(event: unknown): string | undefined {
  if (!isObject(event)) return "the log event is not an object";
  if (typeof event.id !== "string" || event.id.length === 0) return "the log event has no id string";
  if (typeof event.timestamp !== "number" || !Number.isFinite(event.timestamp))
    return "the log event has no numeric timestamp";
  if (typeof event.message !== "string") return "the log event has no message string";
  if (event.extractedFields !== undefined && !isObject(event.extractedFields))
    return "extractedFields is not an object";
  return undefined;
}
