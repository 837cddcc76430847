import { z } from "zod";
import { DEFAULT_MAX_LINE_CHARS } from "./types.js";
import { parseVpcFlowFormat, VPC_FLOW_DEFAULT_FORMAT } from "./vpc-flow.js";

/**
 * Which log groups and S3 keys carry AWS service logs, and how to read them. Log group patterns
 * are matched case-insensitively (names are chosen by people); S3 key patterns case-sensitively
 * (AWS writes the keys, and S3 keys are case-sensitive).
 */

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

const PatternSchema = z
  .string()
  .min(1)
  .max(512)
  .refine(compiles, { message: "not a valid regular expression" })
  .describe("JavaScript regular expression source.");

function patterns(defaults: string[], description: string) {
  return z.array(PatternSchema).max(32).default(defaults).describe(description);
}

const FormatSchema = z
  .string()
  .min(1)
  .max(8192)
  .refine((format) => parseVpcFlowFormat(format).ok, {
    message:
      // biome-ignore lint/suspicious/noTemplateCurlyInString: `${name}` is the flow log format's own syntax.
      "not a flow log format: field names (lower-case letters, digits, -), as ${name} or bare, once each",
  });

export const VpcFlowFormatConfigSchema = z
  .object({
    log_group: PatternSchema.describe(
      "Regular expression matched (case-insensitively) against the log group name; the first matching entry wins.",
    ),
    fields: FormatSchema.describe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: `${name}` is the flow log format's own syntax.
      "The flow log's format as given when it was created, e.g. `${version} ${vpc-id} ${srcaddr} ...`.",
    ),
  })
  .strict();

export const VpcFlowConfigSchema = z
  .object({
    enabled: z.boolean().default(true).describe("Parse VPC Flow Logs records."),
    log_groups: patterns(
      ["^(?!/aws/lambda/).*vpc[-_]?flow", "^(?!/aws/lambda/)(?:.*/)?flow[-_]?logs?(?:/|$)"],
      "Log groups holding flow logs: regular expressions, matched case-insensitively (the defaults skip Lambda functions' own groups).",
    ),
    s3_keys: patterns(
      [
        "(?:^|/)AWSLogs/(?:o-[a-z0-9]{10,32}/)?\\d{12}/vpcflowlogs/",
        "(?:^|/)AWSLogs/aws-account-id=\\d{12}/aws-service=vpcflowlogs/",
      ],
      "S3 keys of flow log files (plain and Hive-compatible prefixes): regular expressions.",
    ),
    fields: FormatSchema.default(VPC_FLOW_DEFAULT_FORMAT).describe(
      "Format of records in log groups without an entry in formats, and of S3 files without a header line.",
    ),
    formats: z
      .array(VpcFlowFormatConfigSchema)
      .max(64)
      .default([])
      .describe(
        "Custom formats of flow logs delivered to CloudWatch Logs, by log group; a group listed here is a flow log group.",
      ),
    service: z.string().min(1).max(128).default("vpc-flow-logs").describe("Service of flow log events."),
  })
  .strict();

export const CloudTrailConfigSchema = z
  .object({
    enabled: z.boolean().default(true).describe("Parse CloudTrail records."),
    log_groups: patterns(
      ["^(?!/aws/lambda/).*cloudtrail"],
      "Log groups a trail delivers to: regular expressions, matched case-insensitively (the default skips Lambda functions' own groups).",
    ),
    s3_keys: patterns(
      ["(?:^|/)AWSLogs/(?:o-[a-z0-9]{10,32}/)?\\d{12}/CloudTrail/"],
      "S3 keys of CloudTrail log files (digest and Insights files are not matched): regular expressions.",
    ),
    service: z.string().min(1).max(128).default("cloudtrail").describe("Service of CloudTrail events."),
    use_event_id: z
      .boolean()
      .default(true)
      .describe("Use the record's eventID as the event id, so a record delivered twice is stored once."),
  })
  .strict();

export const AlbConfigSchema = z
  .object({
    enabled: z.boolean().default(true).describe("Parse Application Load Balancer access logs."),
    log_groups: patterns(
      ["^(?!/aws/lambda/).*[ae]lb[-_]?access[-_]?logs?"],
      "Log groups ALB entries are forwarded to: regular expressions, matched case-insensitively (the default skips Lambda functions' own groups).",
    ),
    s3_keys: patterns(
      ["(?:^|/)AWSLogs/\\d{12}/elasticloadbalancing/"],
      "S3 keys of load balancer access log files: regular expressions.",
    ),
    service: z
      .string()
      .min(1)
      .max(128)
      .default("alb")
      .describe("Service of ALB events when it is not taken from the load balancer's name."),
    service_from_load_balancer: z
      .boolean()
      .default(true)
      .describe("Use the load balancer's name as the service (app/my-lb/50dc… → my-lb)."),
    trace_id_from_xray: z
      .boolean()
      .default(true)
      .describe("Set trace_id from the X-Amzn-Trace-Id Root, in W3C form (32 hex digits)."),
  })
  .strict();

export const ServiceLogsConfigSchema = z
  .object({
    vpc_flow: VpcFlowConfigSchema.prefault({}).describe("VPC Flow Logs."),
    cloudtrail: CloudTrailConfigSchema.prefault({}).describe("CloudTrail."),
    alb: AlbConfigSchema.prefault({}).describe("Application Load Balancer access logs."),
    max_line_chars: z
      .number()
      .int()
      .min(1024)
      .max(16_777_216)
      .default(DEFAULT_MAX_LINE_CHARS)
      .describe(
        "Longest line or CloudWatch Logs message parsed, in characters; longer ones are reported as failures.",
      ),
  })
  .strict();

export type ServiceLogsConfig = z.output<typeof ServiceLogsConfigSchema>;
export type ServiceLogsConfigInput = z.input<typeof ServiceLogsConfigSchema>;
export type VpcFlowConfig = z.output<typeof VpcFlowConfigSchema>;
export type CloudTrailConfig = z.output<typeof CloudTrailConfigSchema>;
export type AlbConfig = z.output<typeof AlbConfigSchema>;
