import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { checkAwsJsonRequest, readAwsJsonRequest, ServiceError, sendAwsJson } from "./aws-json.js";

/**
 * A CloudWatch Logs endpoint for tests that speaks the service's real wire protocol (AWS JSON 1.1:
 * `POST /`, `x-amz-target: Logs_20140328.<Operation>`, JSON bodies, errors as `{"__type", "message"}`
 * with HTTP 400, or 5xx), so the real SDK client is exercised end to end. SDK v3 reads a JSON 1.1
 * error's type from the body's `__type` first (then `code`, then the `x-amzn-errortype` header),
 * dropping any `namespace#` prefix, so `__type` alone is enough. PutLogEvents validates
 * requests like the service: a request that breaks a batch rule fails whole with
 * InvalidParameterException, events outside the time window are reported in
 * `rejectedLogEventsInfo` and not stored. Faults are scripted per operation.
 */

// Restated from the service documentation rather than imported from core/limits.ts, so the fake
// is an independent check on the constants the output uses.
export const MAX_EVENTS = 10_000;
export const MAX_REQUEST_BYTES = 1_048_576;
export const EVENT_OVERHEAD = 26;
export const MAX_SPAN_MS = 24 * 3_600_000;
export const MAX_AGE_MS = 14 * 86_400_000;
export const MAX_FUTURE_MS = 2 * 3_600_000;
const RETENTION_DAYS = new Set([
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
]);

export interface StoredLogEvent {
  timestamp: number;
  message: string;
  ingestionTime: number;
}

export interface FakeLogGroup {
  name: string;
  retentionInDays?: number;
  tags: Record<string, string>;
  streams: Map<string, StoredLogEvent[]>;
}

export interface RecordedCall {
  operation: string;
  body: Record<string, unknown>;
  /** HTTP status answered, or `dropped` when the connection was destroyed. */
  status: number | "dropped";
  errorType?: string;
}

export interface RejectedLogEventsInfo {
  tooNewLogEventStartIndex?: number;
  tooOldLogEventEndIndex?: number;
  expiredLogEventEndIndex?: number;
}

type Fault =
  | { kind: "error"; status: number; type: string; message: string; rawBody?: string }
  | { kind: "drop"; when: "before" | "after" }
  | { kind: "reject"; info: RejectedLogEventsInfo };

interface ScheduledFault {
  operation: string | undefined;
  remaining: number;
  fault: Fault;
}

const GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const STREAM_NAME = /^[^:*]{1,512}$/;

