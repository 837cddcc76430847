import { isIP } from "node:net";
import type { Level } from "../../../core/event/schema.js";
import { isoMillis, isValidTimeMs } from "../time.js";
import {
  checkLine,
  DEFAULT_MAX_LINE_CHARS,
  fail,
  type ParseFailure,
  quote,
  type ServiceLogRecord,
  type ServiceLogResult,
  safeMessage,
} from "./types.js";

/**
 * VPC Flow Logs records: space-separated values in the order of the flow log's format, `-` for a
 * value that does not apply. The default format is version 2; a custom format is its field list
 * (`${version} ${vpc-id} …`, as given when the flow log was created, or the header line of an S3
 * delivered file).
 *
 * Mapping:
 * - `@timestamp` is `start` (the capture window's first second); a format without `start` leaves
 *   the time to the delivery (the CloudWatch Logs event time).
 * - every field that is not `-` is kept as `attrs["flow.<name>"]`, hyphens written as
 *   underscores (`log-status` → `flow.log_status`), plus `flow.protocol_name` (`tcp`, `udp`, …);
 *   `aws.account_id` is `account-id` (or the account of the S3 key).
 * - `region` is the `region` field, else the region of the S3 key; `host` is `instance-id`.
 * - the addresses stay in attrs and are not `http.client_ip`: a flow is not an HTTP request, and
 *   its `srcaddr` is the server for the response half of every connection.
 * - level: `REJECT` and `SKIPDATA` (records lost) are `warn`, `NODATA` (an idle interface) is
 *   `debug`, so `drop_levels: [debug]` drops idle-interface records; everything else is `info`.
 * - message: `ACCEPT 10.0.0.1:443 -> 10.0.0.2:51515 tcp 10 packets 840 bytes`, or
 *   `NODATA eni-…: no traffic in the capture window`.
 */

export const VPC_FLOW_DEFAULT_FIELDS: readonly string[] = [
  "version",
  "account-id",
  "interface-id",
  "srcaddr",
  "dstaddr",
  "srcport",
  "dstport",
  "protocol",
  "packets",
  "bytes",
  "start",
  "end",
  "action",
  "log-status",
];

/** The default (version 2) format as a format string. */
export const VPC_FLOW_DEFAULT_FORMAT = VPC_FLOW_DEFAULT_FIELDS.map((f) => `\${${f}}`).join(" ");

/** Every field name VPC Flow Logs documents (versions 2 to 10), for recognising a header line. */
export const VPC_FLOW_KNOWN_FIELDS: ReadonlySet<string> = new Set([
  ...VPC_FLOW_DEFAULT_FIELDS,
  "vpc-id",
  "subnet-id",
  "instance-id",
  "tcp-flags",
  "type",
  "pkt-srcaddr",
  "pkt-dstaddr",
  "region",
  "az-id",
  "sublocation-type",
  "sublocation-id",
  "pkt-src-aws-service",
  "pkt-dst-aws-service",
  "flow-direction",
  "traffic-path",
  "ecs-cluster-arn",
  "ecs-cluster-name",
  "ecs-container-instance-arn",
  "ecs-container-instance-id",
  "ecs-container-id",
  "ecs-second-container-id",
  "ecs-service-name",
  "ecs-task-definition-arn",
  "ecs-task-arn",
  "ecs-task-id",
  "reject-reason",
  "resource-id",
  "encryption-status",
]);

/** Most fields a format may have; the documented list has fewer than 50. */
export const VPC_FLOW_MAX_FIELDS = 128;

const FIELD_NAME = /^[a-z][a-z0-9-]{0,63}$/;
const PLACEHOLDER = /^\$\{([^}]*)\}$/;
/** An AWS resource id (`eni-1235b8ca123456789`, `i-0123…`): a value, never a field name. */
const RESOURCE_ID = /^[a-z]+-[0-9a-f]{8,}$/;
const DIGITS = /^\d{1,20}$/;

