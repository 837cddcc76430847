import { isIP } from "node:net";
import type { Level } from "../../../core/event/schema.js";
import { replacement } from "../redact.js";
import { cutChars, isRecordObject } from "../strings.js";
import { isoMillis, parseEventTime } from "../time.js";
import {
  checkLine,
  DEFAULT_MAX_LINE_CHARS,
  describeError,
  fail,
  type ServiceLogEntry,
  type ServiceLogObjectResult,
  type ServiceLogRecord,
  type ServiceLogResult,
  safeMessage,
  stripLineEnd,
} from "./types.js";

/**
 * CloudTrail records: delivered to S3 as `{"Records": [ … ]}` files, and to CloudWatch Logs one
 * record per log event.
 *
 * Mapping:
 * - `@timestamp` is `eventTime`; `region` is `awsRegion`; `request_id` is `requestID`;
 *   `http.user_agent` is `userAgent`; `http.client_ip` is `sourceIPAddress` when that is an IP
 *   address (for calls AWS services make it is a service name such as `ec2.amazonaws.com`, which
 *   stays in `attrs["cloudtrail.sourceIPAddress"]` only).
 * - message: `<eventName> by <actor> from <sourceIPAddress>`, with ` failed: <errorCode>` when the
 *   call failed; the actor is `userIdentity.arn`, else the service that invoked the call, the
 *   user name, the principal id or the identity type.
 * - level: `error` when `errorCode` says access was denied (`AccessDenied`, `Unauthorized…`,
 *   `…Forbidden…`: someone tried what they may not), `warn` for any other `errorCode` and for a
 *   failed console sign-in, else `info`.
 * - attrs: `aws.service` (`eventSource`), `aws.account_id` (`recipientAccountId`, else the
 *   caller's account), and every other field under `cloudtrail.` with CloudTrail's own names
 *   (`cloudtrail.eventName`, `cloudtrail.userIdentity.arn`, `cloudtrail.requestParameters.…`).
 *   Nested objects are flattened and bounded by the transform chain like any attrs; the fields
 *   an analyst filters on come first, the open-ended payloads (`requestParameters`,
 *   `responseElements`, …) last, so the `max_attrs` cap folds payload keys, not identity.
 * - id: `eventID` (when it is a UUID) as `cloudtrail-<eventID>`, unless disabled, so an event
 *   delivered to both S3 and CloudWatch Logs, or by two trails, is stored once.
 *
 * Temporary credentials in payloads (`sessionToken`, `secretAccessKey`, as in `AssumeRole`
 * responses) are replaced before the chain sees them: they are live secrets under names the
 * generic redaction does not know.
 */

export interface CloudTrailOptions {
  /** Service of the events (default `cloudtrail`). */
  service?: string;
  /** Account when the record names none (from the S3 key). */
  account_id?: string;
  /** Use `eventID` as the event id (default true). */
  use_event_id?: boolean;
  max_line_chars?: number;
}

/** Fields an analyst filters on, kept first so the attribute cap never folds them. */
const LEADING = [
  "eventName",
  "eventSource",
  "eventType",
  "eventCategory",
  "eventID",
  "errorCode",
  "errorMessage",
  "userIdentity",
  "sourceIPAddress",
  "readOnly",
  "managementEvent",
  "recipientAccountId",
  "sharedEventID",
  "vpcEndpointId",
  "eventVersion",
];

/** Open-ended payloads, kept last. */
const TRAILING = [
  "requestParameters",
  "responseElements",
  "additionalEventData",
  "serviceEventDetails",
  "resources",
];

/** Fields that became schema fields and are not repeated in attrs. */
const MAPPED = new Set(["eventTime", "awsRegion", "userAgent", "requestID"]);

const ORDERED = new Set([...LEADING, ...TRAILING, ...MAPPED]);

/** Key names (lower case, `-`/`_` removed) of temporary credentials in payloads. */
const CREDENTIAL_KEYS = new Set(["sessiontoken", "secretaccesskey"]);

/** Below this depth payloads are passed on as they are; the chain bounds them. */
const COPY_DEPTH = 16;

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DENIED = /accessdenied|unauthorized|forbidden/i;
const PART_CHARS = 512;

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

function normalisedKey(key: string): string {
  return key.toLowerCase().replaceAll("-", "").replaceAll("_", "");
}

/** A copy of a payload with temporary credentials replaced. */
function copyPayload(value: unknown, depth: number): unknown {
  if (typeof value !== "object" || value === null || depth >= COPY_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => copyPayload(item, depth + 1));
  if (!isRecordObject(value)) return value;
  // No prototype: a `__proto__` key of the payload stays an ordinary key.
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value)) {
    const item = value[key];
    out[key] =
      CREDENTIAL_KEYS.has(normalisedKey(key)) && typeof item === "string" && item.length > 0
        ? replacement("sensitive_field")
        : copyPayload(item, depth + 1);
  }
  return out;
}

function actorOf(identity: Record<string, unknown> | undefined): string {
  if (identity === undefined) return "unknown";
  return (
    text(identity.arn) ??
    text(identity.invokedBy) ??
    text(identity.userName) ??
    text(identity.principalId) ??
    text(identity.type) ??
    "unknown"
  );
}

