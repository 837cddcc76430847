import { isIP } from "node:net";
import type { Level } from "../../../core/event/schema.js";
import { splitTarget } from "../http.js";
import { isoMillis, parseEventTime } from "../time.js";
import { type Token, tokenize } from "./tokens.js";
import {
  checkLine,
  DEFAULT_MAX_LINE_CHARS,
  fail,
  type ParseFailure,
  quote,
  type ServiceLogHttp,
  type ServiceLogRecord,
  type ServiceLogResult,
  safeMessage,
} from "./types.js";

/**
 * Application Load Balancer access log entries: space-separated fields, some in double quotes, in
 * a fixed order; new fields are only ever appended, and fields past the known ones are ignored,
 * as the format's documentation asks. The first 18 fields (through `trace_id`) are required:
 * every entry since the format's introduction has them, and a shorter line is a truncated one.
 *
 * Mapping:
 * - `@timestamp` is `time` (when the response was sent; microseconds are cut to milliseconds).
 * - `http.method`, `http.path` (the request URL's path; its query goes to `attrs["http.query"]`,
 *   where redaction sees it), `http.status` (`elb_status_code`), `http.user_agent`,
 *   `http.client_ip`; `http.latency_ms` is the sum of the three processing times in
 *   milliseconds, left out when any of them is -1 (the request never reached a target or the
 *   connection failed). Fields that are `-` are left out.
 * - level: `elb_status_code` 5xx is `error`, 4xx `warn`, anything else `info`.
 * - `trace_id`: the `Root` of the `X-Amzn-Trace-Id` header in W3C form (its 8 time digits then
 *   its 24 random digits, 32 lower-case hex characters: the mapping the OpenTelemetry X-Ray
 *   propagator uses), so a request's ALB entry and its service's spans share a trace id; the
 *   header as logged stays in `attrs["alb.trace_id"]`.
 * - `service` is the load balancer's name (`app/my-lb/50dc6c495c0c9188` → `my-lb`) unless
 *   configured otherwise; `region` and `aws.account_id` come from the target group ARN, else
 *   from the S3 key.
 * - attrs: every other field as `alb.<name>` (`target:port` → `alb.target`, the client port as
 *   `alb.client_port`, `target:port_list` → `alb.target_port_list`), plus `alb.request_host`
 *   and `alb.http_version` from the request line.
 *
 * Entries of Network Load Balancers (`tls …`) and Classic Load Balancers (which start with the
 * time) share the S3 prefix and are reported as `unsupported_type`.
 */

export const ALB_FIELDS: readonly string[] = [
  "type",
  "time",
  "elb",
  "client:port",
  "target:port",
  "request_processing_time",
  "target_processing_time",
  "response_processing_time",
  "elb_status_code",
  "target_status_code",
  "received_bytes",
  "sent_bytes",
  "request",
  "user_agent",
  "ssl_cipher",
  "ssl_protocol",
  "target_group_arn",
  "trace_id",
  "domain_name",
  "chosen_cert_arn",
  "matched_rule_priority",
  "request_creation_time",
  "actions_executed",
  "redirect_url",
  "error_reason",
  "target:port_list",
  "target_status_code_list",
  "classification",
  "classification_reason",
  "conn_trace_id",
  "transformed_host",
  "transformed_uri",
  "request_transform_status",
];

/** Fields every entry has: through `trace_id`. */
export const ALB_MIN_FIELDS = 18;

export const ALB_TYPES: ReadonlySet<string> = new Set(["http", "https", "h2", "grpcs", "ws", "wss"]);

