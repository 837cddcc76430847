import { parseAlbAccessLog } from "./alb.js";
import { parseCloudTrailFile, parseCloudTrailMessage } from "./cloudtrail.js";
import { type ServiceLogsConfig, type ServiceLogsConfigInput, ServiceLogsConfigSchema } from "./config.js";
import {
  fail,
  type ServiceLogEntry,
  type ServiceLogKind,
  type ServiceLogObjectResult,
  type ServiceLogResult,
  stripLineEnd,
} from "./types.js";
import {
  parseVpcFlowFormat,
  parseVpcFlowLog,
  VPC_FLOW_DEFAULT_FIELDS,
  vpcFlowHeaderFields,
} from "./vpc-flow.js";

/**
 * Choosing the parser for a payload: by S3 key first (AWS writes those, so they are exact), then
 * by log group name. A payload that matches nothing is not a service log and takes the ordinary
 * path. Nothing is guessed from the content: a line that merely looks like a flow log record is
 * an application's own line.
 */

/** Where a payload came from. */
export interface ServiceLogSource {
  /** CloudWatch Logs group (subscription and Firehose-from-CloudWatch payloads). */
  log_group?: string;
  /** S3 object key (objects the services deliver to S3). */
  s3_key?: string;
}

/** A parser bound to one source: select once per payload, then parse each message or the object. */
export interface ServiceLogParser {
  readonly kind: ServiceLogKind;
  /** From the S3 key, when it names them. */
  readonly account_id?: string;
  readonly region?: string;
  /** One CloudWatch Logs message (or one line of an object). */
  parseMessage(message: string): ServiceLogResult;
  /** A whole decompressed S3 object. */
  parseObject(content: string): ServiceLogObjectResult;
}

/** A configuration compiled once: patterns as regular expressions, formats as field lists. */
export interface CompiledServiceLogs {
  readonly config: ServiceLogsConfig;
  readonly vpcFlow: {
    logGroups: RegExp[];
    s3Keys: RegExp[];
    fields: readonly string[];
    formats: { logGroup: RegExp; fields: readonly string[] }[];
  };
  readonly cloudtrail: { logGroups: RegExp[]; s3Keys: RegExp[] };
  readonly alb: { logGroups: RegExp[]; s3Keys: RegExp[] };
}

function fieldsOf(format: string): readonly string[] {
  const parsed = parseVpcFlowFormat(format);
  return parsed.ok ? parsed.fields : VPC_FLOW_DEFAULT_FIELDS;
}

/** Validates `config` (a parsed config passes through unchanged) and compiles it. */
export function compileServiceLogs(config: ServiceLogsConfigInput = {}): CompiledServiceLogs {
  const parsed = ServiceLogsConfigSchema.parse(config);
  const groups = (list: string[]) => list.map((p) => new RegExp(p, "i"));
  const keys = (list: string[]) => list.map((p) => new RegExp(p));
  const formats = parsed.vpc_flow.formats.map((f) => ({
    logGroup: new RegExp(f.log_group, "i"),
    fields: fieldsOf(f.fields),
  }));
  return {
    config: parsed,
    vpcFlow: {
      // A group with a configured format is a flow log group too.
      logGroups: [...groups(parsed.vpc_flow.log_groups), ...formats.map((f) => f.logGroup)],
      s3Keys: keys(parsed.vpc_flow.s3_keys),
      fields: fieldsOf(parsed.vpc_flow.fields),
      formats,
    },
    cloudtrail: { logGroups: groups(parsed.cloudtrail.log_groups), s3Keys: keys(parsed.cloudtrail.s3_keys) },
    alb: { logGroups: groups(parsed.alb.log_groups), s3Keys: keys(parsed.alb.s3_keys) },
  };
}

const KEY_ACCOUNT_REGION =
  /(?:^|\/)AWSLogs\/(?:o-[a-z0-9]{10,32}\/)?(\d{12})\/[A-Za-z]+\/([a-z]{2}(?:-[a-z]+)+-\d{1,2})\//;
const HIVE_ACCOUNT = /(?:^|\/)aws-account-id=(\d{12})\//;
const HIVE_REGION = /\/aws-region=([a-z]{2}(?:-[a-z]+)+-\d{1,2})\//;

/** The account and region an `AWSLogs/…` key names. */
export function accountAndRegionFromKey(key: string): { account_id?: string; region?: string } {
  const out: { account_id?: string; region?: string } = {};
  const plain = KEY_ACCOUNT_REGION.exec(key);
  if (plain !== null) {
    out.account_id = plain[1]!;
    out.region = plain[2]!;
    return out;
  }
  const account = HIVE_ACCOUNT.exec(key)?.[1];
  if (account !== undefined) out.account_id = account;
  const region = HIVE_REGION.exec(key)?.[1];
  if (region !== undefined) out.region = region;
  return out;
}

/** Longest key or group name looked at; longer ones are nobody's and match nothing. */
const MAX_NAME_CHARS = 2048;

function matches(patterns: readonly RegExp[], name: string | undefined): boolean {
  return name !== undefined && name.length <= MAX_NAME_CHARS && patterns.some((p) => p.test(name));
}

