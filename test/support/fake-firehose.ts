import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { checkAwsJsonRequest, readAwsJsonRequest, ServiceError, sendAwsJson } from "./aws-json.js";

/**
 * An Amazon Data Firehose endpoint for tests that speaks the service's real wire protocol, so the
 * real SDK client is exercised end to end: AWS JSON 1.1 (`POST /`,
 * `x-amz-target: Firehose_20150804.<Operation>`, `content-type: application/x-amz-json-1.1`,
 * SigV4-signed), record `Data` as base64 inside the JSON body, and answers of the form
 * `{FailedPutCount, Encrypted, RequestResponses: [{RecordId} | {ErrorCode, ErrorMessage}]}`.
 *
 * Errors are HTTP 400 (client faults) or 5xx with a JSON body `{"__type", "message"}` and the
 * `x-amzn-errortype` header. SDK v3 reads a JSON 1.1 error's type from the body's `__type` first,
 * then `code`, then that header, keeping what precedes `:` and follows `#`; the fake sends both
 * unless a test asks for one only.
 *
 * It validates like the service: more than 500 records, a record over 1,000 KiB or an empty
 * record list fail with ValidationException, more than 4 MiB of data with
 * InvalidArgumentException, an unknown stream with ResourceNotFoundException. Failed records are
 * not stored. Faults are scripted: per-record failures of the next calls, whole-call throttling,
 * 5xx, dropped connections, raw responses, and a gate that holds calls to observe concurrency.
 */

// Restated from the service documentation rather than imported from core/limits.ts, so the fake
// is an independent check on the constants the output uses.
export const MAX_RECORDS = 500;
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
export const MAX_RECORD_BYTES = 1000 * 1024;
const TARGET_PREFIX = "Firehose_20150804.";
const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;
// Checked as a character class plus a length test: a grouped pattern backtracks on megabyte records.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const ACCOUNT = "123456789012";

export interface StoredRecord {
  recordId: string;
  data: Buffer;
  /** Index in `calls` of the call that stored it. */
  call: number;
}

export interface RecordedCall {
  operation: string;
  stream?: string;
  /** Decoded records as sent, when the body parsed. */
  records: Buffer[];
  /** Sum of the decoded records' sizes. */
  bytes: number;
  /** HTTP status answered, or `dropped` when the connection was destroyed. */
  status: number | "dropped";
  errorType?: string;
  failedPutCount?: number;
}

/** Which records of a call fail: their positions in the call, or a test on each record. */
export type RecordSelector = readonly number[] | ((data: Buffer, index: number) => boolean);

export interface RecordFailure {
  /** Default ServiceUnavailableException (throttled); InternalFailure is the other documented code. */
  code?: string;
  message?: string;
}

type Fault =
  | {
      kind: "error";
      status: number;
      type: string;
      message: string;
      rawBody?: string;
      typeIn?: "body" | "header" | "both";
    }
  | { kind: "drop"; when: "before" | "after" }
  | { kind: "records"; select: RecordSelector; code: string; message: string }
  | { kind: "respond"; body: string };

type RecordResponse = { RecordId: string } | { ErrorCode: string; ErrorMessage: string };

interface ScheduledFault {
  operation: string;
  remaining: number;
  fault: Fault;
}

const DEFAULT_RECORD_MESSAGES: Record<string, string> = {
  ServiceUnavailableException: "Slow down.",
  InternalFailure: "Internal service failure.",
};