/** The field names of a format: `${version} ${srcaddr} …` or `version srcaddr …`. */
export function parseVpcFlowFormat(format: string): { ok: true; fields: string[] } | ParseFailure {
  if (typeof format !== "string") return fail("invalid_input", "the format is not a string");
  const tokens = format.trim().split(/\s+/);
  if (tokens.length === 0 || tokens[0] === "") return fail("empty_line", "the format has no fields");
  if (tokens.length > VPC_FLOW_MAX_FIELDS)
    return fail("field_count", `the format has ${tokens.length} fields, more than ${VPC_FLOW_MAX_FIELDS}`);
  const fields: string[] = [];
  const seen = new Set<string>();
  for (const token of tokens) {
    const name = PLACEHOLDER.exec(token)?.[1] ?? token;
    if (!FIELD_NAME.test(name))
      return fail("invalid_field", `${quote(token)} is not a field name (lower-case letters, digits and -)`);
    if (seen.has(name)) return fail("invalid_field", `field ${name} appears twice in the format`);
    seen.add(name);
    fields.push(name);
  }
  return { ok: true, fields };
}

/**
 * The field names of a header line (the first line of a flow log file delivered to S3), or
 * undefined when `line` is a record. A header has only field names, at least one of them a
 * documented one, and no resource ids.
 */
export function vpcFlowHeaderFields(line: string): string[] | undefined {
  if (typeof line !== "string" || line.length > 8192) return undefined;
  const tokens = line.trim().split(/\s+/);
  if (tokens.length === 0 || tokens.length > VPC_FLOW_MAX_FIELDS) return undefined;
  let known = false;
  for (const token of tokens) {
    if (!FIELD_NAME.test(token) || RESOURCE_ID.test(token)) return undefined;
    if (VPC_FLOW_KNOWN_FIELDS.has(token)) known = true;
  }
  if (!known || new Set(tokens).size !== tokens.length) return undefined;
  return tokens;
}

export interface VpcFlowOptions {
  /** Field names in record order (default: version 2). */
  fields?: readonly string[];
  /** Service of the events (default `vpc-flow-logs`). */
  service?: string;
  /** Region when the record has no `region` field (from the S3 key). */
  region?: string;
  /** Account when the record has no `account-id` field (from the S3 key). */
  account_id?: string;
  max_line_chars?: number;
}

const PROTOCOL_NAMES: Readonly<Record<string, string>> = {
  "1": "icmp",
  "2": "igmp",
  "6": "tcp",
  "17": "udp",
  "47": "gre",
  "50": "esp",
  "51": "ah",
  "58": "icmpv6",
  "132": "sctp",
};

const ADDRESS_FIELDS = new Set(["srcaddr", "dstaddr", "pkt-srcaddr", "pkt-dstaddr"]);
const PORT_FIELDS = new Set(["srcport", "dstport"]);
const COUNT_FIELDS = new Set(["version", "packets", "bytes", "tcp-flags", "traffic-path"]);
const TIME_FIELDS = new Set(["start", "end"]);
const ACTIONS = new Set(["ACCEPT", "REJECT"]);
const LOG_STATUSES = new Set(["OK", "NODATA", "SKIPDATA"]);

function attrKey(name: string): string {
  return `flow.${name.replaceAll("-", "_")}`;
}

/** Why `value` is not valid for field `name`, or undefined when it is. */
function invalidReason(name: string, value: string): string | undefined {
  if (ADDRESS_FIELDS.has(name)) return isIP(value) === 0 ? "is not an IP address" : undefined;
  if (PORT_FIELDS.has(name))
    return DIGITS.test(value) && Number(value) <= 65535 ? undefined : "is not a port number";
  if (name === "protocol")
    return DIGITS.test(value) && Number(value) <= 255 ? undefined : "is not an IANA protocol number";
  if (COUNT_FIELDS.has(name)) return DIGITS.test(value) ? undefined : "is not a whole number";
  if (TIME_FIELDS.has(name))
    return DIGITS.test(value) && isValidTimeMs(Number(value) * 1000) ? undefined : "is not a Unix time";
  if (name === "action") return ACTIONS.has(value) ? undefined : "is not ACCEPT or REJECT";
  if (name === "log-status") return LOG_STATUSES.has(value) ? undefined : "is not OK, NODATA or SKIPDATA";
  return undefined;
}

