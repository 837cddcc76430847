import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LogEventSchema } from "../../../../core/event/schema.js";
import {
  compileServiceLogs,
  parseAlbAccessLog,
  parseCloudTrailFile,
  parseCloudTrailMessage,
  parseCloudTrailRecord,
  parseVpcFlowFormat,
  parseVpcFlowLog,
  type ServiceLogResult,
  selectServiceLogParser,
  toIncomingRecord,
  vpcFlowHeaderFields,
} from "../../../../processors/transforms/aws/index.js";
import { createTransformer } from "../../../../processors/transforms/index.js";
import { albDocumentationEntries, fixture, fixtureLines, ORIGIN } from "./support.js";

const CODES = new Set([
  "invalid_input",
  "empty_line",
  "line_too_long",
  "field_count",
  "invalid_field",
  "missing_field",
  "unterminated_quote",
  "malformed_quote",
  "unsupported_type",
  "invalid_json",
  "not_an_object",
  "unsupported_format",
  "parse_error",
]);

const transform = createTransformer({});
const RUNS = { numRuns: 300 };

/** A result is a known failure with a short reason, or a record the chain turns into a valid event. */
function checkResult(result: ServiceLogResult): void {
  if (!result.ok) {
    expect(CODES.has(result.code)).toBe(true);
    expect(result.reason.length).toBeLessThan(400);
    return;
  }
  const out = transform(toIncomingRecord(result, ORIGIN));
  if (!out.ok) throw new Error(`dropped: ${out.code} ${out.reason}`);
  expect(LogEventSchema.safeParse(out.event).success).toBe(true);
}

const anyText = fc.oneof(fc.string({ unit: "binary", maxLength: 300 }), fc.string({ maxLength: 300 }));

/** A real line with random edits: characters inserted, removed or replaced at random places. */
function mutated(lines: string[]): fc.Arbitrary<string> {
  const edit = fc.record({
    at: fc.nat(),
    remove: fc.nat({ max: 6 }),
    insert: fc.oneof(
      fc.constantFrom('"', "\\", "\\x", "\\x22", " ", "-", "-1", ":", "\n", "\u0000", "{", "}", "Root=1-"),
      fc.string({ unit: "binary", maxLength: 8 }),
    ),
  });
  return fc.tuple(fc.constantFrom(...lines), fc.array(edit, { maxLength: 4 })).map(([line, edits]) => {
    let s = line;
    for (const e of edits) {
      const at = e.at % (s.length + 1);
      s = s.slice(0, at) + e.insert + s.slice(at + e.remove);
    }
    return s;
  });
}

describe("parsers never throw", () => {
  const vpcLines = fixtureLines("vpc-flow-default.log");
  const tcpFlags = fixtureLines("vpc-flow-tcp-flags.log");
  const tcpFields = vpcFlowHeaderFields(tcpFlags[0]!)!;
  const albLines = [...albDocumentationEntries(), ...fixtureLines("alb-access-log-current-format.log")];

  it("on random text as a VPC Flow Logs record", () => {
    fc.assert(
      fc.property(anyText, (line) => checkResult(parseVpcFlowLog(line))),
      RUNS,
    );
  });

  it("on edited VPC Flow Logs records, default and custom", () => {
    fc.assert(
      fc.property(mutated(vpcLines), (line) => checkResult(parseVpcFlowLog(line))),
      RUNS,
    );
    fc.assert(
      fc.property(mutated(tcpFlags.slice(1)), (line) =>
        checkResult(parseVpcFlowLog(line, { fields: tcpFields })),
      ),
      RUNS,
    );
  });

  it("on random text as a flow log format or header", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const format = parseVpcFlowFormat(text);
        if (!format.ok) expect(CODES.has(format.code)).toBe(true);
        const header = vpcFlowHeaderFields(text);
        if (header !== undefined) expect(header.length).toBeGreaterThan(0);
      }),
      RUNS,
    );
  });

  it("on random text as an ALB entry", () => {
    fc.assert(
      fc.property(anyText, (line) => checkResult(parseAlbAccessLog(line))),
      RUNS,
    );
  });

  it("on edited ALB entries", () => {
    fc.assert(
      fc.property(mutated(albLines), (line) => checkResult(parseAlbAccessLog(line))),
      { numRuns: 600 },
    );
  });

  it("on any value as a CloudTrail record", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => checkResult(parseCloudTrailRecord(value))),
      RUNS,
    );
  });

  it("on JSON objects with CloudTrail's field names", () => {
    const record = fc.record(
      {
        eventTime: fc.oneof(fc.constant("2024-05-05T02:12:00Z"), fc.jsonValue()),
        eventName: fc.oneof(fc.string(), fc.jsonValue()),
        eventID: fc.oneof(fc.uuid(), fc.jsonValue()),
        sourceIPAddress: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string(), fc.jsonValue()),
        userAgent: fc.jsonValue(),
        userIdentity: fc.jsonValue(),
        errorCode: fc.jsonValue(),
        requestParameters: fc.jsonValue(),
        responseElements: fc.jsonValue(),
        awsRegion: fc.jsonValue(),
        requestID: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(record, (value) => checkResult(parseCloudTrailRecord(value))),
      RUNS,
    );
  });

  it("on random text as a CloudTrail message or file", () => {
    fc.assert(
      fc.property(fc.oneof(anyText, fc.json()), (text) => {
        checkResult(parseCloudTrailMessage(text));
        const file = parseCloudTrailFile(text);
        if (file.ok) for (const entry of file.entries) checkResult(entry.result);
        else expect(CODES.has(file.code)).toBe(true);
      }),
      RUNS,
    );
  });

  it("on edited CloudTrail files", () => {
    const files = ["cloudtrail-error-update-trail.json", "cloudtrail-ec2-create-key-pair.json"].map((n) =>
      fixture(n),
    );
    fc.assert(
      fc.property(mutated(files), (text) => {
        const file = parseCloudTrailFile(text);
        if (file.ok) for (const entry of file.entries) checkResult(entry.result);
        else expect(CODES.has(file.code)).toBe(true);
      }),
      RUNS,
    );
  });

  it("on random sources and content through the selector", () => {
    const compiled = compileServiceLogs();
    const source = fc.record(
      {
        log_group: fc.oneof(
          anyText,
          fc.constantFrom("/aws/vpc/flow-logs", "CloudTrail/x", "alb-access-logs"),
        ),
        s3_key: fc.oneof(anyText, fc.constantFrom("AWSLogs/123456789012/vpcflowlogs/us-east-1/x.log.gz")),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(source, anyText, (src, content) => {
        const parser = selectServiceLogParser(src, compiled);
        if (parser === undefined) return;
        checkResult(parser.parseMessage(content));
        const object = parser.parseObject(content);
        if (object.ok) for (const entry of object.entries) checkResult(entry.result);
        else expect(CODES.has(object.code)).toBe(true);
      }),
      RUNS,
    );
  });
});