export class FakeFirehose {
  /** Stored records per stream, in arrival order. */
  readonly streams = new Map<string, StoredRecord[]>();
  readonly calls: RecordedCall[] = [];
  /** PutRecordBatch calls being handled right now, and the most seen at once. */
  inFlight = 0;
  maxInFlight = 0;
  private readonly faults: ScheduledFault[] = [];
  private gate: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  /** Starts on 127.0.0.1 with a free port; `streams` exist from the start (default `logs`). */
  static async start(options: { streams?: string[] } = {}): Promise<FakeFirehose> {
    let fake: FakeFirehose | undefined;
    const server = createServer((req, res) => {
      // A client that vanishes mid-body is the client's problem, never an unhandled rejection.
      fake!.handle(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeFirehose(server, `http://127.0.0.1:${port}`);
    for (const name of options.streams ?? ["logs"]) fake.createStream(name);
    return fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  createStream(name: string): void {
    if (!this.streams.has(name)) this.streams.set(name, []);
  }

  deleteStream(name: string): void {
    this.streams.delete(name);
  }

  // ---- scripted faults -------------------------------------------------------------------

  /**
   * The selected records of each of the next `calls` PutRecordBatch calls fail with `code`
   * (not stored); the others are stored as usual.
   */
  failRecords(select: RecordSelector, failure: RecordFailure = {}, calls = 1): void {
    const code = failure.code ?? "ServiceUnavailableException";
    const message = failure.message ?? DEFAULT_RECORD_MESSAGES[code] ?? "Record failed.";
    this.schedule("PutRecordBatch", calls, { kind: "records", select, code, message });
  }

  /**
   * The next `count` calls are throttled whole: by default ServiceUnavailableException with 503,
   * what Firehose answers when a stream's throughput quota is exceeded.
   */
  throttleNext(
    count: number,
    type:
      | "ServiceUnavailableException"
      | "ThrottlingException"
      | "LimitExceededException" = "ServiceUnavailableException",
    operation = "PutRecordBatch",
  ): void {
    const status = type === "ServiceUnavailableException" ? 503 : 400;
    const message = type === "ServiceUnavailableException" ? "Slow down." : "Rate exceeded";
    this.schedule(operation, count, { kind: "error", status, type, message });
  }

  /** The next `count` calls answer a bare server error whose body is not JSON, as load balancers do. */
  failNext(count: number, status: 500 | 502 | 504 = 500, operation = "PutRecordBatch"): void {
    this.schedule(operation, count, {
      kind: "error",
      status,
      type: "",
      message: "",
      rawBody: `<html><body>${status} Server Error</body></html>`,
    });
  }

  /** The next `count` calls answer an arbitrary service error. */
  errorNext(
    count: number,
    type: string,
    message: string,
    options: { status?: number; typeIn?: "body" | "header" | "both"; operation?: string } = {},
  ): void {
    this.schedule(options.operation ?? "PutRecordBatch", count, {
      kind: "error",
      status: options.status ?? 400,
      type,
      message,
      typeIn: options.typeIn ?? "both",
    });
  }

  /**
   * The next `count` calls lose their connection: `before` handling (nothing stored) or `after`
   * (stored, but the client never hears so), as a dropped socket does.
   */
  dropNext(count: number, when: "before" | "after" = "before", operation = "PutRecordBatch"): void {
    this.schedule(operation, count, { kind: "drop", when });
  }

  /** The next call is answered 200 with `body` (JSON-encoded unless a string) and stores nothing. */
  respondNext(body: unknown, operation = "PutRecordBatch"): void {
    this.schedule(operation, 1, {
      kind: "respond",
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  }

  /** Holds every PutRecordBatch call (after it is counted in flight) until `release` is called. */
  hold(): { release(): void } {
    let release!: () => void;
    this.gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    return {
      release: () => {
        this.gate = undefined;
        release();
      },
    };
  }

  private schedule(operation: string, count: number, fault: Fault): void {
    if (count > 0) this.faults.push({ operation, remaining: count, fault });
  }

  private takeFault(operation: string): Fault | undefined {
    const index = this.faults.findIndex((f) => f.operation === operation);
    if (index < 0) return undefined;
    const scheduled = this.faults[index]!;
    scheduled.remaining--;
    if (scheduled.remaining <= 0) this.faults.splice(index, 1);
    return scheduled.fault;
  }

  // ---- accessors for assertions ----------------------------------------------------------

  /** The stored records of a stream (default `logs`), in arrival order. */
  records(stream = "logs"): Buffer[] {
    return (this.streams.get(stream) ?? []).map((r) => r.data);
  }

  /** Every stored record split back into its newline-delimited events, each parsed as JSON. */
  events(stream = "logs"): Array<Record<string, unknown>> {
    return this.records(stream).flatMap((data) => splitLines(data).map((line) => JSON.parse(line)));
  }

  /** The `id` of every stored event, in arrival order (duplicates kept). */
  eventIds(stream = "logs"): string[] {
    return this.events(stream).map((e) => String(e.id));
  }

  callsOf(operation: string): RecordedCall[] {
    return this.calls.filter((c) => c.operation === operation);
  }

  // ---- protocol ------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { operation, bytes } = await readAwsJsonRequest(req, TARGET_PREFIX);
    const call: RecordedCall = { operation, records: [], bytes: 0, status: 200 };
    const callIndex = this.calls.length;
    this.calls.push(call);
    let counted = false;
    try {
      const body = checkAwsJsonRequest(req, bytes, {
        signed: true,
        notPost: new ServiceError("UnknownOperationException", "POST / only"),
      });
      if (operation !== "PutRecordBatch" && operation !== "PutRecord") {
        throw new ServiceError("UnknownOperationException", `unknown operation ${operation}`);
      }
      const stream = body.DeliveryStreamName;
      if (typeof stream === "string") call.stream = stream;
      const records =
        operation === "PutRecordBatch" ? decodeBatch(body.Records) : [decodeRecord(body.Record, "record")];
      call.records = records;
      call.bytes = records.reduce((sum, r) => sum + r.length, 0);
      validateStream(stream);
      if (operation === "PutRecordBatch" && call.bytes > MAX_REQUEST_BYTES) {
        throw new ServiceError(
          "InvalidArgumentException",
          `Records size exceeds 4 MB limit (${call.bytes} bytes).`,
        );
      }

      const fault = this.takeFault(operation);
      if (fault?.kind === "drop" && fault.when === "before") {
        call.status = "dropped";
        req.socket.destroy();
        return;
      }
      if (fault?.kind === "error") {
        if (fault.rawBody !== undefined) {
          call.status = fault.status;
          res.writeHead(fault.status, { "content-type": "text/html" }).end(fault.rawBody);
          return;
        }
        throw Object.assign(new ServiceError(fault.type, fault.message, fault.status), {
          typeIn: fault.typeIn,
        });
      }
      if (fault?.kind === "respond") {
        res.writeHead(200, { "content-type": "application/x-amz-json-1.1" }).end(fault.body);
        return;
      }

      if (operation === "PutRecordBatch") {
        this.inFlight++;
        counted = true;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        if (this.gate) await this.gate;
      }
      const stored = this.streams.get(stream as string);
      if (!stored) {
        throw new ServiceError(
          "ResourceNotFoundException",
          `Firehose ${String(stream)} under account ${ACCOUNT} not found.`,
        );
      }
      const failing = fault?.kind === "records" ? fault : undefined;
      const responses = records.map((data, index): RecordResponse => {
        if (failing && selects(failing.select, data, index)) {
          return { ErrorCode: failing.code, ErrorMessage: failing.message };
        }
        const recordId = randomBytes(42).toString("base64").replace(/[+/=]/g, "x");
        stored.push({ recordId, data, call: callIndex });
        return { RecordId: recordId };
      });
      if (fault?.kind === "drop") {
        call.status = "dropped";
        req.socket.destroy();
        return;
      }
      if (operation === "PutRecord") {
        const only = responses[0]!;
        if ("ErrorCode" in only) throw new ServiceError(only.ErrorCode, only.ErrorMessage, 503);
        sendAwsJson(res, 200, { RecordId: only.RecordId, Encrypted: false });
        return;
      }
      const failed = responses.filter((r) => "ErrorCode" in r).length;
      call.failedPutCount = failed;
      sendAwsJson(res, 200, { FailedPutCount: failed, Encrypted: false, RequestResponses: responses });
    } catch (error) {
      const e =
        error instanceof ServiceError ? error : new ServiceError("InternalFailure", String(error), 500);
      call.status = e.status;
      call.errorType = e.type;
      const typeIn = (e as ServiceError & { typeIn?: "body" | "header" | "both" }).typeIn ?? "both";
      const body = typeIn === "header" ? { message: e.message } : { __type: e.type, message: e.message };
      const headers: Record<string, string> =
        typeIn === "body"
          ? {}
          : { "x-amzn-errortype": `${e.type}:http://internal.amazon.com/coral/com.amazon.firehose/` };
      sendAwsJson(res, e.status, body, headers);
    } finally {
      if (counted) this.inFlight--;
    }
  }
}

function validateStream(stream: unknown): void {
  if (typeof stream !== "string" || !STREAM_NAME.test(stream)) {
    throw new ServiceError(
      "ValidationException",
      `1 validation error detected: Value '${String(stream)}' at 'deliveryStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`,
    );
  }
}

function decodeBatch(records: unknown): Buffer[] {
  if (!Array.isArray(records)) {
    throw new ServiceError(
      "ValidationException",
      "1 validation error detected: Value null at 'records' failed to satisfy constraint: Member must not be null",
    );
  }
  if (records.length < 1 || records.length > MAX_RECORDS) {
    throw new ServiceError(
      "ValidationException",
      `1 validation error detected: Value '[${records.length} records]' at 'records' failed to satisfy constraint: Member must have length ${records.length < 1 ? "greater than or equal to 1" : `less than or equal to ${MAX_RECORDS}`}`,
    );
  }
  return records.map((record, i) => decodeRecord(record, `records.${i + 1}.member`));
}

function decodeRecord(record: unknown, path: string): Buffer {
  const data = (record as { Data?: unknown } | null)?.Data;
  if (typeof data !== "string") {
    throw new ServiceError(
      "ValidationException",
      `1 validation error detected: Value null at '${path}.data' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (data.length % 4 !== 0 || !BASE64.test(data))
    throw new ServiceError("SerializationException", `${path}.data is not valid base64`);
  const decoded = Buffer.from(data, "base64");
  if (decoded.length > MAX_RECORD_BYTES) {
    throw new ServiceError(
      "ValidationException",
      `1 validation error detected: Value at '${path}.data' failed to satisfy constraint: Member must have length less than or equal to ${MAX_RECORD_BYTES}`,
    );
  }
  return decoded;
}

function selects(select: RecordSelector, data: Buffer, index: number): boolean {
  return typeof select === "function" ? select(data, index) : select.includes(index);
}

/** The newline-delimited lines of a record (a trailing newline ends the last line). */
export function splitLines(data: Buffer): string[] {
  const lines = data.toString("utf8").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}
