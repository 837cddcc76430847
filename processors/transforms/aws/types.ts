import type { Level } from "../../../core/event/schema.js";
import { looksLikeJsonObject } from "../parse.js";
import { cutChars } from "../strings.js";

/**
 * Shared shapes of the AWS service log parsers.
 *
 * A parsed service log is a record in the shape the transform chain's parse step already maps:
 * top-level keys are the schema's own names (`@timestamp`, `service`, `level`, `message`,
 * `region`, `host`, `request_id`, `trace_id`, `http.*`), so each lands in its schema slot through
 * the ordinary alias table, and everything else sits in one `attrs` object, which the parse step
 * merges key by key (the path a serialised event takes when it is transformed again). The chain
 * then assigns the id and ingest time, redacts, and bounds sizes exactly as for any other record.
 */

export type ServiceLogKind = "vpc_flow" | "cloudtrail" | "alb";

export const SERVICE_LOG_KINDS: readonly ServiceLogKind[] = ["vpc_flow", "cloudtrail", "alb"];

/** Stable codes of lines or records a parser could not read. */
export type ServiceLogFailureCode =
  /** Not a string (or, for CloudTrail, not a JSON object). */
  | "invalid_input"
  | "empty_line"
  | "line_too_long"
  /** More or fewer fields than the format has. */
  | "field_count"
  /** A field that must be a number, address, time or known word is not. */
  | "invalid_field"
  /** A field the event cannot do without (CloudTrail `eventTime`, `eventName`) is absent. */
  | "missing_field"
  | "unterminated_quote"
  /** A closing quote followed by something other than a space. */
  | "malformed_quote"
  /** An ALB line of another kind (Network or Classic Load Balancer, or an unknown type). */
  | "unsupported_type"
  | "invalid_json"
  | "not_an_object"
  /** An S3 object in a format no parser reads (VPC Flow Logs in Parquet). */
  | "unsupported_format"
  /** An unexpected failure on hostile data; the parser never throws. */
  | "parse_error";

export interface ServiceLogHttp {
  method?: string;
  /** Request target: path and query; the parse step splits the query into `attrs["http.query"]`. */
  path?: string;
  status?: number;
  latency_ms?: number;
  user_agent?: string;
  client_ip?: string;
}

/**
 * The record a service log becomes (the `record` of an `IncomingRecord`). A type alias, not an
 * interface, so it is assignable to `Record<string, unknown>`.
 */
export type ServiceLogRecord = {
  /** Event time, ISO 8601 with milliseconds; absent when the line has no time of its own. */
  "@timestamp"?: string;
  service: string;
  level: Level;
  message: string;
  region?: string;
  host?: string;
  request_id?: string;
  trace_id?: string;
  http?: ServiceLogHttp;
  /** Every other field under a source prefix (`flow.`, `alb.`, `cloudtrail.`, `aws.`). */
  attrs: Record<string, unknown>;
};

export interface ParsedServiceLog {
  ok: true;
  kind: ServiceLogKind;
  record: ServiceLogRecord;
  /** Event time, epoch milliseconds (the same instant as `record["@timestamp"]`). */
  timeMs?: number;
  /** A stable id the log itself carries (CloudTrail `eventID`), to be used as the event id. */
  id?: string;
}

export interface ParseFailure {
  ok: false;
  code: ServiceLogFailureCode;
  /** One line, bounded, naming the field and quoting at most a short prefix of the bad value. */
  reason: string;
}

export type ServiceLogResult = ParsedServiceLog | ParseFailure;

/** One entry of an S3 object: `index` is its position (line or record), stable for the same content. */
export interface ServiceLogEntry {
  index: number;
  result: ServiceLogResult;
}

/** A whole S3 object: its entries, or one failure when the object as a whole is unreadable. */
export type ServiceLogObjectResult =
  | {
      ok: true;
      entries: ServiceLogEntry[];
      /** Blank lines and header lines, passed over on purpose. */
      skipped: number;
    }
  | ParseFailure;

export function fail(code: ServiceLogFailureCode, reason: string): ParseFailure {
  return { ok: false, code, reason };
}

const QUOTE_CHARS = 48;

/** A value quoted for a failure reason: a short prefix, control characters escaped by JSON. */
export function quote(value: string): string {
  return value.length > QUOTE_CHARS
    ? `${JSON.stringify(cutChars(value, QUOTE_CHARS))}… (${value.length} characters)`
    : JSON.stringify(value);
}

/** The text of a thrown value; hostile values may throw again when read. */
export function describeError(error: unknown): string {
  try {
    return cutChars(error instanceof Error ? String(error.message) : String(error), 200);
  } catch {
    return "unprintable error";
  }
}

/**
 * A message that cannot be mistaken for a JSON line: the parse step lifts a message that is a
 * JSON object into fields, and a crafted event name or request line must not be able to do that.
 */
export function safeMessage(message: string, label: string): string {
  return looksLikeJsonObject(message) ? `${label}: ${message}` : message;
}

/** Strips one trailing line break (`\n` or `\r\n`) and a leading byte order mark. */
export function stripLineEnd(line: string): string {
  let s = line;
  if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
  if (s.endsWith("\n")) s = s.slice(0, s.endsWith("\r\n") ? -2 : -1);
  else if (s.endsWith("\r")) s = s.slice(0, -1);
  return s;
}

/** Default cap on one line or CloudWatch Logs message, in UTF-16 units. */
export const DEFAULT_MAX_LINE_CHARS = 1_048_576;

/** The common checks of a text line: a string, not blank, not longer than the cap. */
export function checkLine(line: unknown, maxChars: number): string | ParseFailure {
  if (typeof line !== "string") return fail("invalid_input", `expected a text line, got ${typeof line}`);
  if (line.length > maxChars)
    return fail("line_too_long", `line of ${line.length} characters exceeds ${maxChars}`);
  const s = stripLineEnd(line).trim();
  if (s.length === 0) return fail("empty_line", "the line is blank");
  return s;
}
