import { describe, expect, it } from "vitest";
import { decodeEscapes, parseAlbAccessLog, tokenize } from "../../../../processors/transforms/aws/index.js";
import { albDocumentationEntries, finish, fixtureLines, parsed } from "./support.js";

const DOCS = albDocumentationEntries();
const [HTTP, HTTPS, H2, WS, WSS, LAMBDA_OK, LAMBDA_FAILED] = DOCS as [
  string,
  string,
  string,
  string,
  string,
  string,
  string,
];
const CURRENT = fixtureLines("alb-access-log-current-format.log");
const FAILED = fixtureLines("alb-access-log-failed.log");
const TARGET_GROUP =
  "arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067";

describe("entries from the documentation", () => {
  it("has the seven documented examples", () => {
    expect(DOCS).toHaveLength(7);
    expect(CURRENT).toHaveLength(7);
  });

  it("maps an HTTP entry to a complete record", () => {
    expect(parseAlbAccessLog(HTTP)).toEqual({
      ok: true,
      kind: "alb",
      timeMs: Date.parse("2018-07-02T22:23:00.186Z"),
      record: {
        "@timestamp": "2018-07-02T22:23:00.186Z",
        service: "my-loadbalancer",
        level: "info",
        message: "GET / 200 1ms",
        region: "us-east-2",
        trace_id: "5833726236d228ad5d99923122bbe354",
        http: {
          method: "GET",
          path: "/",
          status: 200,
          latency_ms: 1,
          user_agent: "curl/7.46.0",
          client_ip: "192.168.131.39",
        },
        attrs: {
          "alb.type": "http",
          "alb.elb": "app/my-loadbalancer/50dc6c495c0c9188",
          "alb.target": "10.0.0.1:80",
          "alb.request_processing_time": "0.000",
          "alb.target_processing_time": "0.001",
          "alb.response_processing_time": "0.000",
          "alb.target_status_code": "200",
          "alb.received_bytes": "34",
          "alb.sent_bytes": "366",
          "alb.target_group_arn": TARGET_GROUP,
          "alb.trace_id": "Root=1-58337262-36d228ad5d99923122bbe354",
          "alb.matched_rule_priority": "0",
          "alb.request_creation_time": "2018-07-02T22:22:48.364000Z",
          "alb.actions_executed": "forward",
          "alb.client_port": "2817",
          "alb.request_host": "www.example.com:80",
          "alb.http_version": "HTTP/1.1",
          "aws.account_id": "123456789012",
        },
      },
    });
  });

  it("sums the three processing times of an HTTPS entry into the latency", () => {
    const { record } = parsed(parseAlbAccessLog(HTTPS));
    expect(record.http?.latency_ms).toBe(171);
    expect(record.message).toBe("GET / 200 171ms");
    expect(record.attrs).toMatchObject({
      "alb.ssl_cipher": "ECDHE-RSA-AES128-GCM-SHA256",
      "alb.ssl_protocol": "TLSv1.2",
      "alb.domain_name": "www.example.com",
      "alb.chosen_cert_arn":
        "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012",
      "alb.actions_executed": "authenticate,forward",
      "alb.request_host": "www.example.com:443",
    });
  });

  it("keeps the redirect URL of an HTTP/2 entry", () => {
    const { record } = parsed(parseAlbAccessLog(H2));
    expect(record.http).toMatchObject({ method: "GET", path: "/", status: 200, client_ip: "10.0.1.252" });
    expect(record.attrs).toMatchObject({
      "alb.type": "h2",
      "alb.redirect_url": "https://example.com:80/",
      "alb.request_host": "10.0.2.105:773",
      "alb.http_version": "HTTP/2.0",
    });
  });

  it("reads WebSocket entries, which have no user agent", () => {
    for (const line of [WS, WSS]) {
      const { record } = parsed(parseAlbAccessLog(line));
      expect(record.http?.status).toBe(101);
      expect(record.http?.user_agent).toBeUndefined();
      expect(record.level).toBe("info");
    }
    expect(parsed(parseAlbAccessLog(WS)).record.http?.latency_ms).toBe(4);
    expect(parsed(parseAlbAccessLog(WSS)).record.region).toBe("us-west-2");
  });

  it("reads a Lambda target entry, which has no target address", () => {
    const { record } = parsed(parseAlbAccessLog(LAMBDA_OK));
    expect(record.attrs["alb.target"]).toBeUndefined();
    expect(record.http?.status).toBe(200);
    expect(record["@timestamp"]).toBe("2018-11-30T22:23:00.186Z");
  });

  it("makes a failed Lambda request an error that names the reason", () => {
    const { record } = parsed(parseAlbAccessLog(LAMBDA_FAILED));
    expect(record.level).toBe("error");
    expect(record.message).toBe("GET / 502 1ms LambdaInvalidResponse");
    expect(record.attrs["alb.error_reason"]).toBe("LambdaInvalidResponse");
    expect(record.attrs["alb.target_status_code"]).toBeUndefined();
  });

  it("maps each documentation example the same in the current field layout", () => {
    DOCS.forEach((line, i) => {
      const old = parsed(parseAlbAccessLog(line)).record;
      const current = parsed(parseAlbAccessLog(CURRENT[i]!)).record;
      expect({ ...current, attrs: {} }).toEqual({ ...old, attrs: {} });
    });
  });

  it("keeps the fields added after 2019", () => {
    expect(parsed(parseAlbAccessLog(CURRENT[1]!)).record.attrs).toMatchObject({
      "alb.target_port_list": "10.0.0.1:80",
      "alb.target_status_code_list": "200",
      "alb.conn_trace_id": "TID_1234abcd5678ef90",
      "alb.transformed_host": "m.example.com",
      "alb.request_transform_status": "TransformSuccess",
    });
  });

  it("ignores fields past the known ones, as the format asks", () => {
    const { record } = parsed(parseAlbAccessLog(`${CURRENT[0]} "future" 42`));
    expect(record).toEqual(parsed(parseAlbAccessLog(CURRENT[0]!)).record);
  });

  it("reads an entry of the original 18-field layout", () => {
    const original = HTTP.split(" ").slice(0, 20).join(" ");
    expect(parsed(parseAlbAccessLog(original)).record.trace_id).toBe("5833726236d228ad5d99923122bbe354");
  });
});