function levelOf(record: Record<string, unknown>): Level {
  const errorCode = text(record.errorCode);
  if (errorCode !== undefined) return DENIED.test(errorCode) ? "error" : "warn";
  const response = record.responseElements;
  if (isRecordObject(response) && response.ConsoleLogin === "Failure") return "warn";
  return "info";
}

function addAttr(attrs: Record<string, unknown>, key: string, value: unknown): void {
  if (value === undefined || value === null || typeof value === "function" || typeof value === "symbol")
    return;
  attrs[`cloudtrail.${key}`] = copyPayload(value, 0);
}

function parseUnsafe(record: unknown, options: CloudTrailOptions): ServiceLogResult {
  if (!isRecordObject(record)) return fail("not_an_object", "a CloudTrail record is a JSON object");
  const eventTime = record.eventTime;
  if (eventTime === undefined || eventTime === null)
    return fail("missing_field", "the record has no eventTime");
  const timeMs = typeof eventTime === "string" ? parseEventTime(eventTime) : undefined;
  if (timeMs === undefined)
    return fail(
      "invalid_field",
      `eventTime is not an ISO 8601 time: ${JSON.stringify(cutChars(String(eventTime), 48))}`,
    );
  const eventName = text(record.eventName);
  if (eventName === undefined) return fail("missing_field", "the record has no eventName");

  const identity = isRecordObject(record.userIdentity) ? record.userIdentity : undefined;
  const source = text(record.sourceIPAddress);
  const errorCode = text(record.errorCode);
  let message = `${cutChars(eventName, PART_CHARS)} by ${cutChars(actorOf(identity), PART_CHARS)}`;
  if (source !== undefined) message += ` from ${cutChars(source, PART_CHARS)}`;
  if (errorCode !== undefined) message += ` failed: ${cutChars(errorCode, PART_CHARS)}`;

  const attrs: Record<string, unknown> = {};
  const eventSource = text(record.eventSource);
  if (eventSource !== undefined) attrs["aws.service"] = eventSource;
  const account = text(record.recipientAccountId) ?? text(identity?.accountId) ?? options.account_id;
  if (account !== undefined) attrs["aws.account_id"] = account;
  for (const key of LEADING) addAttr(attrs, key, record[key]);
  for (const key of Object.keys(record)) if (!ORDERED.has(key)) addAttr(attrs, key, record[key]);
  for (const key of TRAILING) addAttr(attrs, key, record[key]);

  const out: ServiceLogRecord = {
    "@timestamp": isoMillis(timeMs),
    service: options.service ?? "cloudtrail",
    level: levelOf(record),
    message: safeMessage(message, "CloudTrail event"),
    attrs,
  };
  const region = text(record.awsRegion);
  if (region !== undefined) out.region = region;
  const requestId = text(record.requestID);
  if (requestId !== undefined) out.request_id = requestId;
  const userAgent = text(record.userAgent);
  const clientIp = source !== undefined && isIP(source) !== 0 ? source : undefined;
  if (userAgent !== undefined || clientIp !== undefined) {
    out.http = {};
    if (userAgent !== undefined) out.http.user_agent = userAgent;
    if (clientIp !== undefined) out.http.client_ip = clientIp;
  }
  const eventId = text(record.eventID);
  if (options.use_event_id !== false && eventId !== undefined && UUID.test(eventId)) {
    return { ok: true, kind: "cloudtrail", record: out, timeMs, id: `cloudtrail-${eventId.toLowerCase()}` };
  }
  return { ok: true, kind: "cloudtrail", record: out, timeMs };
}

/** One CloudTrail record (a parsed JSON object) → the record the transform chain finishes. */
export function parseCloudTrailRecord(record: unknown, options: CloudTrailOptions = {}): ServiceLogResult {
  try {
    return parseUnsafe(record, options);
  } catch (error) {
    return fail("parse_error", `unreadable CloudTrail record: ${describeError(error)}`);
  }
}

/** One CloudWatch Logs message holding one CloudTrail record as JSON. */
export function parseCloudTrailMessage(message: string, options: CloudTrailOptions = {}): ServiceLogResult {
  const line = checkLine(message, options.max_line_chars ?? DEFAULT_MAX_LINE_CHARS);
  if (typeof line !== "string") return line;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    return fail("invalid_json", `the message is not JSON: ${describeError(error)}`);
  }
  return parseCloudTrailRecord(parsed, options);
}

/** A CloudTrail log file (`{"Records": [ … ]}`, decompressed): one entry per record. */
export function parseCloudTrailFile(
  content: string,
  options: CloudTrailOptions = {},
): ServiceLogObjectResult {
  if (typeof content !== "string")
    return fail("invalid_input", `expected the file's text, got ${typeof content}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(stripLineEnd(content));
  } catch (error) {
    return fail("invalid_json", `the file is not JSON: ${describeError(error)}`);
  }
  if (!isRecordObject(parsed) || !Array.isArray(parsed.Records))
    return fail("not_an_object", 'a CloudTrail log file is an object with a "Records" array');
  const entries: ServiceLogEntry[] = parsed.Records.map((record: unknown, index: number) => ({
    index,
    result: parseCloudTrailRecord(record, options),
  }));
  return { ok: true, entries, skipped: 0 };
}
