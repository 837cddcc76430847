import { describe, expect, it } from "vitest";
import {
  parseCloudTrailFile,
  parseCloudTrailMessage,
  parseCloudTrailRecord,
  type ServiceLogObjectResult,
  type ServiceLogResult,
} from "../../../../processors/transforms/aws/index.js";
import { finish, fixture, parsed } from "./support.js";

function only(file: ServiceLogObjectResult): ServiceLogResult {
  if (!file.ok) throw new Error(`file failed: ${file.code} ${file.reason}`);
  expect(file.entries).toHaveLength(1);
  expect(file.entries[0]!.index).toBe(0);
  return file.entries[0]!.result;
}

function fromFile(name: string): ServiceLogResult {
  return only(parseCloudTrailFile(fixture(name)));
}

function record(name: string): Record<string, unknown> {
  return JSON.parse(fixture(name)) as Record<string, unknown>;
}

describe("log file examples from the documentation", () => {
  it("maps an IAM user's StartInstances call to a complete record", () => {
    expect(fromFile("cloudtrail-ec2-start-instances.json")).toEqual({
      ok: true,
      kind: "cloudtrail",
      timeMs: Date.UTC(2014, 2, 6, 21, 22, 54),
      record: {
        "@timestamp": "2014-03-06T21:22:54.000Z",
        service: "cloudtrail",
        level: "info",
        message: "StartInstances by arn:aws:iam::123456789012:user/Alice from 205.251.233.176",
        region: "us-east-2",
        http: { user_agent: "ec2-api-tools 1.6.12.2", client_ip: "205.251.233.176" },
        attrs: {
          "aws.service": "ec2.amazonaws.com",
          "aws.account_id": "123456789012",
          "cloudtrail.eventName": "StartInstances",
          "cloudtrail.eventSource": "ec2.amazonaws.com",
          "cloudtrail.userIdentity": {
            type: "IAMUser",
            principalId: "EX_PRINCIPAL_ID",
            arn: "arn:aws:iam::123456789012:user/Alice",
            accessKeyId: "EXAMPLE_KEY_ID",
            accountId: "123456789012",
            userName: "Alice",
          },
          "cloudtrail.sourceIPAddress": "205.251.233.176",
          "cloudtrail.eventVersion": "1.0",
          "cloudtrail.requestParameters": { instancesSet: { items: [{ instanceId: "i-ebeaf9e2" }] } },
          "cloudtrail.responseElements": {
            instancesSet: {
              items: [
                {
                  instanceId: "i-ebeaf9e2",
                  currentState: { code: 0, name: "pending" },
                  previousState: { code: 80, name: "stopped" },
                },
              ],
            },
          },
        },
      },
    });
  });

  it("flattens the record's objects into dotted attrs through the transform chain", () => {
    const event = finish(fromFile("cloudtrail-ec2-stop-instances.json"));
    expect(event.attrs).toMatchObject({
      "cloudtrail.userIdentity.type": "IAMUser",
      "cloudtrail.userIdentity.arn": "arn:aws:iam::123456789012:user/Alice",
      "cloudtrail.userIdentity.userName": "Alice",
      "cloudtrail.requestParameters.force": "false",
      "cloudtrail.requestParameters.instancesSet.items": '[{"instanceId":"i-ebeaf9e2"}]',
      "cloudtrail.responseElements.instancesSet.items":
        '[{"instanceId":"i-ebeaf9e2","currentState":{"code":64,"name":"stopping"},"previousState":{"code":16,"name":"running"}}]',
    });
    expect(event["@timestamp"]).toBe("2014-03-06T21:01:59.000Z");
    expect(event.message).toBe("StopInstances by arn:aws:iam::123456789012:user/Alice from 205.251.233.176");
  });

  it("maps a failed call to a warning that names the error, with the event id as the id", () => {
    expect(fromFile("cloudtrail-error-update-trail.json")).toMatchObject({
      ok: true,
      id: "cloudtrail-b7d4398e-b2f0-4faa-9c76-e2d316a8d67f",
      record: {
        level: "warn",
        message:
          "UpdateTrail by arn:aws:iam::123456789012:user/Alice from 205.251.233.182 failed: TrailNotFoundException",
        request_id: "5d40662a-49f7-11e6-97e4-d9cb6ff7d6a3",
        attrs: {
          "cloudtrail.errorCode": "TrailNotFoundException",
          "cloudtrail.errorMessage": "Unknown trail: myTrail2 for the user: 123456789012",
          "cloudtrail.eventType": "AwsApiCall",
          "cloudtrail.eventID": "b7d4398e-b2f0-4faa-9c76-e2d316a8d67f",
          "cloudtrail.recipientAccountId": "123456789012",
        },
      },
    });
  });

  it("maps a denied call to an error", () => {
    const result = parseCloudTrailRecord(record("cloudtrail-states-delete-state-machine-access-denied.json"));
    expect(result).toMatchObject({
      ok: true,
      id: "cloudtrail-4a622d5c-e9cf-4051-90f2-4cdb69792cd8",
      record: {
        "@timestamp": "2016-10-28T01:17:37.000Z",
        level: "error",
        message:
          "DeleteStateMachine by arn:aws:iam::123456789012:user/graphene/tests/test-user from 10.61.88.189 failed: AccessDenied",
        region: "us-east-1",
        request_id: "2cf23f3c-9cac-11e6-aed5-5b57d226e9ef",
        http: { user_agent: "Coral/Netty", client_ip: "10.61.88.189" },
      },
    });
  });

  it("keeps a service name in sourceIPAddress out of the client IP", () => {
    const result = parsed(parseCloudTrailRecord(record("cloudtrail-service-event-bid-evicted.json")));
    expect(result.id).toBe("cloudtrail-d27a6096-807b-4bd0-8c20-a33a83375054");
    expect(result.record.message).toBe("BidEvictedEvent by ec2.amazonaws.com from ec2.amazonaws.com");
    expect(result.record.http).toEqual({ user_agent: "ec2.amazonaws.com" });
    expect(result.record.attrs["cloudtrail.sourceIPAddress"]).toBe("ec2.amazonaws.com");
    expect(result.record.attrs["aws.account_id"]).toBe("123456789012");
  });

  it("leaves null payloads out of attrs", () => {
    const { attrs } = parsed(
      parseCloudTrailRecord(record("cloudtrail-service-event-bid-evicted.json")),
    ).record;
    expect(Object.keys(attrs)).not.toContain("cloudtrail.RequestParameters");
    expect(Object.keys(attrs)).not.toContain("cloudtrail.ResponseElements");
    expect(attrs["cloudtrail.serviceEventDetails"]).toEqual({ instanceIdSet: ["i-1eb2ac8e"] });
  });

  it("puts open-ended payloads after the identity fields", () => {
    const { attrs } = parsed(fromFile("cloudtrail-ec2-create-key-pair.json")).record;
    const keys = Object.keys(attrs);
    expect(keys.indexOf("cloudtrail.userIdentity")).toBeLessThan(
      keys.indexOf("cloudtrail.requestParameters"),
    );
    expect(keys.at(-1)).toBe("cloudtrail.responseElements");
  });

  it("reads a record CloudWatch Logs delivered as one message", () => {
    const message = fixture("cloudtrail-states-delete-state-machine-access-denied.json");
    expect(parseCloudTrailMessage(message)).toEqual(
      parseCloudTrailRecord(record("cloudtrail-states-delete-state-machine-access-denied.json")),
    );
  });

  it("reports the CreateRole example, which is not valid JSON as printed, as a whole-file failure", () => {
    expect(parseCloudTrailFile(fixture("cloudtrail-iam-create-role.json"))).toMatchObject({
      ok: false,
      code: "invalid_json",
    });
  });

  it("gives each record of a file its position as the index", () => {
    const a = record("cloudtrail-states-delete-state-machine-access-denied.json");
    const b = record("cloudtrail-service-event-bid-evicted.json");
    const file = parseCloudTrailFile(JSON.stringify({ Records: [a, "junk", b] }));
    if (!file.ok) throw new Error("expected a file");
    expect(file.entries.map((e) => [e.index, e.result.ok])).toEqual([
      [0, true],
      [1, false],
      [2, true],
    ]);
  });
});

