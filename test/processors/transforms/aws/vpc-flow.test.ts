import { describe, expect, it } from "vitest";
import {
  parseVpcFlowFormat,
  parseVpcFlowLog,
  VPC_FLOW_DEFAULT_FIELDS,
  vpcFlowHeaderFields,
} from "../../../../processors/transforms/aws/index.js";
import { finish, fixtureLines, parsed } from "./support.js";

const DEFAULT = fixtureLines("vpc-flow-default.log");

/** A custom-format fixture: its header's field names and its records. */
function customFixture(name: string): { fields: string[]; records: string[] } {
  const [header, ...records] = fixtureLines(name);
  const fields = vpcFlowHeaderFields(header!);
  if (fields === undefined) throw new Error(`${name} has no header line`);
  return { fields, records };
}

describe("default format records from the documentation", () => {
  it("maps accepted SSH traffic to a complete record", () => {
    expect(parseVpcFlowLog(DEFAULT[0]!)).toEqual({
      ok: true,
      kind: "vpc_flow",
      timeMs: 1418530010000,
      record: {
        "@timestamp": "2014-12-14T04:06:50.000Z",
        service: "vpc-flow-logs",
        level: "info",
        message: "ACCEPT 172.31.16.139:20641 -> 172.31.16.21:22 tcp 20 packets 4249 bytes",
        attrs: {
          "flow.version": "2",
          "flow.account_id": "123456789010",
          "flow.interface_id": "eni-1235b8ca123456789",
          "flow.srcaddr": "172.31.16.139",
          "flow.dstaddr": "172.31.16.21",
          "flow.srcport": "20641",
          "flow.dstport": "22",
          "flow.protocol": "6",
          "flow.packets": "20",
          "flow.bytes": "4249",
          "flow.start": "1418530010",
          "flow.end": "1418530070",
          "flow.action": "ACCEPT",
          "flow.log_status": "OK",
          "flow.protocol_name": "tcp",
          "aws.account_id": "123456789010",
        },
      },
    });
  });

  it("makes rejected traffic a warning", () => {
    const { record } = parsed(parseVpcFlowLog(DEFAULT[1]!));
    expect(record.level).toBe("warn");
    expect(record.message).toBe("REJECT 172.31.9.69:49761 -> 172.31.9.12:3389 tcp 20 packets 4249 bytes");
  });

  it("makes a NODATA record a debug event that names the interface", () => {
    expect(parseVpcFlowLog(DEFAULT[2]!)).toEqual({
      ok: true,
      kind: "vpc_flow",
      timeMs: 1431280876000,
      record: {
        "@timestamp": "2015-05-10T18:01:16.000Z",
        service: "vpc-flow-logs",
        level: "debug",
        message: "NODATA eni-1235b8ca123456789: no traffic in the capture window",
        attrs: {
          "flow.version": "2",
          "flow.account_id": "123456789010",
          "flow.interface_id": "eni-1235b8ca123456789",
          "flow.start": "1431280876",
          "flow.end": "1431280934",
          "flow.log_status": "NODATA",
          "aws.account_id": "123456789010",
        },
      },
    });
  });

  it("makes a SKIPDATA record a warning, because flows were lost", () => {
    const { record } = parsed(parseVpcFlowLog(DEFAULT[3]!));
    expect(record.level).toBe("warn");
    expect(record.message).toBe("SKIPDATA eni-11111111aaaaaaaaa: records skipped in the capture window");
    expect(record.attrs["flow.log_status"]).toBe("SKIPDATA");
  });

  it("leaves the meaningless ports out of an ICMP summary", () => {
    expect(parsed(parseVpcFlowLog(DEFAULT[4]!)).record.message).toBe(
      "ACCEPT 203.0.113.12 -> 172.31.16.139 icmp 4 packets 336 bytes",
    );
    expect(parsed(parseVpcFlowLog(DEFAULT[5]!)).record.message).toBe(
      "REJECT 172.31.16.139 -> 203.0.113.12 icmp 4 packets 336 bytes",
    );
  });

  it("brackets IPv6 addresses where a port follows them", () => {
    const { record } = parsed(parseVpcFlowLog(DEFAULT[6]!));
    expect(record.message).toBe(
      "ACCEPT [2001:db8:1234:a100:8d6e:3477:df66:f105]:34892 -> " +
        "[2001:db8:1234:a102:3304:8879:34cf:4071]:22 tcp 54 packets 8855 bytes",
    );
    expect(record.attrs["flow.srcaddr"]).toBe("2001:db8:1234:a100:8d6e:3477:df66:f105");
  });

  it("keeps flow addresses out of the HTTP fields", () => {
    const { record } = parsed(parseVpcFlowLog(DEFAULT[0]!));
    expect(record.http).toBeUndefined();
  });
});

