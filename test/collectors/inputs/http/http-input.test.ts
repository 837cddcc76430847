import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { type HttpInputConfig, HttpInputConfigSchema } from "../../../../collectors/inputs/http/config.js";
import { contentDigest, HttpInput } from "../../../../collectors/inputs/http/http-input.js";
import { chunkEventId, type IncomingRecord } from "../../../../core/event/incoming.js";
import { MetricsRegistry } from "../../../../core/metrics.js";
import type { AppendOutcome } from "../../../../core/stage.js";
import { MemoryIngestTarget } from "../../../support/memory-ingest-target.js";

const NOW = Date.UTC(2025, 0, 2, 3, 4, 5, 6);
const TOKEN = "s3cret-token-0123456789";

const running: HttpInput[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((input) => input.shutdown()));
});

async function startInput(overrides: Partial<HttpInputConfig> = {}, target = new MemoryIngestTarget()) {
  const config = HttpInputConfigSchema.parse({ port: 0, ...overrides });
  const metrics = new MetricsRegistry();
  const input = new HttpInput(config, target, { metrics, now: () => NOW });
  running.push(input);
  await input.start();
  const base = input.address()!;
  return { input, target, metrics, base, url: `${base}${config.path}` };
}

function post(url: string, body: string | Buffer, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: "POST",
    body,
    headers: { "content-type": "application/x-ndjson", ...headers },
  });
}

/** The reason the input gives for text JSON.parse refuses, built from the engine's own message. */
function invalidJson(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return `invalid JSON: ${(error as Error).message}`;
  }
  throw new Error(`${text} is valid JSON`);
}

describe("HttpInput: accepted bodies", () => {
  it("stores each NDJSON line as an incoming record and answers 200", async () => {
    const { url, target } = await startInput();
    const res = await post(url, '{"message":"a","ts":1700000000}\n{"message":"b"}\n{"message":"c"}\n');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 3, rejected: [] });
    expect(target.appends).toHaveLength(1);
    const [first, second] = target.records as [IncomingRecord, IncomingRecord];
    expect(first).toMatchObject({
      time: 1_700_000_000_000,
      receivedAt: NOW,
      tag: "http",
      source: "http",
      record: { message: "a", ts: 1700000000 },
    });
    expect(second.time).toBe(NOW);
    expect(new Set(target.records.map((r) => r.id)).size).toBe(3);
    expect(target.appends[0]!.dedupKey).toBeUndefined();
  });

  it("stores the objects of a JSON array", async () => {
    const { url, target } = await startInput();
    const res = await post(url, '[{"message":"a"},{"message":"b"}]', { "content-type": "application/json" });
    expect(await res.json()).toEqual({ accepted: 2, rejected: [] });
    expect(target.records.map((r) => r.record["message"])).toEqual(["a", "b"]);
  });

  it("stores a single JSON object", async () => {
    const { url, target } = await startInput();
    const res = await post(url, '{"message":"only","@timestamp":"2024-05-06T07:08:09.010Z"}', {
      "content-type": "application/json",
    });
    expect(res.status).toBe(200);
    expect(target.records).toHaveLength(1);
    expect(target.records[0]!.time).toBe(Date.UTC(2024, 4, 6, 7, 8, 9, 10));
  });

  it("inflates a gzip body", async () => {
    const { url, target } = await startInput();
    const res = await post(url, gzipSync('{"message":"z1"}\n{"message":"z2"}\n'), {
      "content-encoding": "gzip",
    });
    expect(await res.json()).toEqual({ accepted: 2, rejected: [] });
    expect(target.records.map((r) => r.record["message"])).toEqual(["z1", "z2"]);
  });

  it("takes the tag from the query, else the X-Logpipe-Tag header", async () => {
    const { url, target } = await startInput();
    await post(`${url}?tag=from-query`, '{"m":1}', { "x-logpipe-tag": "from-header" });
    await post(url, '{"m":2}', { "x-logpipe-tag": "from-header" });
    expect(target.records.map((r) => r.tag)).toEqual(["from-query", "from-header"]);
  });

  it("answers 200 with nothing stored for an empty body", async () => {
    const { url, target } = await startInput();
    const res = await post(url, "\n\n");
    expect([res.status, await res.json()]).toEqual([200, { accepted: 0, rejected: [] }]);
    expect(target.appends).toEqual([]);
  });
});