describe("level, actor, id and secrets", () => {
  const base = {
    eventTime: "2024-05-05T02:12:00Z",
    eventName: "ConsoleLogin",
    eventSource: "signin.amazonaws.com",
    sourceIPAddress: "203.0.113.5",
  };

  it("makes a failed console sign-in a warning", () => {
    const result = parseCloudTrailRecord({
      ...base,
      userIdentity: { type: "IAMUser", userName: "alice" },
      responseElements: { ConsoleLogin: "Failure" },
    });
    expect(parsed(result).record.level).toBe("warn");
    expect(parsed(result).record.message).toBe("ConsoleLogin by alice from 203.0.113.5");
  });

  it.each([
    ["UnauthorizedOperation", "error"],
    ["Client.UnauthorizedOperation", "error"],
    ["AccessDeniedException", "error"],
    ["ThrottlingException", "warn"],
  ])("gives errorCode %s the level %s", (errorCode, level) => {
    expect(parsed(parseCloudTrailRecord({ ...base, errorCode })).record.level).toBe(level);
  });

  it("names an unknown actor when the record has no identity", () => {
    expect(parsed(parseCloudTrailRecord(base)).record.message).toBe(
      "ConsoleLogin by unknown from 203.0.113.5",
    );
  });

  it("uses no event id when disabled or when it is not a UUID", () => {
    const eventID = "4a622d5c-e9cf-4051-90f2-4cdb69792cd8";
    expect(parsed(parseCloudTrailRecord({ ...base, eventID }, { use_event_id: false })).id).toBeUndefined();
    expect(parsed(parseCloudTrailRecord({ ...base, eventID: "evt-2" })).id).toBeUndefined();
  });

  it("replaces temporary credentials in a response without touching the caller's record", () => {
    const input = {
      ...base,
      eventName: "AssumeRole",
      responseElements: {
        credentials: { accessKeyId: "ASIAEXAMPLE", sessionToken: "IQoJb3JpZ2luX2VjEXAMPLE", expiration: "x" },
      },
    };
    const { attrs } = parsed(parseCloudTrailRecord(input)).record;
    expect(attrs["cloudtrail.responseElements"]).toEqual({
      credentials: {
        accessKeyId: "ASIAEXAMPLE",
        sessionToken: "[REDACTED:sensitive_field]",
        expiration: "x",
      },
    });
    expect(input.responseElements.credentials.sessionToken).toBe("IQoJb3JpZ2luX2VjEXAMPLE");
  });

  it("takes the account from the options when the record names none", () => {
    expect(
      parsed(parseCloudTrailRecord(base, { account_id: "111122223333" })).record.attrs["aws.account_id"],
    ).toBe("111122223333");
  });
});