describe("custom format records from the documentation", () => {
  it("reads a version 3 record with TCP flags by its field list", () => {
    const { fields, records } = customFixture("vpc-flow-tcp-flags.log");
    expect(parseVpcFlowLog(records[0]!, { fields })).toEqual({
      ok: true,
      kind: "vpc_flow",
      timeMs: 1566848875000,
      record: {
        "@timestamp": "2019-08-26T19:47:55.000Z",
        service: "vpc-flow-logs",
        level: "info",
        message: "ACCEPT 52.213.180.42:43416 -> 10.0.0.62:5001 tcp 8 packets 568 bytes",
        host: "i-01234567890123456",
        attrs: {
          "flow.version": "3",
          "flow.vpc_id": "vpc-abcdefab012345678",
          "flow.subnet_id": "subnet-aaaaaaaa012345678",
          "flow.instance_id": "i-01234567890123456",
          "flow.interface_id": "eni-1235b8ca123456789",
          "flow.account_id": "123456789010",
          "flow.type": "IPv4",
          "flow.srcaddr": "52.213.180.42",
          "flow.dstaddr": "10.0.0.62",
          "flow.srcport": "43416",
          "flow.dstport": "5001",
          "flow.pkt_srcaddr": "52.213.180.42",
          "flow.pkt_dstaddr": "10.0.0.62",
          "flow.protocol": "6",
          "flow.bytes": "568",
          "flow.packets": "8",
          "flow.start": "1566848875",
          "flow.end": "1566848933",
          "flow.action": "ACCEPT",
          "flow.tcp_flags": "2",
          "flow.log_status": "OK",
          "flow.protocol_name": "tcp",
          "aws.account_id": "123456789010",
        },
      },
    });
  });

  it("reads every record of the TCP flags example, including the one printed with a double space", () => {
    const { fields, records } = customFixture("vpc-flow-tcp-flags.log");
    const flags = records.map(
      (line) => parsed(parseVpcFlowLog(line, { fields })).record.attrs["flow.tcp_flags"],
    );
    expect(flags).toEqual(["2", "18", "2", "18", "1", "1", "3", "19"]);
  });

  it("takes region and availability zone from a version 5 record", () => {
    const { fields, records } = customFixture("vpc-flow-traffic-path.log");
    const { record } = parsed(parseVpcFlowLog(records[1]!, { fields, region: "eu-west-1" }));
    expect(record.region).toBe("ap-southeast-2");
    expect(record.host).toBe("i-0c50d5961bcb2d47b");
    expect(record.attrs).toMatchObject({
      "flow.az_id": "apse2-az3",
      "flow.pkt_dst_aws_service": "S3",
      "flow.traffic_path": "8",
      "flow.flow_direction": "egress",
    });
    expect(record.attrs["flow.sublocation_type"]).toBeUndefined();
  });

  it("leaves the time to the delivery when the format has no start field", () => {
    const { fields, records } = customFixture("vpc-flow-nat-gateway.log");
    const result = parsed(parseVpcFlowLog(records[0]!, { fields }));
    expect(result.timeMs).toBeUndefined();
    expect(result.record["@timestamp"]).toBeUndefined();
    expect(result.record.message).toBe("10.0.1.5 -> 10.0.0.220");
    expect(result.record.host).toBeUndefined();
    expect(result.record.attrs["flow.pkt_dstaddr"]).toBe("203.0.113.5");
  });

  it("reads the transit gateway example, where instance-id is absent on gateway interfaces", () => {
    const { fields, records } = customFixture("vpc-flow-transit-gateway.log");
    const results = records.map((line) => parsed(parseVpcFlowLog(line, { fields })).record);
    expect(results.map((r) => r.host)).toEqual([
      "i-01234567890123456",
      "i-01234567890123456",
      undefined,
      undefined,
    ]);
    expect(results[2]!.message).toBe("ACCEPT 10.40.1.175:39812 -> 10.40.2.236:80 tcp");
  });

  it("takes region and account from the options when the record has neither", () => {
    const { fields, records } = customFixture("vpc-flow-nat-gateway.log");
    const { record } = parsed(
      parseVpcFlowLog(records[0]!, { fields, region: "us-east-1", account_id: "111122223333" }),
    );
    expect(record.region).toBe("us-east-1");
    expect(record.attrs["aws.account_id"]).toBe("111122223333");
  });

  it("uses the configured service name", () => {
    expect(parsed(parseVpcFlowLog(DEFAULT[0]!, { service: "network" })).record.service).toBe("network");
  });
});