describe("HttpInput: bad records", () => {
  it("stores the good lines of a mixed body and lists the bad ones by line and reason", async () => {
    const { url, target, metrics } = await startInput();
    const body = '{"n":1}\n{"n":2,}\n{"n":3}\n[1]\n\n{"n":6}\n';
    const res = await post(url, body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      accepted: 3,
      rejected: [
        { line: 2, code: "invalid_json", reason: invalidJson('{"n":2,}') },
        { line: 4, code: "not_object", reason: "not a JSON object: got array" },
      ],
    });
    expect(target.records.map((r) => r.record["n"])).toEqual([1, 3, 6]);
    const snap = metrics.snapshot();
    expect(snap['logpipe_http_input_lines_rejected_total{reason="invalid_json"}']).toBe(1);
    expect(snap['logpipe_http_input_lines_rejected_total{reason="not_object"}']).toBe(1);
    expect(snap["logpipe_http_input_events_accepted_total"]).toBe(3);
  });

  it("answers 400 with the same shape when no line is valid, storing nothing", async () => {
    const { url, target } = await startInput();
    const res = await post(url, 'nope\n"str"\n');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      accepted: 0,
      rejected: [
        { line: 1, code: "invalid_json", reason: invalidJson("nope") },
        { line: 2, code: "not_object", reason: "not a JSON object: got string" },
      ],
    });
    expect(target.appends).toEqual([]);
  });

  it("repairs invalid UTF-8 instead of rejecting the line", async () => {
    const { url, target, metrics } = await startInput();
    const body = Buffer.concat([
      Buffer.from('{"message":"bad '),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(' byte"}'),
    ]);
    const res = await post(url, body);
    expect(await res.json()).toEqual({ accepted: 1, rejected: [] });
    expect(target.records[0]!.record["message"]).toBe("bad \uFFFD( byte");
    expect(metrics.snapshot()["logpipe_http_input_utf8_repaired_total"]).toBe(1);
  });

  it("rejects a deeply nested hostile line and keeps its neighbours", async () => {
    const { url, target } = await startInput();
    const hostile = `{"x":${"[".repeat(50_000)}${"]".repeat(50_000)}}`;
    const res = await post(url, `{"n":1}\n${hostile}\n{"n":3}\n`);
    expect(await res.json()).toEqual({
      accepted: 2,
      rejected: [{ line: 2, code: "too_deep", reason: "nested deeper than 32 levels" }],
    });
    expect(target.records).toHaveLength(2);
  });

  it("rejects a line over max_line_bytes and keeps the others", async () => {
    const { url, target } = await startInput({ max_line_bytes: 100 });
    const long = JSON.stringify({ m: "x".repeat(200) });
    const res = await post(url, `{"n":1}\n${long}\n{"n":3}\n`);
    expect(await res.json()).toEqual({
      accepted: 2,
      rejected: [
        { line: 2, code: "line_too_long", reason: `record is ${long.length} bytes, over the 100-byte limit` },
      ],
    });
    expect(target.records.map((r) => r.record["n"])).toEqual([1, 3]);
  });

  it("lists at most 1000 rejections and counts the rest", async () => {
    const { url } = await startInput();
    const res = await post(url, `${"bad\n".repeat(1500)}{"ok":1}\n`);
    const answer = (await res.json()) as { accepted: number; rejected: unknown[]; rejected_omitted: number };
    expect([answer.accepted, answer.rejected.length, answer.rejected_omitted]).toEqual([1, 1000, 500]);
  });
});

describe("HttpInput: whole-request refusals", () => {
  it("answers 413 for a declared body over max_body_bytes without storing", async () => {
    const { url, target } = await startInput({ max_body_bytes: 1024 });
    const res = await post(url, `${'{"m":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}\n'.repeat(100)}`);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: "body_too_large", message: "body is over 1024 bytes" });
    expect(target.appends).toEqual([]);
  });

  it("answers 413 for a chunked body that grows over max_body_bytes", async () => {
    const { url, target } = await startInput({ max_body_bytes: 4096 });
    const piece = new TextEncoder().encode(`${'{"m":"x"}\n'.repeat(100)}`);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 6) controller.close();
        else {
          sent++;
          controller.enqueue(piece);
        }
      },
    });
    const res = await fetch(url, {
      method: "POST",
      body: stream,
      headers: { "content-type": "application/x-ndjson" },
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toBe("body_too_large");
    expect(target.appends).toEqual([]);
  });

  it("answers 413 for a gzip bomb over max_decompressed_bytes", async () => {
    const { url, target } = await startInput({ max_decompressed_bytes: 1 << 20 });
    const bomb = gzipSync(Buffer.alloc(8 << 20, 0x20));
    const res = await post(url, bomb, { "content-encoding": "gzip" });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: "decompressed_too_large",
      message: "body is over 1048576 bytes after decompression",
    });
    expect(target.appends).toEqual([]);
  });

  it("answers 400 for a truncated gzip body", async () => {
    const { url, target } = await startInput();
    const zipped = gzipSync('{"m":1}\n'.repeat(50));
    const res = await post(url, zipped.subarray(0, zipped.length - 8), { "content-encoding": "gzip" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: "truncated_gzip",
      message: "gzip body is truncated (unexpected end of file)",
    });
    expect(target.appends).toEqual([]);
  });

  it("answers 413 when a request carries more records than allowed", async () => {
    const { url, target } = await startInput({ max_events_per_request: 10 });
    const res = await post(url, '{"m":1}\n'.repeat(11));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toBe("too_many_events");
    expect(target.appends).toEqual([]);
  });

  it("answers 415 for a media type or encoding it cannot read", async () => {
    const { url } = await startInput();
    const type = await post(url, "a=b", { "content-type": "application/x-www-form-urlencoded" });
    const enc = await post(url, '{"m":1}', { "content-encoding": "br" });
    expect([type.status, enc.status]).toEqual([415, 415]);
    expect(((await enc.json()) as { error: string }).error).toBe("unsupported_encoding");
  });
});