export class FakeCloudWatchLogs {
  readonly groups = new Map<string, FakeLogGroup>();
  readonly calls: RecordedCall[] = [];
  /** The service's clock; tests move it to make events too old or too new server-side. */
  now: () => number;
  private readonly faults: ScheduledFault[] = [];
  private inFlight = 0;
  /** Highest number of PutLogEvents requests being handled at once. */
  maxConcurrentPuts = 0;
  /** Extra time each PutLogEvents takes, so tests can observe concurrency. */
  putDelayMs = 0;

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
    now: () => number,
  ) {
    this.now = now;
  }

  static async start(options: { now?: () => number } = {}): Promise<FakeCloudWatchLogs> {
    let fake: FakeCloudWatchLogs | undefined;
    const server = createServer((req, res) => {
      // A client that vanishes mid-body is the client's problem, never an unhandled rejection.
      fake!.handle(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeCloudWatchLogs(server, `http://127.0.0.1:${port}`, options.now ?? Date.now);
    return fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- scripted faults -------------------------------------------------------------------

  /** The next `count` calls (of `operation`, default PutLogEvents) answer ThrottlingException. */
  throttleNext(count: number, operation: string | undefined = "PutLogEvents"): void {
    this.schedule(operation, count, {
      kind: "error",
      status: 400,
      type: "ThrottlingException",
      message: "Rate exceeded",
    });
  }

  /** The next `count` calls answer a server error: 503 ServiceUnavailableException or a bare 500. */
  failNext(
    count: number,
    status: 500 | 502 | 503 = 503,
    operation: string | undefined = "PutLogEvents",
  ): void {
    if (status === 503) {
      this.schedule(operation, count, {
        kind: "error",
        status,
        type: "ServiceUnavailableException",
        message: "The service cannot complete the request.",
      });
    } else {
      // Load balancers answer 5xx with a body that is not JSON at all.
      this.schedule(operation, count, {
        kind: "error",
        status,
        type: "",
        message: "",
        rawBody: `<html><body>${status} Server Error</body></html>`,
      });
    }
  }

  /** The next `count` calls answer an arbitrary service error. */
  errorNext(
    count: number,
    type: string,
    message: string,
    operation: string | undefined = "PutLogEvents",
  ): void {
    this.schedule(operation, count, { kind: "error", status: 400, type, message });
  }

  /**
   * The next `count` calls lose their connection: `before` handling (nothing stored) or `after`
   * (stored, but the client never hears so), as a dropped socket does.
   */
  dropNext(
    count: number,
    when: "before" | "after" = "before",
    operation: string | undefined = "PutLogEvents",
  ): void {
    this.schedule(operation, count, { kind: "drop", when });
  }

  /** The next PutLogEvents reports (and does not store) these events, whatever their time. */
  rejectNext(info: RejectedLogEventsInfo): void {
    this.schedule("PutLogEvents", 1, { kind: "reject", info });
  }

  private schedule(operation: string | undefined, count: number, fault: Fault): void {
    if (count > 0) this.faults.push({ operation, remaining: count, fault });
  }

  private takeFault(operation: string): Fault | undefined {
    const index = this.faults.findIndex((f) => f.operation === undefined || f.operation === operation);
    if (index < 0) return undefined;
    const scheduled = this.faults[index]!;
    scheduled.remaining--;
    if (scheduled.remaining <= 0) this.faults.splice(index, 1);
    return scheduled.fault;
  }

  // ---- accessors for assertions ----------------------------------------------------------

  /** The events of one stream, in stored order (like GetLogEvents from the head). */
  getLogEvents(group: string, stream: string): StoredLogEvent[] {
    return [...(this.groups.get(group)?.streams.get(stream) ?? [])];
  }

  /** Every stored event of every stream, messages parsed as JSON. */
  allMessages(): Array<{ group: string; stream: string; timestamp: number; event: Record<string, unknown> }> {
    const out: Array<{ group: string; stream: string; timestamp: number; event: Record<string, unknown> }> =
      [];
    for (const group of this.groups.values()) {
      for (const [stream, events] of group.streams) {
        for (const e of events)
          out.push({ group: group.name, stream, timestamp: e.timestamp, event: JSON.parse(e.message) });
      }
    }
    return out;
  }

  callsOf(operation: string): RecordedCall[] {
    return this.calls.filter((c) => c.operation === operation);
  }

  deleteLogGroup(name: string): void {
    this.groups.delete(name);
  }

  deleteLogStream(group: string, stream: string): void {
    this.groups.get(group)?.streams.delete(stream);
  }

  /** Creates a group directly, as if someone made it beforehand. */
  addLogGroup(name: string, retentionInDays?: number): FakeLogGroup {
    const group: FakeLogGroup = { name, tags: {}, streams: new Map() };
    if (retentionInDays !== undefined) group.retentionInDays = retentionInDays;
    this.groups.set(name, group);
    return group;
  }

  // ---- protocol ------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { operation, bytes } = await readAwsJsonRequest(req, "Logs_20140328.");
    let body: Record<string, unknown> = {};
    const call: RecordedCall = { operation, body, status: 200 };
    this.calls.push(call);
    try {
      body = checkAwsJsonRequest(req, bytes, {
        signed: true,
        notPost: new ServiceError("UnknownOperationException", "POST / only"),
      });
      call.body = body;
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
        throw new ServiceError(fault.type, fault.message, fault.status);
      }
      const result = await this.dispatch(operation, body, fault?.kind === "reject" ? fault.info : undefined);
      if (fault?.kind === "drop") {
        call.status = "dropped";
        req.socket.destroy();
        return;
      }
      sendAwsJson(res, 200, result);
    } catch (error) {
      const e =
        error instanceof ServiceError ? error : new ServiceError("InternalFailure", String(error), 500);
      call.status = e.status;
      call.errorType = e.type;
      sendAwsJson(res, e.status, { __type: e.type, message: e.message });
    }
  }

  private async dispatch(
    operation: string,
    body: Record<string, unknown>,
    reject: RejectedLogEventsInfo | undefined,
  ): Promise<unknown> {
    switch (operation) {
      case "CreateLogGroup":
        return this.createLogGroup(body);
      case "CreateLogStream":
        return this.createLogStream(body);
      case "PutRetentionPolicy":
        return this.putRetentionPolicy(body);
      case "PutLogEvents":
        this.inFlight++;
        this.maxConcurrentPuts = Math.max(this.maxConcurrentPuts, this.inFlight);
        try {
          if (this.putDelayMs > 0) await new Promise((r) => setTimeout(r, this.putDelayMs));
          return this.putLogEvents(body, reject);
        } finally {
          this.inFlight--;
        }
      case "DescribeLogStreams":
        return this.describeLogStreams(body);
      case "GetLogEvents":
        return this.getLogEventsCall(body);
      default:
        throw new ServiceError("UnknownOperationException", `unknown operation ${operation}`);
    }
  }

  private group(name: unknown): FakeLogGroup {
    const group = typeof name === "string" ? this.groups.get(name) : undefined;
    if (!group)
      throw new ServiceError("ResourceNotFoundException", "The specified log group does not exist.");
    return group;
  }

  private createLogGroup(body: Record<string, unknown>): unknown {
    const name = body.logGroupName;
    if (typeof name !== "string" || !GROUP_NAME.test(name) || name.toLowerCase().startsWith("aws/")) {
      throw new ServiceError(
        "InvalidParameterException",
        `1 validation error detected: Value '${String(name)}' at 'logGroupName' failed to satisfy constraint`,
      );
    }
    if (this.groups.has(name))
      throw new ServiceError("ResourceAlreadyExistsException", "The specified log group already exists");
    const tags = (body.tags ?? {}) as Record<string, string>;
    if (Object.keys(tags).length > 50) throw new ServiceError("InvalidParameterException", "too many tags");
    this.groups.set(name, { name, tags: { ...tags }, streams: new Map() });
    return {};
  }

  private createLogStream(body: Record<string, unknown>): unknown {
    const group = this.group(body.logGroupName);
    const name = body.logStreamName;
    if (typeof name !== "string" || !STREAM_NAME.test(name)) {
      throw new ServiceError(
        "InvalidParameterException",
        `1 validation error detected: Value '${String(name)}' at 'logStreamName' failed to satisfy constraint`,
      );
    }
    if (group.streams.has(name))
      throw new ServiceError("ResourceAlreadyExistsException", "The specified log stream already exists");
    group.streams.set(name, []);
    return {};
  }

  private putRetentionPolicy(body: Record<string, unknown>): unknown {
    const group = this.group(body.logGroupName);
    const days = body.retentionInDays;
    if (typeof days !== "number" || !RETENTION_DAYS.has(days)) {
      throw new ServiceError(
        "InvalidParameterException",
        `1 validation error detected: Value '${String(days)}' at 'retentionInDays' failed to satisfy constraint`,
      );
    }
    group.retentionInDays = days;
    return {};
  }

  private putLogEvents(body: Record<string, unknown>, reject: RejectedLogEventsInfo | undefined): unknown {
    const group = this.group(body.logGroupName);
    const stream = group.streams.get(String(body.logStreamName));
    if (!stream)
      throw new ServiceError("ResourceNotFoundException", "The specified log stream does not exist.");
    const events = body.logEvents;
    if (!Array.isArray(events) || events.length === 0 || events.length > MAX_EVENTS) {
      throw new ServiceError("InvalidParameterException", `logEvents must hold 1 to ${MAX_EVENTS} events`);
    }
    let bytes = 0;
    let previous = Number.NEGATIVE_INFINITY;
    for (const e of events as Array<{ timestamp?: unknown; message?: unknown }>) {
      if (typeof e.timestamp !== "number" || typeof e.message !== "string" || e.message.length === 0) {
        throw new ServiceError(
          "InvalidParameterException",
          "each log event needs a timestamp and a non-empty message",
        );
      }
      const size = Buffer.byteLength(e.message, "utf8") + EVENT_OVERHEAD;
      if (size > MAX_REQUEST_BYTES)
        throw new ServiceError("InvalidParameterException", "Log event too large");
      bytes += size;
      if (e.timestamp < previous) {
        throw new ServiceError(
          "InvalidParameterException",
          "Log events in a single PutLogEvents request must be in chronological order.",
        );
      }
      previous = e.timestamp;
    }
    if (bytes > MAX_REQUEST_BYTES) {
      throw new ServiceError(
        "InvalidParameterException",
        `Upload too large: ${bytes} bytes exceeds limit of ${MAX_REQUEST_BYTES}`,
      );
    }
    const typed = events as Array<{ timestamp: number; message: string }>;
    if (typed[typed.length - 1]!.timestamp - typed[0]!.timestamp > MAX_SPAN_MS) {
      throw new ServiceError(
        "InvalidParameterException",
        "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.",
      );
    }
    const now = this.now();
    const info: RejectedLogEventsInfo = reject ? { ...reject } : {};
    if (!reject) {
      // Events are sorted, so each kind of rejection is a prefix or a suffix of the request.
      const tooOld = typed.findIndex((e) => e.timestamp >= now - MAX_AGE_MS);
      const tooOldEnd = tooOld < 0 ? typed.length : tooOld;
      if (tooOldEnd > 0) info.tooOldLogEventEndIndex = tooOldEnd;
      if (group.retentionInDays !== undefined) {
        const horizon = now - group.retentionInDays * 86_400_000;
        const fresh = typed.findIndex((e) => e.timestamp >= horizon);
        const expiredEnd = fresh < 0 ? typed.length : fresh;
        if (expiredEnd > tooOldEnd) info.expiredLogEventEndIndex = expiredEnd;
      }
      const tooNew = typed.findIndex((e) => e.timestamp > now + MAX_FUTURE_MS);
      if (tooNew >= 0) info.tooNewLogEventStartIndex = tooNew;
    }
    const skipBefore = Math.max(info.tooOldLogEventEndIndex ?? 0, info.expiredLogEventEndIndex ?? 0);
    const skipFrom = info.tooNewLogEventStartIndex ?? typed.length;
    for (let i = skipBefore; i < skipFrom; i++) {
      stream.push({ timestamp: typed[i]!.timestamp, message: typed[i]!.message, ingestionTime: now });
    }
    const response: Record<string, unknown> = { nextSequenceToken: randomUUID().replace(/-/g, "") };
    if (Object.keys(info).length > 0) response.rejectedLogEventsInfo = info;
    return response;
  }

  private describeLogStreams(body: Record<string, unknown>): unknown {
    const group = this.group(body.logGroupName);
    const prefix = typeof body.logStreamNamePrefix === "string" ? body.logStreamNamePrefix : "";
    return {
      logStreams: [...group.streams.entries()]
        .filter(([name]) => name.startsWith(prefix))
        .map(([name, events]) => ({
          logStreamName: name,
          storedBytes: 0,
          firstEventTimestamp: events[0]?.timestamp,
          lastEventTimestamp: events[events.length - 1]?.timestamp,
        })),
    };
  }

  private getLogEventsCall(body: Record<string, unknown>): unknown {
    const group = this.group(body.logGroupName);
    const stream = group.streams.get(String(body.logStreamName));
    if (!stream)
      throw new ServiceError("ResourceNotFoundException", "The specified log stream does not exist.");
    return { events: stream.map((e) => ({ ...e })) };
  }
}