function kindOf(source: ServiceLogSource, compiled: CompiledServiceLogs): ServiceLogKind | undefined {
  const { config } = compiled;
  const key = typeof source.s3_key === "string" ? source.s3_key : undefined;
  const group = typeof source.log_group === "string" ? source.log_group : undefined;
  if (key !== undefined) {
    if (config.cloudtrail.enabled && matches(compiled.cloudtrail.s3Keys, key)) return "cloudtrail";
    if (config.vpc_flow.enabled && matches(compiled.vpcFlow.s3Keys, key)) return "vpc_flow";
    if (config.alb.enabled && matches(compiled.alb.s3Keys, key)) return "alb";
  }
  if (group !== undefined) {
    if (config.cloudtrail.enabled && matches(compiled.cloudtrail.logGroups, group)) return "cloudtrail";
    if (config.vpc_flow.enabled && matches(compiled.vpcFlow.logGroups, group)) return "vpc_flow";
    if (config.alb.enabled && matches(compiled.alb.logGroups, group)) return "alb";
  }
  return undefined;
}

/** Each non-blank line of `content` through `parseLine`; `index` is the line number from 0. */
function parseLines(
  content: string,
  parseLine: (line: string, index: number) => ServiceLogResult | undefined,
): ServiceLogObjectResult {
  if (typeof content !== "string")
    return fail("invalid_input", `expected the object's text, got ${typeof content}`);
  const lines = stripLineEnd(content).split("\n");
  const entries: ServiceLogEntry[] = [];
  let skipped = 0;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.trim().length === 0) {
      skipped++;
      continue;
    }
    const result = parseLine(line, index);
    if (result === undefined) skipped++;
    else entries.push({ index, result });
  }
  return { ok: true, entries, skipped };
}

/**
 * The parser for a payload from `source`, or undefined when it carries no service log. A key
 * and a group naming different kinds go by the key.
 */
export function selectServiceLogParser(
  source: ServiceLogSource,
  compiled: CompiledServiceLogs,
): ServiceLogParser | undefined {
  const kind = kindOf(source, compiled);
  if (kind === undefined) return undefined;
  const { config } = compiled;
  const key =
    typeof source.s3_key === "string" && source.s3_key.length <= MAX_NAME_CHARS ? source.s3_key : undefined;
  const where = key === undefined ? {} : accountAndRegionFromKey(key);
  const maxLineChars = config.max_line_chars;
  const base = { kind, ...where };

  switch (kind) {
    case "cloudtrail": {
      const options = {
        service: config.cloudtrail.service,
        use_event_id: config.cloudtrail.use_event_id,
        max_line_chars: maxLineChars,
        ...(where.account_id === undefined ? {} : { account_id: where.account_id }),
      };
      return {
        ...base,
        parseMessage: (message) => parseCloudTrailMessage(message, options),
        parseObject: (content) => parseCloudTrailFile(content, options),
      };
    }
    case "alb": {
      const options = {
        ...where,
        service: config.alb.service,
        service_from_load_balancer: config.alb.service_from_load_balancer,
        trace_id_from_xray: config.alb.trace_id_from_xray,
        max_line_chars: maxLineChars,
      };
      return {
        ...base,
        parseMessage: (message) => parseAlbAccessLog(message, options),
        parseObject: (content) => parseLines(content, (line) => parseAlbAccessLog(line, options)),
      };
    }
    case "vpc_flow": {
      const group = typeof source.log_group === "string" ? source.log_group : undefined;
      const format =
        group === undefined || group.length > MAX_NAME_CHARS
          ? undefined
          : compiled.vpcFlow.formats.find((f) => f.logGroup.test(group));
      const options = {
        ...where,
        service: config.vpc_flow.service,
        max_line_chars: maxLineChars,
      };
      const messageOptions = { ...options, fields: format?.fields ?? compiled.vpcFlow.fields };
      return {
        ...base,
        parseMessage: (message) => parseVpcFlowLog(message, messageOptions),
        parseObject: (content) => {
          if (key?.endsWith(".parquet"))
            return fail("unsupported_format", "flow logs in Parquet are not read; deliver them as text");
          // The first line of a delivered file names the fields; without it the configured format applies.
          let lineOptions = { ...options, fields: compiled.vpcFlow.fields };
          let first = true;
          return parseLines(content, (line) => {
            if (first) {
              first = false;
              const header = vpcFlowHeaderFields(line);
              if (header !== undefined) {
                lineOptions = { ...options, fields: header };
                return undefined;
              }
            }
            return parseVpcFlowLog(line, lineOptions);
          });
        },
      };
    }
  }
}

/**
 * Convenience for one message: the parse result, or undefined when `source` carries no service
 * log (the message then takes the ordinary path).
 */
export function parseServiceLog(
  source: ServiceLogSource & { message: string },
  compiled: CompiledServiceLogs,
): ServiceLogResult | undefined {
  return selectServiceLogParser(source, compiled)?.parseMessage(source.message);
}