describe("malformed, truncated, oversized and hostile records", () => {
  it.each([
    ["an array", []],
    ["a string", "StartInstances"],
    ["null", null],
    ["a number", 42],
  ])("reports %s as not an object", (_name, value) => {
    expect(parseCloudTrailRecord(value)).toEqual({
      ok: false,
      code: "not_an_object",
      reason: "a CloudTrail record is a JSON object",
    });
  });

  it("reports a record without eventTime", () => {
    expect(parseCloudTrailRecord({ eventName: "x" })).toEqual({
      ok: false,
      code: "missing_field",
      reason: "the record has no eventTime",
    });
  });

  it.each([
    ["a word", "yesterday"],
    ["a number", 1_700_000_000],
    ["an object", { at: 1 }],
  ])("reports an eventTime that is %s", (_name, eventTime) => {
    expect(parseCloudTrailRecord({ eventTime, eventName: "x" })).toMatchObject({
      ok: false,
      code: "invalid_field",
    });
  });

  it("reports a record without eventName", () => {
    expect(parseCloudTrailRecord({ eventTime: "2024-05-05T02:12:00Z", eventName: "" })).toEqual({
      ok: false,
      code: "missing_field",
      reason: "the record has no eventName",
    });
  });

  it("reports a record whose fields throw when read, without throwing", () => {
    const hostile = {
      eventTime: "2024-05-05T02:12:00Z",
      get eventName(): string {
        throw new Error("boom");
      },
    };
    expect(parseCloudTrailRecord(hostile)).toEqual({
      ok: false,
      code: "parse_error",
      reason: "unreadable CloudTrail record: boom",
    });
  });

  it("survives a payload nested far deeper than any bound", () => {
    let deep: unknown = "bottom";
    for (let i = 0; i < 5000; i++) deep = { d: deep };
    const result = parseCloudTrailRecord({
      eventTime: "2024-05-05T02:12:00Z",
      eventName: "x",
      requestParameters: deep,
    });
    const event = finish(result);
    expect(Object.keys(event.attrs ?? {}).some((k) => k.startsWith("cloudtrail.requestParameters.d"))).toBe(
      true,
    );
  });

  it("keeps a __proto__ key of a payload as an ordinary key", () => {
    const input = JSON.parse(
      '{"eventTime":"2024-05-05T02:12:00Z","eventName":"x","requestParameters":{"__proto__":{"polluted":"yes"}}}',
    );
    const event = finish(parseCloudTrailRecord(input));
    expect(event.attrs?.["cloudtrail.requestParameters.__proto__.polluted"]).toBe("yes");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("does not let a crafted event name turn the message into a JSON line", () => {
    const input = {
      eventTime: "2024-05-05T02:12:00Z",
      eventName: '{"level":"fatal","a":"',
      sourceIPAddress: '"}',
    };
    const result = parsed(parseCloudTrailRecord(input));
    expect(result.record.message).toBe('CloudTrail event: {"level":"fatal","a":" by unknown from "}');
    expect(finish(result).level).toBe("info");
  });

  it("bounds each part of the message", () => {
    const input = { eventTime: "2024-05-05T02:12:00Z", eventName: "E".repeat(100_000) };
    expect(parsed(parseCloudTrailRecord(input)).record.message.length).toBeLessThan(600);
  });

  it("reports a message that is not JSON", () => {
    expect(parseCloudTrailMessage('{"eventTime": "2024-05-05T02:12:00Z", "eventName": "x"')).toMatchObject({
      ok: false,
      code: "invalid_json",
    });
  });

  it("reports a message over the length cap", () => {
    const message = JSON.stringify({
      eventTime: "2024-05-05T02:12:00Z",
      eventName: "x",
      pad: "p".repeat(5000),
    });
    expect(parseCloudTrailMessage(message, { max_line_chars: 1024 })).toMatchObject({
      ok: false,
      code: "line_too_long",
    });
  });

  it.each([
    ["a bare record", '{"eventTime":"2024-05-05T02:12:00Z","eventName":"x"}'],
    ["Records that is not an array", '{"Records":{}}'],
    ["a JSON array", "[]"],
  ])("reports a file that is %s", (_name, content) => {
    expect(parseCloudTrailFile(content)).toMatchObject({ ok: false, code: "not_an_object" });
  });

  it("reads an empty file's records as none", () => {
    expect(parseCloudTrailFile('{"Records":[]}\n')).toEqual({ ok: true, entries: [], skipped: 0 });
  });
});