export interface AlbOptions {
  /** Service when the name is not taken from the load balancer (default `alb`). */
  service?: string;
  /** Use the load balancer's name as the service (default true). */
  service_from_load_balancer?: boolean;
  /** Map the X-Ray `Root` to a W3C `trace_id` (default true). */
  trace_id_from_xray?: boolean;
  /** Region when the target group ARN gives none (from the S3 key). */
  region?: string;
  /** Account when the target group ARN gives none (from the S3 key). */
  account_id?: string;
  max_line_chars?: number;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const SECONDS = /^-?\d{1,9}(?:\.\d{1,9})?$/;
const STATUS = /^\d{3}$/;
const COUNT = /^\d{1,20}$/;
const PORT = /^\d{1,5}$/;
const LB_ID = /^app\/([A-Za-z0-9-]{1,32})\/[0-9a-f]{1,32}$/;
const TARGET_GROUP_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:([a-z0-9-]{1,32}):(\d{12}):targetgroup\//;
const XRAY_ROOT = /(?:^|;)\s*Root=1-([0-9a-fA-F]{8})-([0-9a-fA-F]{24})(?:;|$)/;
const URL_PARTS = /^([A-Za-z][A-Za-z0-9+.-]{0,15}):\/\/([^/?#]*)(.*)$/s;

/** Attribute names of fields whose documented names are not plain identifiers. */
const ATTR_NAMES: Readonly<Record<string, string>> = {
  "target:port": "alb.target",
  "target:port_list": "alb.target_port_list",
};

/** Fields that become schema fields (or are split) instead of attrs of their own. */
const MAPPED = new Set(["time", "client:port", "elb_status_code", "request", "user_agent"]);

function invalid(name: string, what: string, value: string): ParseFailure {
  return fail("invalid_field", `field ${name} ${what}: ${quote(value)}`);
}

/** `ip:port`, `[ipv6]:port` or `-`. */
function splitEndpoint(value: string): { ip: string; port: string } | "-" | undefined {
  if (value === "-") return "-";
  let ip: string;
  let port: string;
  if (value.startsWith("[")) {
    const close = value.indexOf("]:");
    if (close < 0) return undefined;
    ip = value.slice(1, close);
    port = value.slice(close + 2);
  } else {
    const colon = value.lastIndexOf(":");
    if (colon <= 0) return undefined;
    ip = value.slice(0, colon);
    port = value.slice(colon + 1);
  }
  return isIP(ip) !== 0 && PORT.test(port) && Number(port) <= 65535 ? { ip, port } : undefined;
}

/** Processing time in seconds, -1 for not available. */
function seconds(value: string): number | undefined {
  if (!SECONDS.test(value)) return undefined;
  const n = Number(value);
  return n === -1 || n >= 0 ? n : undefined;
}

interface RequestLine {
  method?: string;
  target?: string;
  host?: string;
  version?: string;
}

/** `GET https://host:443/path?q HTTP/1.1` → its parts; `-` parts are left out. */
function splitRequest(request: string): RequestLine | undefined {
  const first = request.indexOf(" ");
  const last = request.lastIndexOf(" ");
  if (first <= 0 || last <= first) return undefined;
  const out: RequestLine = {};
  const method = request.slice(0, first);
  if (method !== "-") out.method = method;
  const version = request.slice(last + 1);
  if (version !== "-" && version !== "") out.version = version;
  const url = request.slice(first + 1, last);
  const parts = URL_PARTS.exec(url);
  if (parts !== null) {
    if (parts[2]!.length > 0) out.host = parts[2]!;
    const rest = parts[3]!;
    if (rest.startsWith("/")) out.target = rest;
    else if (rest.startsWith("?")) out.target = `/${rest}`;
  } else if (url.startsWith("/") || url === "*") out.target = url;
  return out;
}

function levelOf(status: number | undefined): Level {
  if (status === undefined) return "info";
  if (status >= 500) return "error";
  if (status >= 400) return "warn";
  return "info";
}

function parseTokens(tokens: Token[], options: AlbOptions): ServiceLogResult {
  const type = tokens[0]!.text;
  if (!ALB_TYPES.has(type)) {
    const kind =
      type === "tls"
        ? " (a Network Load Balancer entry)"
        : ISO_TIME.test(type)
          ? " (a Classic Load Balancer entry)"
          : "";
    return fail(
      "unsupported_type",
      `entry type ${quote(type)} is not an Application Load Balancer type${kind}`,
    );
  }
  if (tokens.length < ALB_MIN_FIELDS)
    return fail(
      "field_count",
      `expected at least ${ALB_MIN_FIELDS} fields (through trace_id), got ${tokens.length}`,
    );

  const value = (i: number): string | undefined => {
    const t = tokens[i]?.text;
    return t === undefined || t === "-" || t === "" ? undefined : t;
  };

  const time = tokens[1]!.text;
  const timeMs = ISO_TIME.test(time) ? parseEventTime(time) : undefined;
  if (timeMs === undefined) return invalid("time", "is not an ISO 8601 UTC time", time);

  const client = splitEndpoint(tokens[3]!.text);
  if (client === undefined) return invalid("client:port", "is not an address and port", tokens[3]!.text);
  if (splitEndpoint(tokens[4]!.text) === undefined)
    return invalid("target:port", "is not an address and port", tokens[4]!.text);

  const times: number[] = [];
  for (let i = 5; i <= 7; i++) {
    const s = seconds(tokens[i]!.text);
    if (s === undefined) return invalid(ALB_FIELDS[i]!, "is not a time in seconds", tokens[i]!.text);
    times.push(s);
  }
  const elbStatus = tokens[8]!.text;
  if (elbStatus !== "-" && !STATUS.test(elbStatus))
    return invalid("elb_status_code", "is not a status code", elbStatus);
  const targetStatus = tokens[9]!.text;
  if (targetStatus !== "-" && !STATUS.test(targetStatus))
    return invalid("target_status_code", "is not a status code", targetStatus);
  for (let i = 10; i <= 11; i++) {
    const t = tokens[i]!.text;
    if (t !== "-" && !COUNT.test(t)) return invalid(ALB_FIELDS[i]!, "is not a byte count", t);
  }

  const attrs: Record<string, unknown> = {};
  const known = Math.min(tokens.length, ALB_FIELDS.length);
  for (let i = 0; i < known; i++) {
    const name = ALB_FIELDS[i]!;
    const v = value(i);
    if (v === undefined || MAPPED.has(name)) continue;
    attrs[ATTR_NAMES[name] ?? `alb.${name}`] = v;
  }
  if (client !== "-") attrs["alb.client_port"] = client.port;

  const http: ServiceLogHttp = {};
  const request = tokens[12]!.text;
  const line = splitRequest(request);
  if (line === undefined) {
    if (request !== "-" && request.length > 0) attrs["alb.request"] = request;
  } else {
    if (line.method !== undefined) http.method = line.method;
    if (line.target !== undefined) http.path = line.target;
    if (line.host !== undefined) attrs["alb.request_host"] = line.host;
    if (line.version !== undefined) attrs["alb.http_version"] = line.version;
  }
  const status = STATUS.test(elbStatus) ? Number(elbStatus) : undefined;
  if (status !== undefined) http.status = status;
  if (times.every((t) => t >= 0)) {
    // Summed in microseconds: the fields have millisecond precision, and binary fractions would
    // otherwise print as 171.00000000000003.
    http.latency_ms = Math.round((times[0]! + times[1]! + times[2]!) * 1e6) / 1e3;
  }
  const userAgent = value(13);
  if (userAgent !== undefined) http.user_agent = userAgent;
  if (client !== "-") http.client_ip = client.ip;

  const elb = tokens[2]!.text;
  const lbName = LB_ID.exec(elb)?.[1];
  const service =
    options.service_from_load_balancer !== false && lbName !== undefined
      ? lbName
      : (options.service ?? "alb");
  const arn = TARGET_GROUP_ARN.exec(tokens[16]!.text);
  const account = arn?.[2] ?? options.account_id;
  if (account !== undefined) attrs["aws.account_id"] = account;

  const path = http.path === undefined ? undefined : splitTarget(http.path)?.path;
  let message = `${http.method ?? "-"} ${path ?? "-"} ${status ?? "-"}`;
  if (http.latency_ms !== undefined) message += ` ${http.latency_ms}ms`;
  const errorReason = value(24);
  if (errorReason !== undefined) message += ` ${errorReason}`;

  const record: ServiceLogRecord = {
    "@timestamp": isoMillis(timeMs),
    service,
    level: levelOf(status),
    message: safeMessage(message, "ALB request"),
    attrs,
  };
  const region = arn?.[1] ?? options.region;
  if (region !== undefined) record.region = region;
  const traceHeader = value(17);
  if (traceHeader !== undefined && options.trace_id_from_xray !== false) {
    const root = XRAY_ROOT.exec(traceHeader);
    if (root !== null) record.trace_id = `${root[1]}${root[2]}`.toLowerCase();
  }
  if (Object.keys(http).length > 0) record.http = http;
  return { ok: true, kind: "alb", record, timeMs };
}

/** One ALB access log entry → the record the transform chain finishes, or why it is unreadable. */
export function parseAlbAccessLog(line: string, options: AlbOptions = {}): ServiceLogResult {
  const text = checkLine(line, options.max_line_chars ?? DEFAULT_MAX_LINE_CHARS);
  if (typeof text !== "string") return text;
  const tokens = tokenize(text);
  if (!Array.isArray(tokens)) return tokens;
  return parseTokens(tokens, options);
}
