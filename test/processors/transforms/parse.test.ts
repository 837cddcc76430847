import { readFileSync } from "node:fs";
import { addExtension, Unpackr } from "msgpackr";
import pino from "pino";
import { describe, expect, it } from "vitest";
import {
  compileTransforms,
  createTransformer,
  TransformsConfigSchema,
} from "../../../processors/transforms/index.js";
import { looksLikeJsonObject, RecordParser } from "../../../processors/transforms/parse.js";
import { dockerLine, keep, T0 } from "./support.js";

const transform = createTransformer({});

/** The record Fluent Bit sends in every frame of test/fixtures/fluent-bit (tag dummy.0). */
const FLUENT_BIT_RECORD = {
  level: "info",
  service: "checkout-api",
  message: "order placed",
  trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
  http: { method: "POST", path: "/api/v1/orders", status: 201, duration_ms: 12.5 },
};

/** Entries of a Forward-mode frame: `[tag, [[EventTime, record], ...]]`. */
function decodeForwardFrame(path: string): {
  tag: string;
  entries: { timeMs: number; record: Record<string, unknown> }[];
} {
  addExtension({
    type: 0,
    unpack: (b: Buffer) => ({ sec: b.readUInt32BE(0), nsec: b.readUInt32BE(4) }),
  });
  const [tag, entries] = new Unpackr({ mapsAsObjects: true }).unpack(readFileSync(path)) as [
    string,
    [{ sec: number; nsec: number }, Record<string, unknown>][],
  ];
  return { tag, entries: entries.map(([t, record]) => ({ timeMs: t.sec * 1000 + t.nsec / 1e6, record })) };
}

describe("the Fluent Bit fixture record", () => {
  it("maps the record of a real Fluent Bit frame onto the schema", () => {
    const frame = decodeForwardFrame(
      new URL("../../fixtures/transforms/fluent-bit-forward.bin", import.meta.url).pathname,
    );
    const [entry] = frame.entries;
    const event = keep(transform, entry!.record, { tag: frame.tag, time: entry!.timeMs });
    expect(event).toMatchObject({
      "@timestamp": new Date(Math.floor(entry!.timeMs)).toISOString(),
      service: "checkout-api",
      level: "info",
      message: "order placed",
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
      http: { method: "POST", path: "/api/v1/orders", status: 201, latency_ms: 12.5 },
    });
    expect(event.attrs).toBeUndefined();
  });

  it("maps onto the schema with http.duration_ms as latency_ms", () => {
    const event = keep(transform, FLUENT_BIT_RECORD, { tag: "dummy.0" });
    expect(event).toEqual({
      id: "01JEXAMPLE0000000000000000",
      "@timestamp": "2025-12-05T18:00:00.000Z",
      service: "checkout-api",
      level: "info",
      message: "order placed",
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
      http: { method: "POST", path: "/api/v1/orders", status: 201, latency_ms: 12.5 },
      source: "forward",
      ingest_time: "2025-12-05T18:00:00.500Z",
    });
  });
});

describe("message", () => {
  it.each(["message", "msg", "log", "text"])("is read from %s", (key) => {
    expect(keep(transform, { [key]: "hello" }).message).toBe("hello");
  });

  it("prefers message over msg and keeps the loser in attrs", () => {
    const event = keep(transform, { msg: "second", message: "first" });
    expect(event.message).toBe("first");
    expect(event.attrs).toEqual({ msg: "second" });
  });

  it("keeps plain text as the message, without its trailing newline", () => {
    const event = keep(transform, { log: "GET /health 200\r\n", stream: "stdout" });
    expect(event.message).toBe("GET /health 200");
    expect(event.attrs).toEqual({ stream: "stdout" });
  });

  it("is empty when the record has none", () => {
    expect(keep(transform, { user: "x" }).message).toBe("");
  });

  it.each([
    [42, "42"],
    [true, "true"],
    [{ text: "hi", n: 1 }, '{"text":"hi","n":1}'],
    [["a", 1], '["a",1]'],
  ])("turns a non-string message %j into text", (message, text) => {
    expect(keep(transform, { message }).message).toBe(text);
  });

  it("reads a message sent as bytes as UTF-8 text", () => {
    expect(keep(transform, { message: Buffer.from("héllo") }).message).toBe("héllo");
  });
});