describe("formats and header lines", () => {
  it("reads a format written with dollar-brace placeholders", () => {
    expect(parseVpcFlowFormat(`\${version} \${vpc-id}  \${srcaddr}`)).toEqual({
      ok: true,
      fields: ["version", "vpc-id", "srcaddr"],
    });
  });

  it("reads a format written as bare field names", () => {
    expect(parseVpcFlowFormat("version account-id")).toEqual({ ok: true, fields: ["version", "account-id"] });
  });

  it.each([
    ["an empty format", "   "],
    ["an upper-case name", `\${Version}`],
    ["an unclosed placeholder", `\${version`],
    ["a repeated field", "version srcaddr version"],
    ["too many fields", Array.from({ length: 129 }, (_, i) => `f${i}`).join(" ")],
  ])("rejects %s", (_name, format) => {
    expect(parseVpcFlowFormat(format).ok).toBe(false);
  });

  it("recognises the header line of a delivered file", () => {
    expect(vpcFlowHeaderFields(VPC_FLOW_DEFAULT_FIELDS.join(" "))).toEqual([...VPC_FLOW_DEFAULT_FIELDS]);
  });

  it.each([
    ["a default record", DEFAULT[0]!],
    ["a NAT gateway record", "- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5"],
    ["a record of resource ids only", "i-01234567890123456 eni-1235b8ca123456789"],
    ["words that are not field names", "hello world"],
  ])("does not take %s for a header", (_name, line) => {
    expect(vpcFlowHeaderFields(line)).toBeUndefined();
  });
});

describe("malformed, truncated, oversized and hostile records", () => {
  it("reports a truncated record by its field count", () => {
    const result = parseVpcFlowLog(DEFAULT[0]!.split(" ").slice(0, 13).join(" "));
    expect(result).toEqual({
      ok: false,
      code: "field_count",
      reason: "expected 14 fields (version account-id interface-id srcaddr …), got 13",
    });
  });

  it("reports a record with an extra field by its field count", () => {
    expect(parseVpcFlowLog(`${DEFAULT[0]} extra`)).toMatchObject({ ok: false, code: "field_count" });
  });

  it.each([
    ["a port above 65535", "srcport", 5, "70000", 'field srcport is not a port number: "70000"'],
    [
      "an address that is not an IP",
      "srcaddr",
      3,
      "172.31.16.999",
      'field srcaddr is not an IP address: "172.31.16.999"',
    ],
    ["a protocol name", "protocol", 7, "tcp", 'field protocol is not an IANA protocol number: "tcp"'],
    ["a negative packet count", "packets", 8, "-20", 'field packets is not a whole number: "-20"'],
    ["an unknown action", "action", 12, "ALLOW", 'field action is not ACCEPT or REJECT: "ALLOW"'],
    [
      "an unknown log status",
      "log-status",
      13,
      "FINE",
      'field log-status is not OK, NODATA or SKIPDATA: "FINE"',
    ],
    [
      "a start time past year 9999",
      "start",
      10,
      "99999999999999",
      'field start is not a Unix time: "99999999999999"',
    ],
  ])("reports %s as an invalid field", (_name, _field, index, value, reason) => {
    const tokens = DEFAULT[0]!.split(" ");
    tokens[index] = value;
    expect(parseVpcFlowLog(tokens.join(" "))).toEqual({ ok: false, code: "invalid_field", reason });
  });

  it("reports a blank line", () => {
    expect(parseVpcFlowLog(" \r\n")).toEqual({ ok: false, code: "empty_line", reason: "the line is blank" });
  });

  it("reports a line over the length cap without reading it", () => {
    const result = parseVpcFlowLog(`${DEFAULT[0]} ${"x".repeat(2000)}`, { max_line_chars: 1024 });
    expect(result).toMatchObject({ ok: false, code: "line_too_long" });
  });

  it("reports a value that is not text", () => {
    expect(parseVpcFlowLog(42 as unknown as string)).toMatchObject({ ok: false, code: "invalid_input" });
  });

  it("quotes only a short, escaped prefix of a hostile value in the reason", () => {
    const tokens = DEFAULT[0]!.split(" ");
    tokens[3] = `\u0000\u001b[31m${"A".repeat(5000)}`;
    const result = parseVpcFlowLog(tokens.join(" "));
    if (result.ok) throw new Error("expected a failure");
    expect(result.reason.length).toBeLessThan(160);
    expect(result.reason).not.toMatch(/\p{Cc}/u);
  });

  it("accepts a line ending in CRLF", () => {
    expect(parseVpcFlowLog(`${DEFAULT[0]}\r\n`).ok).toBe(true);
  });

  it("produces an event the transform chain accepts for every documented record", () => {
    const files = [
      "vpc-flow-tcp-flags.log",
      "vpc-flow-nat-gateway.log",
      "vpc-flow-transit-gateway.log",
      "vpc-flow-traffic-path.log",
    ];
    let count = 0;
    for (const line of DEFAULT) {
      finish(parseVpcFlowLog(line));
      count++;
    }
    for (const name of files) {
      const { fields, records } = customFixture(name);
      for (const line of records) {
        finish(parseVpcFlowLog(line, { fields }));
        count++;
      }
    }
    expect(count).toBe(7 + 8 + 4 + 4 + 2);
  });
});
