import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { chunkEventId, type IncomingRecord, newEventId } from "../../../core/event/incoming.js";
import type { Logger } from "../../../core/log.js";
import type { Counter, MetricsRegistry } from "../../../core/metrics.js";
import type { IngestTarget, Input } from "../../../core/stage.js";
import { bearerTokenMatches } from "./auth.js";
import { readBody } from "./body.js";
import type { HttpInputConfig } from "./config.js";
import { HttpInputError } from "./errors.js";
import { type BodyFormat, bodyFormatFor, type LineRejection, parseBody } from "./parse.js";
import { extractEventTime } from "./time.js";

export type { Logger, LogLevel } from "../../../core/log.js";

export interface HttpInputDeps {
  metrics: MetricsRegistry;
  log?: Logger;
  now?: () => number;
}

/** What `POST <path>` answers with 200 (some or all records stored) or 400 (none valid). */
export interface IngestResponse {
  accepted: number;
  rejected: LineRejection[];
  /** Present when more rejections happened than the response lists. */
  rejected_omitted?: number;
  /** Present when an `Idempotency-Key` retry was recognised and nothing was stored again. */
  duplicate?: true;
}

/** Rejections listed in one response; the rest are counted, so a bad 100k-line body stays small. */
const MAX_LISTED_REJECTIONS = 1000;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,256}$/;
/**
 * Bytes read and discarded after an early answer before the connection is cut. Closing a socket
 * with unread data makes the kernel send a reset, which can destroy the answer in flight, so
 * ordinary oversized bodies are read to the end; reading is cheap, nothing is kept.
 */
const DRAIN_MIN_BYTES = 8 * 1024 * 1024;
/** Length of the content digest in ids and dedup keys: 22 base64url chars = 132 bits. */
const DIGEST_CHARS = 22;

type Headers = Record<string, string | number>;

/** An answer given instead of reading the request. */
interface Refusal {
  status: number;
  code: string;
  message: string;
  headers?: Headers;
}

function refusal(status: number, code: string, message: string, headers?: Headers): Refusal {
  return headers === undefined ? { status, code, message } : { status, code, message, headers };
}

function methodNotAllowed(allow: string): Refusal {
  return refusal(405, "method_not_allowed", `use ${allow}`, { allow });
}

/** What the headers of an admitted request decided. */
interface Admitted {
  format: BodyFormat;
  gzip: boolean;
  tag: string;
  idempotencyKey: string | undefined;
}

/**
 * Receives log records over HTTP: `POST /v1/logs` with NDJSON, a JSON array or one JSON object,
 * optionally gzip'd. A request is answered 2xx only once its records are durable in the target;
 * a full target or a failed append is answered 503 with Retry-After, so the client keeps the data.
 */
export class HttpInput implements Input {
  readonly name = "http";
  private server: Server | undefined;
  private closing: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly requests: Counter;
  private readonly accepted: Counter;
  private readonly rejectedLines: Counter;
  private readonly duplicates: Counter;
  private readonly wireBytes: Counter;
  private readonly decodedBytes: Counter;
  private readonly repairedUtf8: Counter;

  constructor(
    private readonly config: HttpInputConfig,
    private readonly target: IngestTarget,
    deps: HttpInputDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.log = deps.log ?? (() => undefined);
    const m = deps.metrics;
    this.requests = m.counter("logpipe_http_input_requests_total", "HTTP input requests answered, by status");
    this.accepted = m.counter("logpipe_http_input_events_accepted_total", "Records stored by the HTTP input");
    this.rejectedLines = m.counter(
      "logpipe_http_input_lines_rejected_total",
      "Records (lines or array elements) the HTTP input refused, by reason code",
    );
    this.duplicates = m.counter(
      "logpipe_http_input_duplicate_requests_total",
      "Idempotency-Key retries answered without storing again",
    );
    this.wireBytes = m.counter("logpipe_http_input_received_bytes_total", "Request body bytes as sent");
    this.decodedBytes = m.counter(
      "logpipe_http_input_decoded_bytes_total",
      "Request body bytes after decompression",
    );
    this.repairedUtf8 = m.counter(
      "logpipe_http_input_utf8_repaired_total",
      "Request bodies whose invalid UTF-8 was replaced with U+FFFD",
    );
  }