describe("JSON lifting", () => {
  it.each(["message", "log", "msg"])("lifts a JSON object from %s", (key) => {
    const event = keep(transform, { [key]: '{"level":"error","msg":"db down","user":{"id":7}}' });
    expect(event.level).toBe("error");
    expect(event.message).toBe("db down");
    expect(event.attrs).toEqual({ "user.id": "7" });
  });

  it("lets the line's fields win over the envelope's fields of the same name", () => {
    const event = keep(transform, {
      log: '{"level":"error","message":"inner","region":"eu-west-1"}',
      level: "info",
      region: "us-east-1",
      container_name: "/checkout",
    });
    expect(event.level).toBe("error");
    expect(event.message).toBe("inner");
    expect(event.region).toBe("eu-west-1");
    expect(event.attrs).toEqual({ container_name: "/checkout" });
  });

  it("lets a schema field from the line beat one from the envelope under another alias", () => {
    const event = keep(transform, { log: '{"severity":"ERROR","msg":"x"}', level: "info" });
    expect(event.level).toBe("error");
    expect(event.attrs).toEqual({ level: "info" });
  });

  it("keeps the envelope's id over the line's id", () => {
    const event = keep(transform, { id: "envelope-id", log: '{"id":"line-id","msg":"x"}' });
    expect(event.id).toBe("envelope-id");
    expect(event.attrs).toEqual({ id: "line-id" });
  });

  it("takes the event time from the envelope when the line has none", () => {
    const event = keep(transform, dockerLine({ msg: "x" }));
    expect(event["@timestamp"]).toBe("2025-12-05T18:00:09.000Z");
    expect(event.attrs).toEqual({ stream: "stdout" });
  });

  it("leaves a message empty when the line has no message field", () => {
    const event = keep(transform, { log: '{"event":"login","user":"u1"}' });
    expect(event.message).toBe("");
    expect(event.attrs).toEqual({ event: "login", user: "u1" });
  });

  it.each([
    ["invalid JSON", "{not json}"],
    ["a JSON array", '[{"a":1}]'],
    ["a JSON string", '"{}"'],
    ["braces inside text", "got {a} and {b}"],
  ])("keeps %s as text", (_name, line) => {
    expect(keep(transform, { log: line }).message).toBe(line);
  });

  it("lifts only once: a JSON message inside the line stays text", () => {
    expect(keep(transform, { log: JSON.stringify({ msg: '{"a":1}' }) }).message).toBe('{"a":1}');
  });

  it("recognises JSON objects with surrounding whitespace only", () => {
    expect(looksLikeJsonObject('  {"a":1}\n')).toBe(true);
    expect(looksLikeJsonObject("{")).toBe(false);
    expect(looksLikeJsonObject("x{}")).toBe(false);
  });
});

describe("pino records", () => {
  function pinoLines(write: (log: pino.Logger) => void): string[] {
    const lines: string[] = [];
    const log = pino(
      { base: { pid: 4121, hostname: "checkout-7d9f" }, timestamp: () => `,"time":${T0 + 123}` },
      { write: (s: string) => lines.push(s) },
    );
    write(log);
    return lines;
  }

  it("maps level, time, hostname and msg of a pino line", () => {
    const [line] = pinoLines((log) => log.info({ reqId: "req-1", user: { id: 7 } }, "hello"));
    const event = keep(transform, { log: line });
    expect(event).toMatchObject({
      "@timestamp": "2025-12-05T18:00:00.123Z",
      host: "checkout-7d9f",
      level: "info",
      message: "hello",
      request_id: "req-1",
      attrs: { pid: "4121", "user.id": "7" },
    });
  });

  it.each([
    ["trace", "trace"],
    ["debug", "debug"],
    ["info", "info"],
    ["warn", "warn"],
    ["error", "error"],
    ["fatal", "fatal"],
  ] as const)("maps pino's numeric %s level", (method, level) => {
    const [line] = pinoLines((log) => {
      log.level = "trace";
      log[method]("x");
    });
    expect(keep(transform, { log: line }).level).toBe(level);
  });

  it("flattens a serialised error", () => {
    const [line] = pinoLines((log) => log.error(new Error("boom"), "failed"));
    const attrs = keep(transform, { log: line }).attrs!;
    expect(attrs["err.type"]).toBe("Error");
    expect(attrs["err.message"]).toBe("boom");
    expect(attrs["err.stack"]).toMatch(/^Error: boom\n/);
  });

  it("reads a pino-http request completion", () => {
    const event = keep(transform, {
      level: 30,
      time: T0,
      msg: "request completed",
      req: {
        id: "req-9",
        method: "GET",
        url: "/api/cart?coupon=X",
        remoteAddress: "::ffff:203.0.113.7",
        headers: { "user-agent": "curl/8.5", authorization: "Basic dXNlcjpwYXNz" },
      },
      res: { statusCode: 200 },
      responseTime: 4.2,
    });
    expect(event.request_id).toBe("req-9");
    expect(event.http).toEqual({
      method: "GET",
      path: "/api/cart",
      status: 200,
      latency_ms: 4.2,
      user_agent: "curl/8.5",
      client_ip: "::ffff:203.0.113.7",
    });
    expect(event.attrs).toEqual({
      "req.headers.authorization": "[REDACTED:sensitive_field]",
      "http.query": "coupon=X",
    });
  });
});

