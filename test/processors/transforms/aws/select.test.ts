import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  accountAndRegionFromKey,
  compileServiceLogs,
  parseServiceLog,
  type ServiceLogObjectResult,
  ServiceLogsConfigSchema,
  selectServiceLogParser,
} from "../../../../processors/transforms/aws/index.js";
import { fixture, fixtureLines, parsed } from "./support.js";

const compiled = compileServiceLogs();

const KEYS = {
  cloudtrail:
    "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz",
  cloudtrailOrg:
    "trails/AWSLogs/o-exampleorgid/111122223333/CloudTrail/us-east-1/2024/01/02/111122223333_CloudTrail_us-east-1_20240102T0000Z_abcdefghijklmnop.json.gz",
  cloudtrailDigest:
    "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/01/111122223333_CloudTrail-Digest_us-east-2_trail_us-east-2_20150801T0210Z.json.gz",
  alb: "prefix/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2016/05/01/123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.1234567890abcdef_20140215T2340Z_172.160.001.192_20sg8hgm.log.gz",
  vpc: "AWSLogs/123456789012/vpcflowlogs/us-east-1/2021/06/01/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20210601T0000Z_1a2b3c4d.log.gz",
  vpcHive:
    "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2021/month=06/day=01/hour=00/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20210601T0000Z_1a2b3c4d.log.gz",
};

function entries(result: ServiceLogObjectResult) {
  if (!result.ok) throw new Error(`object failed: ${result.code} ${result.reason}`);
  return result;
}

describe("choosing a parser by S3 key", () => {
  it.each([
    ["a CloudTrail file", KEYS.cloudtrail, "cloudtrail", "111122223333", "us-east-2"],
    ["an organization trail's file", KEYS.cloudtrailOrg, "cloudtrail", "111122223333", "us-east-1"],
    ["an ALB access log file", KEYS.alb, "alb", "123456789012", "us-east-2"],
    ["a flow log file", KEYS.vpc, "vpc_flow", "123456789012", "us-east-1"],
    ["a flow log file under Hive-compatible prefixes", KEYS.vpcHive, "vpc_flow", "123456789012", "us-east-1"],
  ])("recognises %s with its account and region", (_name, s3_key, kind, account, region) => {
    const parser = selectServiceLogParser({ s3_key }, compiled);
    expect(parser).toMatchObject({ kind, account_id: account, region });
  });

  it.each([
    ["a CloudTrail digest file", KEYS.cloudtrailDigest],
    ["the load balancer's test file", "AWSLogs/123456789012/ELBAccessLogTestFile"],
    ["an application's object", "exports/2024/report.json.gz"],
    ["a key longer than any real one", `AWSLogs/123456789012/CloudTrail/${"x/".repeat(2000)}`],
  ])("passes over %s", (_name, s3_key) => {
    expect(selectServiceLogParser({ s3_key }, compiled)).toBeUndefined();
  });

  it("goes by the key when key and log group disagree", () => {
    expect(selectServiceLogParser({ s3_key: KEYS.alb, log_group: "cloudtrail" }, compiled)?.kind).toBe("alb");
  });

  it("reads the account and region of a plain key", () => {
    expect(accountAndRegionFromKey(KEYS.vpc)).toEqual({ account_id: "123456789012", region: "us-east-1" });
    expect(accountAndRegionFromKey("no/aws/here")).toEqual({});
  });
});

describe("choosing a parser by log group", () => {
  it.each([
    ["/aws/vpc/flow-logs", "vpc_flow"],
    ["vpc-flow-logs", "vpc_flow"],
    ["VPCFlowLogs", "vpc_flow"],
    ["flowlogs", "vpc_flow"],
    ["aws-cloudtrail-logs-123456789012-0a1b2c3d", "cloudtrail"],
    ["CloudTrail/DefaultLogGroup", "cloudtrail"],
    ["alb-access-logs", "alb"],
  ])("takes %s for %s", (log_group, kind) => {
    expect(selectServiceLogParser({ log_group }, compiled)?.kind).toBe(kind);
  });

  it.each([
    "/aws/lambda/checkout-api",
    "/aws/lambda/cloudtrail-processor",
    "/aws/lambda/vpc-flow-enricher",
    "/ecs/workflow-logs",
    "",
  ])("passes over %s", (log_group) => {
    expect(selectServiceLogParser({ log_group }, compiled)).toBeUndefined();
  });

  it("passes over a source with neither key nor group", () => {
    expect(selectServiceLogParser({}, compiled)).toBeUndefined();
  });

  it("passes over a disabled kind", () => {
    const disabled = compileServiceLogs({ cloudtrail: { enabled: false } });
    expect(selectServiceLogParser({ log_group: "CloudTrail/DefaultLogGroup" }, disabled)).toBeUndefined();
    expect(selectServiceLogParser({ s3_key: KEYS.cloudtrail }, disabled)).toBeUndefined();
  });

  it("uses configured patterns instead of the defaults", () => {
    const custom = compileServiceLogs({ alb: { log_groups: ["^/edge/lb$"] } });
    expect(selectServiceLogParser({ log_group: "/edge/LB" }, custom)?.kind).toBe("alb");
    expect(selectServiceLogParser({ log_group: "alb-access-logs" }, custom)).toBeUndefined();
  });
});