describe("HttpInput: auth", () => {
  it("accepts a request with the right bearer token", async () => {
    const { url, target } = await startInput({ auth_token: TOKEN });
    const res = await post(url, '{"m":1}', { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    expect(target.records).toHaveLength(1);
  });

  it("answers 401 with WWW-Authenticate when the token is missing", async () => {
    const { url, target } = await startInput({ auth_token: TOKEN });
    const res = await post(url, '{"m":1}');
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
    expect(((await res.json()) as { error: string }).error).toBe("unauthorized");
    expect(target.appends).toEqual([]);
  });

  it("answers 401 when the token is wrong", async () => {
    const { url, target } = await startInput({ auth_token: TOKEN });
    const wrong = await post(url, '{"m":1}', { authorization: `Bearer ${TOKEN}x` });
    const basic = await post(url, '{"m":1}', {
      authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString("base64")}`,
    });
    expect([wrong.status, basic.status]).toEqual([401, 401]);
    expect(target.appends).toEqual([]);
  });

  it("keeps /health open without a token", async () => {
    const { base } = await startInput({ auth_token: TOKEN });
    const res = await fetch(`${base}/health`);
    expect([res.status, await res.json()]).toEqual([200, { status: "ok" }]);
  });
});

describe("HttpInput: delivery", () => {
  it("answers 503 with Retry-After and stores nothing while the target is full", async () => {
    const { url, target } = await startInput({ retry_after_seconds: 7 });
    target.setFull(true);
    const res = await post(url, '{"m":1}\n');
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("7");
    expect(((await res.json()) as { error: string }).error).toBe("buffer_full");
    expect(target.appends).toEqual([]);
    target.setFull(false);
    expect((await post(url, '{"m":1}\n')).status).toBe(200);
  });

  it("refuses an Expect: 100-continue request while full without asking for the body", async () => {
    const { url, target } = await startInput();
    target.setFull(true);
    const outcome = await new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
      let continued = false;
      const req = httpRequest(url, {
        method: "POST",
        headers: { "content-type": "application/x-ndjson", expect: "100-continue", "content-length": 8 },
      });
      req.on("continue", () => {
        continued = true;
        req.end('{"m":1}\n');
      });
      req.on("response", (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, continued });
      });
      req.on("error", reject);
      req.flushHeaders();
    });
    expect(outcome).toEqual({ status: 503, continued: false });
    expect(target.appends).toEqual([]);
  });

  it("answers 503 and acknowledges nothing when the append fails", async () => {
    const { url, target, metrics } = await startInput({ retry_after_seconds: 3 });
    target.failNextAppend = new Error("disk full");
    const res = await post(url, '{"m":1}\n{"m":2}\n');
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("3");
    expect(((await res.json()) as { error: string }).error).toBe("append_failed");
    expect(target.records).toEqual([]);
    expect(metrics.snapshot()["logpipe_http_input_events_accepted_total"]).toBeUndefined();
  });

  it("answers only after the append has resolved", async () => {
    const gate = gatedTarget();
    const { url } = await startInput({}, gate.target);
    let answered = false;
    const response = post(url, '{"m":1}\n').then((res) => {
      answered = true;
      return res;
    });
    await expect.poll(() => gate.appended(), { timeout: 10_000 }).toBe(true);
    // Give a premature answer the chance to arrive; a correct input cannot answer here at all.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toBe(false);
    gate.release("stored");
    expect((await response).status).toBe(200);
  });

  it("stores a request resent with the same Idempotency-Key once, with deterministic ids", async () => {
    const { url, target, metrics } = await startInput();
    const body = '{"m":1}\n{"m":2}\n';
    const headers = { "idempotency-key": "batch-42" };
    const first = await post(url, body, headers);
    const again = await post(url, gzipSync(body), { ...headers, "content-encoding": "gzip" });
    expect(await first.json()).toEqual({ accepted: 2, rejected: [] });
    expect([again.status, await again.json()]).toEqual([200, { accepted: 2, rejected: [], duplicate: true }]);
    expect(target.records).toHaveLength(2);
    const digest = contentDigest("batch-42", Buffer.from(body));
    expect(digest).toHaveLength(22);
    expect(target.records.map((r) => r.id)).toEqual([chunkEventId(digest, 0), chunkEventId(digest, 1)]);
    expect(target.appends[0]!.dedupKey).toBe(`batch-42:${digest}`);
    expect(metrics.snapshot()["logpipe_http_input_duplicate_requests_total"]).toBe(1);
  });

  it("stores a different body under the same Idempotency-Key as new content", async () => {
    const { url, target } = await startInput();
    await post(url, '{"m":1}\n', { "idempotency-key": "k" });
    await post(url, '{"m":2}\n', { "idempotency-key": "k" });
    expect(target.records.map((r) => r.record["m"])).toEqual([1, 2]);
  });

  it("counts requests by status and bytes received", async () => {
    const { url, metrics } = await startInput();
    const zipped = gzipSync('{"m":1}\n');
    await post(url, zipped, { "content-encoding": "gzip" });
    await post(url, "bad\n");
    const snap = metrics.snapshot();
    expect(snap['logpipe_http_input_requests_total{status="200"}']).toBe(1);
    expect(snap['logpipe_http_input_requests_total{status="400"}']).toBe(1);
    expect(snap["logpipe_http_input_received_bytes_total"]).toBe(zipped.length + 4);
    expect(snap["logpipe_http_input_decoded_bytes_total"]).toBe(8 + 4);
  });
});

describe("HttpInput: routes and lifecycle", () => {
  it("answers 404 with JSON for an unknown path", async () => {
    const { base } = await startInput();
    const res = await fetch(`${base}/nope`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(((await res.json()) as { error: string }).error).toBe("not_found");
  });

  it("answers 405 with Allow for a wrong method on the logs path", async () => {
    const { url } = await startInput();
    const res = await fetch(url);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });

  it("answers GET /health with ok", async () => {
    const { base } = await startInput();
    const res = await fetch(`${base}/health`);
    expect([res.status, await res.json()]).toEqual([200, { status: "ok" }]);
  });

  it("serves a configured path instead of the default", async () => {
    const { base, target } = await startInput({ path: "/ingest" });
    expect((await post(`${base}/ingest`, '{"m":1}')).status).toBe(200);
    expect((await post(`${base}/v1/logs`, '{"m":1}')).status).toBe(404);
    expect(target.records).toHaveLength(1);
  });

  it("closes a connection whose body stalls past the request timeout", async () => {
    const { input, target } = await startInput({ request_timeout_ms: 300 });
    const { port } = new URL(input.address()!);
    const closed = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => {
        socket.write(
          "POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nContent-Length: 100\r\n\r\n{",
        );
      });
      let received = "";
      socket.on("data", (d) => {
        received += d.toString();
      });
      socket.on("close", () => resolve(received));
      socket.on("error", reject);
    });
    expect(closed).toMatch(/^HTTP\/1\.1 408 /);
    expect(target.appends).toEqual([]);
  });

  it("has no address before start and shuts down idempotently", async () => {
    const config = HttpInputConfigSchema.parse({ port: 0 });
    const input = new HttpInput(config, new MemoryIngestTarget(), { metrics: new MetricsRegistry() });
    expect(input.address()).toBeUndefined();
    await input.shutdown();
    await input.shutdown();
    expect(input.address()).toBeUndefined();
  });

  it("does not listen when disabled", async () => {
    const { input } = await startInput({ enabled: false });
    expect(input.address()).toBeUndefined();
  });

  it("lets an in-flight request finish and be acknowledged during shutdown", async () => {
    const gate = gatedTarget();
    const { url, input } = await startInput({}, gate.target);
    const response = post(url, '{"m":1}\n');
    await expect.poll(() => gate.appended(), { timeout: 10_000 }).toBe(true);
    let released = false;
    let stoppedEarly = false;
    const stopped = input.shutdown().then(() => {
      stoppedEarly = !released;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    released = true;
    gate.release("stored");
    expect((await response).status).toBe(200);
    await stopped;
    expect(stoppedEarly).toBe(false);
    expect(input.address()).toBeUndefined();
  });
});

/** A target whose append waits until the test releases it. */
function gatedTarget() {
  let release: (outcome: AppendOutcome) => void = () => undefined;
  let appended = false;
  const target = new MemoryIngestTarget();
  target.append = () => {
    appended = true;
    return new Promise<AppendOutcome>((resolve) => {
      release = resolve;
    });
  };
  return { target, appended: () => appended, release: (outcome: AppendOutcome) => release(outcome) };
}
