import { describe, expect, it } from "vitest";
import {
  compileServiceLogs,
  parseAlbAccessLog,
  parseCloudTrailFile,
  parseCloudTrailRecord,
  parseVpcFlowLog,
  type ServiceLogResult,
  selectServiceLogParser,
  toIncomingRecord,
} from "../../../../processors/transforms/aws/index.js";
import {
  albDocumentationEntries,
  finish,
  fixture,
  fixtureLines,
  ORIGIN,
  parsed,
  RECEIVED_AT,
  transformer,
} from "./support.js";

const CLOUDTRAIL_FILES = [
  "cloudtrail-ec2-start-instances.json",
  "cloudtrail-ec2-stop-instances.json",
  "cloudtrail-ec2-create-key-pair.json",
  "cloudtrail-iam-create-user.json",
  "cloudtrail-iam-add-user-to-group.json",
  "cloudtrail-error-update-trail.json",
];
const CLOUDTRAIL_RECORDS = [
  "cloudtrail-states-delete-state-machine-access-denied.json",
  "cloudtrail-service-event-bid-evicted.json",
];
const VPC_FILES = [
  "vpc-flow-default.log",
  "vpc-flow-tcp-flags.log",
  "vpc-flow-nat-gateway.log",
  "vpc-flow-transit-gateway.log",
  "vpc-flow-traffic-path.log",
];

function cloudTrailResults(): ServiceLogResult[] {
  const fromFiles = CLOUDTRAIL_FILES.flatMap((name) => {
    const file = parseCloudTrailFile(fixture(name));
    if (!file.ok) throw new Error(`${name}: ${file.reason}`);
    return file.entries.map((e) => e.result);
  });
  const single = CLOUDTRAIL_RECORDS.map((name) => parseCloudTrailRecord(JSON.parse(fixture(name))));
  return [...fromFiles, ...single];
}

describe("every documented example through the transform chain", () => {
  it("turns each VPC Flow Logs record of a delivered file into a valid event", () => {
    const parser = selectServiceLogParser(
      { s3_key: "AWSLogs/123456789012/vpcflowlogs/us-east-1/2021/06/01/x.log.gz" },
      compileServiceLogs(),
    )!;
    let count = 0;
    for (const name of VPC_FILES) {
      const result = parser.parseObject(fixture(name));
      if (!result.ok) throw new Error(`${name}: ${result.reason}`);
      for (const entry of result.entries) {
        const event = finish(entry.result);
        expect(event.service).toBe("vpc-flow-logs");
        count++;
      }
    }
    expect(count).toBe(25);
  });

  it("turns each CloudTrail record into a valid event", () => {
    const results = cloudTrailResults();
    expect(results).toHaveLength(8);
    for (const result of results) expect(finish(result).service).toBe("cloudtrail");
  });

  it("turns each ALB entry into a valid event", () => {
    const lines = [
      ...albDocumentationEntries(),
      ...fixtureLines("alb-access-log-current-format.log"),
      ...fixtureLines("alb-access-log-failed.log"),
    ];
    expect(lines).toHaveLength(16);
    for (const line of lines) expect(finish(parseAlbAccessLog(line)).service).toBe("my-loadbalancer");
  });
});