describe("requests that never reached a target", () => {
  it("leaves the latency out when the processing times are -1", () => {
    const { record } = parsed(parseAlbAccessLog(FAILED[0]!));
    expect(record.http).toEqual({
      method: "GET",
      path: "/api/orders?id=42",
      status: 502,
      user_agent: "curl/7.46.0",
      client_ip: "192.168.131.39",
    });
    expect(record.attrs["alb.request_processing_time"]).toBe("-1");
    expect(record.message).toBe("GET /api/orders 502");
    expect(record.level).toBe("error");
  });

  it("splits the query off the path through the transform chain", () => {
    const event = finish(parseAlbAccessLog(FAILED[0]!));
    expect(event.http?.path).toBe("/api/orders");
    expect(event.attrs?.["http.query"]).toBe("id=42");
  });

  it("reads a malformed request line without inventing a method or path", () => {
    const { record } = parsed(parseAlbAccessLog(FAILED[1]!));
    expect(record.http).toEqual({ status: 400, client_ip: "192.168.131.39" });
    expect(record.level).toBe("warn");
    expect(record.message).toBe("- - 400");
    expect(record.attrs["alb.request_host"]).toBe("www.example.com:80-");
    expect(record.region).toBeUndefined();
  });

  it("takes region and account from the options when there is no target group", () => {
    const { record } = parsed(
      parseAlbAccessLog(FAILED[1]!, { region: "eu-west-1", account_id: "111122223333" }),
    );
    expect(record.region).toBe("eu-west-1");
    expect(record.attrs["aws.account_id"]).toBe("111122223333");
  });
});

describe("quoted fields, trace ids and service names", () => {
  function withUserAgent(ua: string): string {
    return HTTP.replace('"curl/7.46.0"', `"${ua}"`);
  }

  it("decodes the load balancer's \\x escapes in a quoted field", () => {
    const { record } = parsed(parseAlbAccessLog(withUserAgent("Mozilla \\x22quoted\\x22 caf\\xc3\\xa9")));
    expect(record.http?.user_agent).toBe('Mozilla "quoted" café');
  });

  it("reads backslash-escaped quotes inside a quoted field", () => {
    const { record } = parsed(parseAlbAccessLog(withUserAgent('say \\"hi\\" \\\\ bye')));
    expect(record.http?.user_agent).toBe('say "hi" \\ bye');
  });

  it("replaces bytes that are not UTF-8 with U+FFFD", () => {
    expect(decodeEscapes("a\\xffb")).toBe("a\ufffdb");
  });

  it("keeps a backslash that escapes nothing", () => {
    expect(decodeEscapes("C:\\temp\\x4")).toBe("C:\\temp\\x4");
  });

  it("takes the Root of a trace header that also carries Self", () => {
    const line = HTTP.replace(
      '"Root=1-58337262-36d228ad5d99923122bbe354"',
      '"Self=1-67891234-12456789abcdef012345678;Root=1-67891233-abcdef012345678912345678;Sampled=1"',
    );
    expect(parsed(parseAlbAccessLog(line)).record.trace_id).toBe("67891233abcdef012345678912345678");
  });

  it("keeps a trace header that is not X-Ray's only in attrs", () => {
    const line = HTTP.replace('"Root=1-58337262-36d228ad5d99923122bbe354"', '"Root=not-a-trace"');
    const { record } = parsed(parseAlbAccessLog(line));
    expect(record.trace_id).toBeUndefined();
    expect(record.attrs["alb.trace_id"]).toBe("Root=not-a-trace");
  });

  it("leaves trace_id unset when the mapping is disabled", () => {
    expect(parsed(parseAlbAccessLog(HTTP, { trace_id_from_xray: false })).record.trace_id).toBeUndefined();
  });

  it("uses the configured service when the load balancer's name is not wanted", () => {
    const result = parseAlbAccessLog(HTTP, { service_from_load_balancer: false, service: "edge" });
    expect(parsed(result).record.service).toBe("edge");
  });

  it("falls back to the configured service for a load balancer id it cannot read", () => {
    const line = HTTP.replace("app/my-loadbalancer/50dc6c495c0c9188", "something-else");
    expect(parsed(parseAlbAccessLog(line)).record.service).toBe("alb");
  });

  it("reads a bracketed IPv6 client", () => {
    const line = HTTP.replace("192.168.131.39:2817", "[2001:db8::1]:2817");
    expect(parsed(parseAlbAccessLog(line)).record.http?.client_ip).toBe("2001:db8::1");
  });

  it("tokenizes runs of blanks as one separator", () => {
    expect(tokenize('a  "b c"\t d')).toEqual([
      { text: "a", quoted: false },
      { text: "b c", quoted: true },
      { text: "d", quoted: false },
    ]);
  });
});