describe("field aliases", () => {
  it.each([
    ["level", { level: "warn" }, "warn"],
    ["severity", { severity: "WARNING" }, "warn"],
    ["lvl", { lvl: "err" }, "error"],
    ["levelname", { levelname: "CRITICAL" }, "fatal"],
    ["a literal log.level key (ECS)", { "log.level": "debug" }, "debug"],
    ["a nested log.level", { log: { level: "debug" } }, "debug"],
    ["severity_text", { severity_text: "INFO" }, "info"],
    ["a syslog severity number", { severity: 3 }, "error"],
  ])("reads the level from %s", (_name, record, level) => {
    const event = keep(transform, record);
    expect(event.level).toBe(level);
    expect(event.attrs).toBeUndefined();
  });

  it("records an unknown level as info and keeps the original", () => {
    const event = keep(transform, { level: "VERBOSE-ISH" });
    expect(event.level).toBe("info");
    expect(event.attrs).toEqual({ level_raw: "VERBOSE-ISH" });
  });

  it("prefers a known level from a later alias over an unknown one", () => {
    const event = keep(transform, { level: "banana", severity: "ERROR" });
    expect(event.level).toBe("error");
    expect(event.attrs).toEqual({ level: "banana" });
  });

  it("defaults to info without any level", () => {
    expect(keep(transform, { message: "x" }).level).toBe("info");
  });

  it.each([
    ["trace_id", { trace_id: "abc" }],
    ["traceId", { traceId: "abc" }],
    ["traceid", { traceid: "abc" }],
    ["trace.id", { trace: { id: "abc" } }],
    ["dd.trace_id", { dd: { trace_id: "abc" } }],
  ])("reads trace_id from %s", (_name, record) => {
    expect(keep(transform, record).trace_id).toBe("abc");
  });

  it("reads a numeric Datadog trace id as its decimal text", () => {
    expect(keep(transform, { dd: { trace_id: 1234567890123 } }).trace_id).toBe("1234567890123");
  });

  it.each([
    ["span_id", { span_id: "def" }],
    ["spanId", { spanId: "def" }],
    ["span.id", { span: { id: "def" } }],
  ])("reads span_id from %s", (_name, record) => {
    expect(keep(transform, record).span_id).toBe("def");
  });

  it.each([
    ["request_id", { request_id: "r1" }],
    ["requestId", { requestId: "r1" }],
    ["req_id", { req_id: "r1" }],
    ["x_request_id", { x_request_id: "r1" }],
    ["reqId (fastify)", { reqId: "r1" }],
  ])("reads request_id from %s", (_name, record) => {
    expect(keep(transform, record).request_id).toBe("r1");
  });

  it.each([
    ["@timestamp", { "@timestamp": "2025-12-05T18:00:01.000Z" }],
    ["timestamp", { timestamp: "2025-12-05T18:00:01Z" }],
    ["time", { time: T0 + 1000 }],
    ["ts", { ts: (T0 + 1000) / 1000 }],
  ])("reads the event time from %s", (_name, record) => {
    expect(keep(transform, record)["@timestamp"]).toBe("2025-12-05T18:00:01.000Z");
  });

  it("uses the input's time and keeps an unusable time field in attrs", () => {
    const event = keep(transform, { time: "yesterday" });
    expect(event["@timestamp"]).toBe("2025-12-05T18:00:00.000Z");
    expect(event.attrs).toEqual({ time: "yesterday" });
  });

  it("prefers @timestamp over time", () => {
    const event = keep(transform, { time: T0 + 5000, "@timestamp": "2025-12-05T18:00:01.000Z" });
    expect(event["@timestamp"]).toBe("2025-12-05T18:00:01.000Z");
    expect(event.attrs).toEqual({ time: String(T0 + 5000) });
  });

  it("reads service, env, region and host, including OpenTelemetry and ECS names", () => {
    const event = keep(transform, {
      service: { name: "cart" },
      deployment: { environment: "staging" },
      cloud: { region: "eu-west-1" },
      host: { name: "ip-10-0-0-1" },
    });
    expect(event).toMatchObject({
      service: "cart",
      env: "staging",
      region: "eu-west-1",
      host: "ip-10-0-0-1",
    });
    expect(event.attrs).toBeUndefined();
  });

  it("reads pino's hostname as host", () => {
    expect(keep(transform, { hostname: "h1" }).host).toBe("h1");
  });
});