  async start(): Promise<void> {
    if (!this.config.enabled || this.server) return;
    if (this.closing) throw new Error("the HTTP input was shut down and cannot start again");
    const timeout = this.config.request_timeout_ms;
    const server = createServer({
      requestTimeout: timeout,
      // Headers should arrive quickly; a client trickling them (slowloris) is cut off early.
      headersTimeout: Math.min(timeout, 10_000),
      // The default 30 s sweep would let a timed-out request linger that long.
      connectionsCheckingInterval: Math.min(timeout, 1000),
      keepAliveTimeout: 5000,
    });
    server.on("request", (req: IncomingMessage, res: ServerResponse) => this.track(req, res, false));
    // Answering Expect: 100-continue ourselves lets a refused client skip sending the body at all.
    server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => this.track(req, res, true));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.config.port, this.config.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (error) => this.log("error", "http input server error", { error: String(error) }));
    this.server = server;
    this.log("info", "http input listening", { address: this.address() });
  }

  address(): string | undefined {
    const info = this.server?.address() as AddressInfo | null | undefined;
    if (!info) return undefined;
    const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
    return `http://${host}:${info.port}`;
  }

  shutdown(): Promise<void> {
    this.closing ??= this.close();
    return this.closing;
  }

  private async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // In-flight requests finish (their appends complete and are acknowledged); a client that
    // stalls past the request timeout is cut off so shutdown cannot hang on it.
    const grace = setTimeout(() => server.closeAllConnections(), this.config.request_timeout_ms);
    try {
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    } finally {
      clearTimeout(grace);
    }
    server.closeAllConnections();
    await closed;
    this.server = undefined;
  }

  private track(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void {
    const work = this.handle(req, res, expectsContinue).catch((error: unknown) => {
      this.log("error", "http input request failed unexpectedly", { error: String(error) });
      if (!res.headersSent) this.send(res, 500, { error: "internal", message: "internal error" });
      else res.destroy();
    });
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async handle(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://localhost");
    } catch {
      this.refuse(req, res, expectsContinue, refusal(400, "bad_url", "the request URL cannot be parsed"));
      return;
    }
    if (url.pathname === "/health") {
      if (req.method === "GET" || req.method === "HEAD") this.send(res, 200, { status: "ok" });
      else this.refuse(req, res, expectsContinue, methodNotAllowed("GET, HEAD"));
      return;
    }
    if (url.pathname !== this.config.path) {
      const message = `no route ${url.pathname}; POST to ${this.config.path}`;
      this.refuse(req, res, expectsContinue, refusal(404, "not_found", message));
      return;
    }
    if (req.method !== "POST") {
      this.refuse(req, res, expectsContinue, methodNotAllowed("POST"));
      return;
    }
    const admitted = this.admit(req, url);
    if ("refused" in admitted) {
      this.refuse(req, res, expectsContinue, admitted.refused);
      return;
    }
    await this.receive(req, res, admitted, expectsContinue);
  }

  /** Everything decided from the headers alone, before a byte of the body is read. */
  private admit(req: IncomingMessage, url: URL): Admitted | { refused: Refusal } {
    const config = this.config;
    if (
      config.auth_token !== undefined &&
      !bearerTokenMatches(req.headers.authorization, config.auth_token)
    ) {
      return {
        refused: refusal(401, "unauthorized", "a valid bearer token is required", {
          "www-authenticate": 'Bearer realm="logpipe"',
        }),
      };
    }
    const format = bodyFormatFor(req.headers["content-type"]);
    if (format === undefined) {
      const message = "send application/x-ndjson, application/jsonl, text/plain (NDJSON) or application/json";
      return { refused: refusal(415, "unsupported_media_type", message) };
    }
    const encoding = (req.headers["content-encoding"] ?? "identity").trim().toLowerCase();
    const gzip = encoding === "gzip" || encoding === "x-gzip";
    if (!gzip && encoding !== "identity" && encoding !== "") {
      return { refused: refusal(415, "unsupported_encoding", "Content-Encoding must be gzip or identity") };
    }
    const tag = url.searchParams.get("tag") ?? headerValue(req, "x-logpipe-tag") ?? "http";
    if (!isValidTag(tag)) {
      const message = "tag must be 1-256 characters without control characters";
      return { refused: refusal(400, "invalid_tag", message) };
    }
    const idempotencyKey = headerValue(req, "idempotency-key");
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      const message = "Idempotency-Key must be 1-256 visible ASCII characters";
      return { refused: refusal(400, "invalid_idempotency_key", message) };
    }
    if (Number(req.headers["content-length"] ?? 0) > config.max_body_bytes) {
      return { refused: refusal(413, "body_too_large", `body is over ${config.max_body_bytes} bytes`) };
    }
    if (!this.target.hasSpace()) {
      return { refused: refusal(503, "buffer_full", "the buffer is full; retry later", this.retryAfter()) };
    }
    return { format, gzip, tag, idempotencyKey };
  }

  private async receive(
    req: IncomingMessage,
    res: ServerResponse,
    { format, gzip, tag, idempotencyKey }: Admitted,
    expectsContinue: boolean,
  ): Promise<void> {
    const config = this.config;
    if (expectsContinue) res.writeContinue();

    let body: Buffer;
    try {
      const read = await readBody(req, gzip, {
        maxWireBytes: config.max_body_bytes,
        maxDecodedBytes: gzip ? config.max_decompressed_bytes : config.max_body_bytes,
      });
      body = read.body;
      this.wireBytes.inc(undefined, read.wireBytes);
      this.decodedBytes.inc(undefined, body.length);
    } catch (error) {
      if (!(error instanceof HttpInputError)) throw error;
      if (error.code === "client_aborted") {
        req.destroy();
        return;
      }
      this.refuse(req, res, false, refusal(error.status, error.code, error.message));
      return;
    }

    let parsed: ReturnType<typeof parseBody>;
    try {
      parsed = parseBody(body, format, {
        maxLineBytes: config.max_line_bytes,
        maxDepth: config.max_depth,
        maxEvents: config.max_events_per_request,
      });
    } catch (error) {
      if (!(error instanceof HttpInputError)) throw error;
      this.send(res, error.status, { error: error.code, message: error.message });
      return;
    }
    if (parsed.repairedUtf8) this.repairedUtf8.inc();
    for (const r of parsed.rejected) this.rejectedLines.inc({ reason: r.code });

    const answer: IngestResponse = {
      accepted: parsed.records.length,
      rejected: parsed.rejected.slice(0, MAX_LISTED_REJECTIONS),
    };
    const omitted = parsed.rejected.length - answer.rejected.length;
    if (omitted > 0) answer.rejected_omitted = omitted;
    if (parsed.records.length === 0) {
      this.send(res, parsed.rejected.length > 0 ? 400 : 200, answer);
      return;
    }

    const receivedAt = this.now();
    const digest = idempotencyKey === undefined ? undefined : contentDigest(idempotencyKey, body);
    const records: IncomingRecord[] = parsed.records.map(({ line, record }) => ({
      id: digest === undefined ? newEventId(receivedAt) : chunkEventId(digest, line - 1),
      time: extractEventTime(record, receivedAt),
      receivedAt,
      tag,
      source: "http",
      record,
    }));
    let outcome: Awaited<ReturnType<IngestTarget["append"]>>;
    try {
      outcome =
        digest === undefined
          ? await this.target.append(records)
          : await this.target.append(records, `${idempotencyKey}:${digest}`);
    } catch (error) {
      this.log("warn", "http input could not store a request; answered 503", { error: String(error) });
      this.send(
        res,
        503,
        { error: "append_failed", message: "the records could not be stored; retry later" },
        this.retryAfter(),
      );
      return;
    }
    if (outcome === "duplicate") {
      this.duplicates.inc();
      answer.duplicate = true;
    } else {
      this.accepted.inc(undefined, records.length);
    }
    this.send(res, 200, answer);
  }

  private retryAfter(): Headers {
    return { "retry-after": String(this.config.retry_after_seconds) };
  }

  private send(res: ServerResponse, status: number, body: object, headers: Headers = {}): void {
    const payload = JSON.stringify(body);
    const all: Headers = {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(payload),
      ...headers,
    };
    // While shutting down, keep-alive connections are closed after their response.
    if (this.closing) all["connection"] = "close";
    res.writeHead(status, all);
    res.end(payload);
    this.requests.inc({ status: String(status) });
  }

  /**
   * Answers a request before (or instead of) reading its body. The rest of the body is read
   * and discarded, up to a bound, so the client sees the answer instead of a connection reset;
   * past the bound, the connection is closed.
   */
  private refuse(
    req: IncomingMessage,
    res: ServerResponse,
    expectsContinue: boolean,
    refused: Refusal,
  ): void {
    const body = { error: refused.code, message: refused.message };
    if (expectsContinue) {
      // The client is waiting for 100 Continue and has not sent the body; whether it sends it
      // anyway is unknown, so the connection cannot be reused.
      this.send(res, refused.status, body, { ...refused.headers, connection: "close" });
      return;
    }
    this.send(res, refused.status, body, refused.headers);
    this.drain(req);
  }

  private drain(req: IncomingMessage): void {
    if (req.complete || req.destroyed) return;
    let budget = Math.max(this.config.max_body_bytes, DRAIN_MIN_BYTES);
    const stop = (): void => {
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", stop);
      req.off("close", stop);
    };
    const cut = (): void => {
      stop();
      req.socket.destroy();
    };
    const onData = (chunk: Buffer): void => {
      budget -= chunk.length;
      if (budget < 0) cut();
    };
    const timer = setTimeout(cut, Math.min(this.config.request_timeout_ms, 10_000));
    req.on("data", onData);
    req.once("end", stop);
    req.once("close", stop);
    req.resume();
  }
}

function isValidTag(tag: string): boolean {
  if (tag.length === 0 || tag.length > 256) return false;
  for (let i = 0; i < tag.length; i++) {
    const c = tag.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return true;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Digest of one client retry unit: the same key and body always give the same ids. */
export function contentDigest(idempotencyKey: string, body: Buffer): string {
  // The separator keeps ("ab", "c") and ("a", "bc") apart; a header value cannot hold \n.
  return createHash("sha256")
    .update(idempotencyKey, "utf8")
    .update("\n")
    .update(body)
    .digest("base64url")
    .slice(0, DIGEST_CHARS);
}