describe("malformed, truncated, oversized and hostile entries", () => {
  it("reports an entry cut inside a quoted field", () => {
    const cut = HTTP.slice(0, HTTP.indexOf("curl/") + 3);
    expect(parseAlbAccessLog(cut)).toEqual({
      ok: false,
      code: "unterminated_quote",
      reason: 'field 14 opens a quote that is never closed: "\\"cur"',
    });
  });

  it("reports an entry cut between fields by its field count", () => {
    const cut = HTTP.split(" ").slice(0, 19).join(" ");
    expect(parseAlbAccessLog(cut)).toEqual({
      ok: false,
      code: "field_count",
      reason: "expected at least 18 fields (through trace_id), got 17",
    });
  });

  it("reports text glued to a closing quote", () => {
    expect(parseAlbAccessLog(HTTP.replace('"curl/7.46.0"', '"curl/7.46.0"x'))).toMatchObject({
      ok: false,
      code: "malformed_quote",
    });
  });

  it("reports a Network Load Balancer entry as unsupported", () => {
    const nlb =
      "tls 2.0 2018-12-20T02:59:40 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd " +
      "72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - " +
      "arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - " +
      "ECDHE-RSA-AES128-SHA tlsv12 - my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com - - - 2018-12-20T02:59:30";
    expect(parseAlbAccessLog(nlb)).toEqual({
      ok: false,
      code: "unsupported_type",
      reason: 'entry type "tls" is not an Application Load Balancer type (a Network Load Balancer entry)',
    });
  });

  it("reports a Classic Load Balancer entry as unsupported", () => {
    const clb =
      '2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -';
    expect(parseAlbAccessLog(clb)).toMatchObject({ ok: false, code: "unsupported_type" });
  });

  it.each([
    ["time", 1, "2018-07-02 22:23:00", 'field time is not an ISO 8601 UTC time: "2018-07-02"'],
    ["client:port", 3, "not-an-ip:2817", 'field client:port is not an address and port: "not-an-ip:2817"'],
    ["target:port", 4, "10.0.0.1:99999", 'field target:port is not an address and port: "10.0.0.1:99999"'],
    ["request_processing_time", 5, "fast", 'field request_processing_time is not a time in seconds: "fast"'],
    ["target_processing_time", 6, "-2", 'field target_processing_time is not a time in seconds: "-2"'],
    ["elb_status_code", 8, "2OO", 'field elb_status_code is not a status code: "2OO"'],
    ["target_status_code", 9, "20", 'field target_status_code is not a status code: "20"'],
    ["received_bytes", 10, "-34", 'field received_bytes is not a byte count: "-34"'],
  ])("reports a bad %s", (_name, index, value, reason) => {
    const tokens = HTTP.split(" ");
    tokens[index] = value;
    expect(parseAlbAccessLog(tokens.join(" "))).toEqual({ ok: false, code: "invalid_field", reason });
  });

  it("reports a blank line", () => {
    expect(parseAlbAccessLog("\n")).toMatchObject({ ok: false, code: "empty_line" });
  });

  it("reports an entry over the length cap", () => {
    expect(parseAlbAccessLog(withLongAgent(5000), { max_line_chars: 2048 })).toMatchObject({
      ok: false,
      code: "line_too_long",
    });
  });

  it("keeps a long user agent for the transform chain to bound", () => {
    const event = finish(parseAlbAccessLog(withLongAgent(20_000)));
    expect(event.http?.user_agent?.length).toBeLessThanOrEqual(8192);
    expect(event.http?.user_agent).toMatch(/…\[truncated \d+ bytes\]$/);
  });

  it("reads control characters inside quotes as text", () => {
    const { record } = parsed(parseAlbAccessLog(HTTP.replace('"curl/7.46.0"', '"a\\x00\\x1b[2Jb"')));
    expect(record.http?.user_agent).toBe("a\u0000\u001b[2Jb");
    finish(parseAlbAccessLog(HTTP.replace('"curl/7.46.0"', '"a\\x00\\x1b[2Jb"')));
  });

  function withLongAgent(n: number): string {
    return HTTP.replace('"curl/7.46.0"', `"${"A".repeat(n)}"`);
  }
});