describe("http", () => {
  it("reads the http object with common names", () => {
    const event = keep(transform, {
      http: {
        method: "get",
        url: "https://shop.example.com/cart?step=2",
        status_code: "404",
        responseTime: 7,
        userAgent: "Mozilla/5.0",
        remote_addr: "203.0.113.7:5123",
      },
    });
    expect(event.http).toEqual({
      method: "GET",
      path: "/cart",
      status: 404,
      latency_ms: 7,
      user_agent: "Mozilla/5.0",
      client_ip: "203.0.113.7",
    });
    expect(event.attrs).toEqual({ "http.query": "step=2" });
  });

  it("reads the http object with our own names", () => {
    const http = {
      method: "PUT",
      path: "/a",
      status: 204,
      latency_ms: 1.5,
      user_agent: "ua",
      client_ip: "2001:db8::1",
    };
    expect(keep(transform, { http }).http).toEqual(http);
  });

  it("reads OpenTelemetry semantic convention names", () => {
    const event = keep(transform, {
      "http.request.method": "POST",
      "http.response.status_code": 500,
      "url.path": "/pay",
      "user_agent.original": "okhttp",
      "client.address": "198.51.100.4",
    });
    expect(event.http).toEqual({
      method: "POST",
      status: 500,
      path: "/pay",
      user_agent: "okhttp",
      client_ip: "198.51.100.4",
    });
  });

  it("reads ambiguous top-level names in an evident HTTP event", () => {
    const event = keep(transform, {
      method: "GET",
      path: "/health",
      status: 200,
      duration_ms: 3,
      ip: "10.0.0.9",
    });
    expect(event.http).toEqual({
      method: "GET",
      path: "/health",
      status: 200,
      latency_ms: 3,
      client_ip: "10.0.0.9",
    });
    expect(event.attrs).toBeUndefined();
  });

  it("reads an nginx JSON access log", () => {
    const event = keep(transform, {
      remote_addr: "203.0.113.7",
      request_method: "GET",
      request_uri: "/index.html?x=1",
      status: "200",
      request_time: "0.012",
      http_user_agent: "curl/8.5",
    });
    expect(event.http).toEqual({
      client_ip: "203.0.113.7",
      method: "GET",
      path: "/index.html",
      status: 200,
      latency_ms: 12,
      user_agent: "curl/8.5",
    });
  });

  it("keeps ambiguous top-level names in attrs when nothing says HTTP", () => {
    const event = keep(transform, { status: 200, path: "/var/log/app.log", duration_ms: 30, ip: "10.0.0.9" });
    expect(event.http).toBeUndefined();
    expect(event.attrs).toEqual({
      status: "200",
      path: "/var/log/app.log",
      duration_ms: "30",
      ip: "10.0.0.9",
    });
  });

  it("does not take an RPC method name for an HTTP method", () => {
    const event = keep(transform, { method: "getUser", status: 200 });
    expect(event.http).toBeUndefined();
    expect(event.attrs).toEqual({ method: "getUser", status: "200" });
  });

  it("keeps a top-level status that is no HTTP status in attrs even in an HTTP event", () => {
    const event = keep(transform, { http: { method: "GET" }, status: 3 });
    expect(event.http).toEqual({ method: "GET" });
    expect(event.attrs).toEqual({ status: "3" });
  });

  it("prefers the http object over top-level names", () => {
    const event = keep(transform, { http: { status: 201 }, status_code: 500 });
    expect(event.http?.status).toBe(201);
    expect(event.attrs).toEqual({ status_code: "500" });
  });

  it("maps client_ip and user_agent without other HTTP fields", () => {
    expect(keep(transform, { client_ip: "203.0.113.7", user_agent: "x" }).http).toEqual({
      client_ip: "203.0.113.7",
      user_agent: "x",
    });
  });
});