describe("what the transform chain adds", () => {
  it("maps an ALB entry onto the schema's own fields", () => {
    const event = finish(parseAlbAccessLog(albDocumentationEntries()[1]!), {
      context: { log_group: "alb-access-logs", log_stream: "node-1" },
    });
    expect(event).toMatchObject({
      id: ORIGIN.id,
      "@timestamp": "2018-07-02T22:23:00.186Z",
      service: "my-loadbalancer",
      region: "us-east-2",
      level: "info",
      message: "GET / 200 171ms",
      trace_id: "583372811d84f3d73c47ec4e58577259",
      http: {
        method: "GET",
        path: "/",
        status: 200,
        latency_ms: 171,
        user_agent: "curl/7.46.0",
        client_ip: "192.168.131.39",
      },
      source: "s3",
      log_group: "alb-access-logs",
      log_stream: "node-1",
      ingest_time: new Date(RECEIVED_AT).toISOString(),
    });
    expect(event.attrs?.["alb.trace_id"]).toBe("Root=1-58337281-1d84f3d73c47ec4e58577259");
  });

  it("uses CloudTrail's event id as the event id", () => {
    const event = finish(
      parseCloudTrailRecord(JSON.parse(fixture("cloudtrail-service-event-bid-evicted.json"))),
    );
    expect(event.id).toBe("cloudtrail-d27a6096-807b-4bd0-8c20-a33a83375054");
  });

  it("keeps the origin's id for a log that carries none", () => {
    const event = finish(parseVpcFlowLog(fixtureLines("vpc-flow-default.log")[0]!));
    expect(event.id).toBe(ORIGIN.id);
    expect(event["@timestamp"]).toBe("2014-12-14T04:06:50.000Z");
  });

  it("takes the delivery time for a record without a time of its own", () => {
    const [header, line] = fixtureLines("vpc-flow-nat-gateway.log");
    const result = parseVpcFlowLog(line!, { fields: header!.split(" ") });
    const delivered = Date.UTC(2024, 0, 2, 3, 4, 5, 6);
    const event = finish(result, { origin: { ...ORIGIN, time: delivered } });
    expect(event["@timestamp"]).toBe("2024-01-02T03:04:05.006Z");
  });

  it("builds the transform input from the parse result", () => {
    const result = parsed(parseVpcFlowLog(fixtureLines("vpc-flow-default.log")[0]!));
    expect(toIncomingRecord(result, ORIGIN)).toEqual({
      id: ORIGIN.id,
      time: 1418530010000,
      receivedAt: RECEIVED_AT,
      tag: "vpc-flow-logs",
      source: "s3",
      record: result.record,
    });
  });

  it("drops NODATA records when debug is a dropped level", () => {
    const transform = transformer({ drop_levels: ["debug"] });
    const result = parsed(parseVpcFlowLog(fixtureLines("vpc-flow-default.log")[2]!));
    const out = transform(toIncomingRecord(result, ORIGIN));
    expect(out).toMatchObject({ ok: false, code: "dropped_level", intentional: true });
  });
});

describe("redaction and bounds still apply", () => {
  it("redacts an access key id in a CloudTrail identity", () => {
    const record = JSON.parse(fixture("cloudtrail-states-delete-state-machine-access-denied.json"));
    const event = finish(parseCloudTrailRecord(record));
    expect(event.attrs?.["cloudtrail.userIdentity.accessKeyId"]).toBe("[REDACTED:aws_access_key]");
  });

  it("redacts an e-mail address in an ALB query string", () => {
    const line = albDocumentationEntries()[0]!.replace(
      "http://www.example.com:80/ ",
      "http://www.example.com:80/login?user=alice@example.com ",
    );
    const event = finish(parseAlbAccessLog(line));
    expect(event.http?.path).toBe("/login");
    expect(event.attrs?.["http.query"]).toBe("user=[REDACTED:email]");
  });

  it("redacts a credential-named payload field", () => {
    const record = {
      eventTime: "2024-05-05T02:12:00Z",
      eventName: "CreateLoginProfile",
      requestParameters: { userName: "bob", password: "hunter2hunter2" },
    };
    const event = finish(parseCloudTrailRecord(record));
    expect(event.attrs?.["cloudtrail.requestParameters.password"]).toBe("[REDACTED:sensitive_field]");
  });

  it("folds payload keys past the attribute cap, keeping the identity fields", () => {
    const requestParameters = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`p${i}`, `v${i}`]));
    const record = {
      ...JSON.parse(fixture("cloudtrail-states-delete-state-machine-access-denied.json")),
      requestParameters,
    };
    const event = finish(parseCloudTrailRecord(record), {
      transform: transformer({ limits: { max_attrs: 20 } }),
    });
    expect(event.attrs).toMatchObject({
      "cloudtrail.eventName": "DeleteStateMachine",
      "cloudtrail.errorCode": "AccessDenied",
      "cloudtrail.userIdentity.arn": "arn:aws:iam::123456789012:user/graphene/tests/test-user",
    });
    expect(Number(event.attrs?._overflow_keys)).toBeGreaterThan(30);
  });

  it("truncates an oversized user agent with a marker", () => {
    const line = albDocumentationEntries()[0]!.replace('"curl/7.46.0"', `"${"Mozilla ".repeat(2000)}"`);
    const event = finish(parseAlbAccessLog(line), {
      transform: transformer({ limits: { max_attr_value_bytes: 256 } }),
    });
    expect(Buffer.byteLength(event.http?.user_agent ?? "")).toBeLessThanOrEqual(256);
    expect(event.http?.user_agent).toMatch(/\[truncated \d+ bytes\]$/);
  });
});