describe("parsing through the selected parser", () => {
  it("parses a CloudWatch Logs message of a flow log group", () => {
    const line = fixtureLines("vpc-flow-default.log")[0]!;
    const result = parseServiceLog({ log_group: "/aws/vpc/flow-logs", message: line }, compiled);
    expect(result).toMatchObject({ ok: true, kind: "vpc_flow" });
  });

  it("answers undefined for a message that is no service log", () => {
    expect(
      parseServiceLog({ log_group: "/aws/lambda/checkout-api", message: "hello" }, compiled),
    ).toBeUndefined();
  });

  it("reads a custom format configured for the log group", () => {
    const [header, first] = fixtureLines("vpc-flow-tcp-flags.log");
    const config = compileServiceLogs({
      vpc_flow: {
        formats: [{ log_group: "^/vpc/prod$", fields: header!.replace(/(\S+)/g, `\${$1}`) }],
      },
    });
    const custom = parseServiceLog({ log_group: "/vpc/prod", message: first! }, config);
    expect(parsed(custom!).record.host).toBe("i-01234567890123456");
    const other = parseServiceLog({ log_group: "/vpc/flow-logs", message: first! }, config);
    expect(other).toMatchObject({ ok: false, code: "field_count" });
  });

  it("reads a flow log file by its header line, indexing entries by line", () => {
    const parser = selectServiceLogParser({ s3_key: KEYS.vpc }, compiled)!;
    const result = entries(parser.parseObject(fixture("vpc-flow-tcp-flags.log")));
    expect(result.skipped).toBe(1);
    expect(result.entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(result.entries.every((e) => e.result.ok)).toBe(true);
    expect(parsed(result.entries[0]!.result).record.region).toBe("us-east-1");
  });

  it("reads a flow log file without a header in the configured format", () => {
    const parser = selectServiceLogParser({ s3_key: KEYS.vpc }, compiled)!;
    const result = entries(parser.parseObject(fixture("vpc-flow-default.log")));
    expect(result.entries).toHaveLength(7);
    expect(result.entries.every((e) => e.result.ok)).toBe(true);
  });

  it("reports a Parquet flow log file as unsupported", () => {
    const parser = selectServiceLogParser({ s3_key: KEYS.vpc.replace(".log.gz", ".parquet") }, compiled)!;
    expect(parser.parseObject("PAR1")).toMatchObject({ ok: false, code: "unsupported_format" });
  });

  it("reads an ALB file line by line, passing over blank lines and reporting bad ones", () => {
    const parser = selectServiceLogParser({ s3_key: KEYS.alb }, compiled)!;
    const lines = fixtureLines("alb-access-log-current-format.log");
    const content = `${lines[0]}\r\n\r\n${lines[1]}\r\nhttp truncated\r\n`;
    const result = entries(parser.parseObject(content));
    expect(result.skipped).toBe(1);
    expect(result.entries.map((e) => [e.index, e.result.ok])).toEqual([
      [0, true],
      [2, true],
      [3, false],
    ]);
  });

  it("reads a CloudTrail file through the selected parser", () => {
    const parser = selectServiceLogParser({ s3_key: KEYS.cloudtrail }, compiled)!;
    const result = entries(parser.parseObject(fixture("cloudtrail-error-update-trail.json")));
    expect(parsed(result.entries[0]!.result).id).toBe("cloudtrail-b7d4398e-b2f0-4faa-9c76-e2d316a8d67f");
  });

  it("reports object content that is not text", () => {
    const parser = selectServiceLogParser({ s3_key: KEYS.alb }, compiled)!;
    expect(parser.parseObject(Buffer.from("x") as unknown as string)).toMatchObject({
      ok: false,
      code: "invalid_input",
    });
  });

  it("applies the configured line cap", () => {
    const small = compileServiceLogs({ max_line_chars: 1024 });
    const result = parseServiceLog({ log_group: "alb-access-logs", message: "x".repeat(2000) }, small);
    expect(result).toMatchObject({ ok: false, code: "line_too_long" });
  });
});

describe("configuration", () => {
  it("has defaults for everything", () => {
    const config = ServiceLogsConfigSchema.parse({});
    expect(config.vpc_flow.service).toBe("vpc-flow-logs");
    expect(config.cloudtrail.use_event_id).toBe(true);
    expect(config.alb.service_from_load_balancer).toBe(true);
    expect(config.max_line_chars).toBe(1_048_576);
  });

  it.each([
    ["an unknown key", { alb: { sevice: "x" } }],
    ["an invalid pattern", { cloudtrail: { log_groups: ["(unclosed"] } }],
    ["an invalid format", { vpc_flow: { fields: `\${Version}` } }],
    ["a format entry without a log group", { vpc_flow: { formats: [{ fields: "version" }] } }],
    ["a tiny line cap", { max_line_chars: 10 }],
  ])("rejects %s", (_name, input) => {
    expect(ServiceLogsConfigSchema.safeParse(input).success).toBe(false);
  });

  it("describes every field", () => {
    const missing: string[] = [];
    const walk = (schema: z.ZodType, path: string): void => {
      if (!(schema instanceof z.ZodObject)) return;
      for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
        if (!field.description) missing.push(`${path}${key}`);
        let inner: z.ZodType = field;
        while (
          inner instanceof z.ZodDefault ||
          inner instanceof z.ZodPrefault ||
          inner instanceof z.ZodOptional
        )
          inner = inner.unwrap() as z.ZodType;
        if (inner instanceof z.ZodArray) inner = inner.element as z.ZodType;
        walk(inner, `${path}${key}.`);
      }
    };
    walk(ServiceLogsConfigSchema, "");
    expect(missing).toEqual([]);
  });
});