describe("coercion", () => {
  it("coerces an unambiguous string to a number", () => {
    expect(keep(transform, { http: { status: "201" } }).http).toEqual({ status: 201 });
  });

  it.each([
    ["a status that is not a number", { http: { status: "created" } }, { "http.status": "created" }],
    ["a fractional status", { http: { status: 201.5 } }, { "http.status": "201.5" }],
    ["a negative latency", { http: { latency_ms: -3 } }, { "http.latency_ms": "-3" }],
    ["an address that is not an IP", { http: { client_ip: "localhost" } }, { "http.client_ip": "localhost" }],
    ["a trace id over 64 characters", { trace_id: "a".repeat(65) }, { trace_id: "a".repeat(65) }],
    ["a span id over 32 characters", { span_id: "b".repeat(33) }, { span_id: "b".repeat(33) }],
    ["an empty service", { service: "" }, { service: "" }],
    ["a service over 128 characters", { service: "s".repeat(129) }, { service: "s".repeat(129) }],
    ["a numeric host", { host: 7 }, { host: "7" }],
    ["an env over 64 characters", { env: "e".repeat(65) }, { env: "e".repeat(65) }],
    ["a boolean level", { level: true }, { level: "true" }],
  ])("keeps %s in attrs", (_name, record, attrs) => {
    expect(keep(transform, record).attrs).toEqual(attrs);
  });

  it("keeps a wrong-typed service in attrs and falls back to the tag", () => {
    const event = keep(transform, { service: 42 });
    expect(event.service).toBe("checkout");
    expect(event.attrs).toEqual({ service: "42" });
  });
});

describe("attrs", () => {
  it("flattens nested objects into dotted keys with string values", () => {
    const event = keep(transform, {
      user: { id: 7, admin: false, tags: ["a", "b"], address: { city: "Lyon" } },
      retry: null,
      big: 12345678901234567890n,
    });
    expect(event.attrs).toEqual({
      "user.id": "7",
      "user.admin": "false",
      "user.tags": '["a","b"]',
      "user.address.city": "Lyon",
      retry: "null",
      big: "12345678901234567890",
    });
  });

  it("keeps an empty object as {}", () => {
    expect(keep(transform, { ctx: {} }).attrs).toEqual({ ctx: "{}" });
  });

  it("keeps the first value of a key that occurs twice after flattening", () => {
    expect(keep(transform, { "a.b": "literal", a: { b: "nested" } }).attrs).toEqual({ "a.b": "literal" });
  });

  it("merges an already flattened attrs object without nesting it", () => {
    const event = keep(transform, { message: "x", attrs: { "user.id": "7", stream: "stdout" } });
    expect(event.attrs).toEqual({ "user.id": "7", stream: "stdout" });
  });

  it("keeps a record's own source in attrs (Docker writes source: stdout)", () => {
    const event = keep(transform, { source: "stdout", log: "x" });
    expect(event.source).toBe("forward");
    expect(event.attrs).toEqual({ source: "stdout" });
  });
});

describe("an event transformed twice", () => {
  it("comes out of a CloudWatch round trip unchanged but for the log group and stream", () => {
    const first = keep(transform, {
      ...FLUENT_BIT_RECORD,
      user: { id: 7 },
      http: { ...FLUENT_BIT_RECORD.http },
    });
    const second = keep(
      transform,
      { message: JSON.stringify(first) },
      { id: "cloudwatch-event-id", source: "cloudwatch", receivedAt: T0 + 9000, time: T0 + 1 },
      { log_group: "/ecs/checkout", log_stream: "task/1" },
    );
    expect(second).toEqual({ ...first, log_group: "/ecs/checkout", log_stream: "task/1" });
  });
});

describe("a parser reused across records", () => {
  const options = compileTransforms(TransformsConfigSchema.parse({})).parse;
  const many = { a: 1, b: "two", c: { d: true }, e: null };
  const few = { message: "x", z: "only" };

  it("gives a shared result only the entries of the latest record", () => {
    const parser = new RecordParser(options);
    parser.parseShared(many);
    const second = parser.parseShared(few);
    expect(second.attrKeys.slice(0, second.attrCount)).toEqual(["z"]);
    expect(second.attrValues.slice(0, second.attrCount)).toEqual(["only"]);
  });

  it("hands out from parse arrays of exactly the record's entries, kept by later calls", () => {
    const parser = new RecordParser(options);
    parser.parseShared(many);
    const first = parser.parse(few);
    parser.parseShared(many);
    parser.parse(many);
    expect(first.attrKeys).toEqual(["z"]);
    expect(first.attrValues).toEqual(["only"]);
    expect(first.attrCount).toBe(1);
  });

  it("parses the same fields whether the result is shared or not", () => {
    const parser = new RecordParser(options);
    const record = { log: '{"level":"warn","msg":"m","http":{"path":"/a?q=1","status":"201"},"k":1}' };
    const fresh = parser.parse(record);
    const shared = parser.parseShared(record);
    expect({
      ...shared,
      attrKeys: shared.attrKeys.slice(0, shared.attrCount),
      attrValues: shared.attrValues.slice(0, shared.attrCount),
    }).toEqual(fresh);
  });
});