function endpoint(address: string | undefined, port: string | undefined, showPort: boolean): string {
  if (address === undefined) return "-";
  if (!showPort || port === undefined) return address;
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

function summary(values: ReadonlyMap<string, string>, protocolName: string | undefined): string {
  const status = values.get("log-status");
  if (status === "NODATA" || status === "SKIPDATA") {
    const iface = values.get("interface-id");
    const what =
      status === "NODATA" ? "no traffic in the capture window" : "records skipped in the capture window";
    return `${status}${iface === undefined ? "" : ` ${iface}`}: ${what}`;
  }
  const parts: string[] = [];
  const action = values.get("action");
  if (action !== undefined) parts.push(action);
  const src = values.get("srcaddr");
  const dst = values.get("dstaddr");
  if (src !== undefined || dst !== undefined) {
    // ICMP has no ports; flow logs write 0 for them.
    const ports = protocolName !== "icmp" && protocolName !== "icmpv6";
    parts.push(
      `${endpoint(src, values.get("srcport"), ports)} -> ${endpoint(dst, values.get("dstport"), ports)}`,
    );
  }
  const protocol = values.get("protocol");
  if (protocol !== undefined) parts.push(protocolName ?? `protocol ${protocol}`);
  const packets = values.get("packets");
  if (packets !== undefined) parts.push(`${packets} packets`);
  const bytes = values.get("bytes");
  if (bytes !== undefined) parts.push(`${bytes} bytes`);
  return parts.length > 0 ? parts.join(" ") : "flow log record";
}

function levelOf(values: ReadonlyMap<string, string>): Level {
  const status = values.get("log-status");
  if (status === "NODATA") return "debug";
  if (status === "SKIPDATA" || values.get("action") === "REJECT") return "warn";
  return "info";
}

/** One flow log record → the record the transform chain finishes, or why it is unreadable. */
export function parseVpcFlowLog(line: string, options: VpcFlowOptions = {}): ServiceLogResult {
  const text = checkLine(line, options.max_line_chars ?? DEFAULT_MAX_LINE_CHARS);
  if (typeof text !== "string") return text;
  const fields = options.fields ?? VPC_FLOW_DEFAULT_FIELDS;
  // Runs of blanks are one separator: values are never empty (`-` marks a missing one).
  const tokens = text.split(/[ \t]+/);
  if (tokens.length !== fields.length) {
    const head = fields.slice(0, 4).join(" ");
    return fail(
      "field_count",
      `expected ${fields.length} fields (${head}${fields.length > 4 ? " …" : ""}), got ${tokens.length}`,
    );
  }

  const values = new Map<string, string>();
  const attrs: Record<string, unknown> = {};
  for (let i = 0; i < fields.length; i++) {
    const name = fields[i]!;
    const value = tokens[i]!;
    if (value === "-") continue;
    const invalid = invalidReason(name, value);
    if (invalid !== undefined) return fail("invalid_field", `field ${name} ${invalid}: ${quote(value)}`);
    values.set(name, value);
    attrs[attrKey(name)] = value;
  }

  const protocol = values.get("protocol");
  const protocolName = protocol === undefined ? undefined : PROTOCOL_NAMES[protocol];
  if (protocolName !== undefined) attrs["flow.protocol_name"] = protocolName;
  const account = values.get("account-id") ?? options.account_id;
  if (account !== undefined) attrs["aws.account_id"] = account;

  const record: ServiceLogRecord = {
    service: options.service ?? "vpc-flow-logs",
    level: levelOf(values),
    message: safeMessage(summary(values, protocolName), "flow log record"),
    attrs,
  };
  let timeMs: number | undefined;
  const start = values.get("start");
  if (start !== undefined) {
    timeMs = Number(start) * 1000;
    record["@timestamp"] = isoMillis(timeMs);
  }
  const region = values.get("region") ?? options.region;
  if (region !== undefined) record.region = region;
  const instance = values.get("instance-id");
  if (instance !== undefined) record.host = instance;
  return timeMs === undefined
    ? { ok: true, kind: "vpc_flow", record }
    : { ok: true, kind: "vpc_flow", record, timeMs };
}
