import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { checkAwsJsonRequest, readAwsJsonRequest, ServiceError, sendAwsJson } from "./aws-json.js";

/**
 * An Athena endpoint for tests that speaks the service's wire protocol (AWS JSON 1.1: `POST /`,
 * `x-amz-target: AmazonAthena.<Operation>`, `content-type: application/x-amz-json-1.1`, errors as
 * HTTP 400 with `{"__type", "Message"}`), so the real SDK client is exercised end to end.
 *
 * Each query runs the service's state machine over GetQueryExecution polls: QUEUED for
 * `pollsQueued` polls, RUNNING for `pollsRunning` polls, then SUCCEEDED, FAILED or CANCELLED as
 * scripted. Results come back in Athena's exact ResultSet shape, the header row first on the
 * first page, paginated by MaxResults/NextToken; NULL is a Datum without VarCharValue.
 */

export interface FakeColumn {
  name: string;
  type: string;
}

export interface FakeResult {
  columns: FakeColumn[];
  /** Values as Athena's strings; null is SQL NULL. */
  rows: (string | null)[][];
  /** DDL statements answer without a header row. */
  statementType?: "DML" | "DDL" | "UTILITY";
}

export type FakeOutcome =
  | ({ kind: "succeed" } & FakeResult)
  | { kind: "fail"; reason: string; errorCategory?: number; errorType?: number; retryable?: boolean }
  | { kind: "cancel"; reason?: string }
  /** Stays RUNNING until stopped. */
  | { kind: "hang" };

export type FakeScript = FakeOutcome | ((sql: string) => FakeOutcome);

export interface FakeQuery {
  id: string;
  sql: string;
  database: string | undefined;
  catalog: string | undefined;
  workgroup: string;
  outputLocation: string | undefined;
  outcome: FakeOutcome;
  polls: number;
  /** Set when StopQueryExecution arrived. */
  stopped: boolean;
  submittedAt: number;
}

export interface RecordedAthenaCall {
  operation: string;
  body: Record<string, unknown>;
  status: number;
  errorType?: string;
}

interface ScheduledFault {
  operation: string;
  remaining: number;
  status: number;
  type: string;
  message: string;
}

const MAX_RESULTS = 1000;
const MAX_QUERY_LENGTH = 262_144;

export class FakeAthena {
  readonly calls: RecordedAthenaCall[] = [];
  readonly queries = new Map<string, FakeQuery>();
  /** Polls a new query answers QUEUED, then RUNNING, before its final state. */
  pollsQueued: number;
  pollsRunning: number;
  private readonly scripts: { match: string | RegExp; script: FakeScript }[] = [];
  private fallback: FakeScript = (sql) => ({
    kind: "fail",
    reason: `line 1:1: no scripted result for ${sql.slice(0, 80)}`,
    errorCategory: 2,
    errorType: 1301,
  });
  private readonly faults: ScheduledFault[] = [];

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
    options: { pollsQueued?: number; pollsRunning?: number },
  ) {
    this.pollsQueued = options.pollsQueued ?? 1;
    this.pollsRunning = options.pollsRunning ?? 1;
  }

  static async start(options: { pollsQueued?: number; pollsRunning?: number } = {}): Promise<FakeAthena> {
    let fake: FakeAthena | undefined;
    const server = createServer((req, res) => {
      fake!.handle(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeAthena(server, `http://127.0.0.1:${port}`, options);
    return fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** What a query whose SQL equals (or matches) `match` does; later scripts win. */
  script(match: string | RegExp, script: FakeScript): void {
    this.scripts.unshift({ match, script });
  }

  /** What every unscripted query does (by default: FAILED as a user error). */
  otherwise(script: FakeScript): void {
    this.fallback = script;
  }

  /** The next `count` calls of `operation` answer an error (e.g. ThrottlingException, 400). */
  failNext(
    operation: string,
    count: number,
    type = "ThrottlingException",
    status = 400,
    message = "Rate exceeded",
  ): void {
    this.faults.push({ operation, remaining: count, status, type, message });
  }

  callsOf(operation: string): RecordedAthenaCall[] {
    return this.calls.filter((c) => c.operation === operation);
  }

  // ---- wire ---------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { operation, bytes } = await readAwsJsonRequest(req, "AmazonAthena.");
    let body: Record<string, unknown> = {};
    const call: RecordedAthenaCall = { operation, body, status: 200 };
    this.calls.push(call);
    try {
      body = checkAwsJsonRequest(req, bytes, {
        signed: false,
        notPost: new ServiceError("UnknownOperationException", "only POST / is served", 404),
      });
      call.body = body;
      const fault = this.faults.find((f) => f.operation === operation && f.remaining > 0);
      if (fault) {
        fault.remaining--;
        throw new ServiceError(fault.type, fault.message, fault.status);
      }
      const answer = this.dispatch(operation, body);
      sendAwsJson(res, 200, answer);
    } catch (error) {
      const e =
        error instanceof ServiceError
          ? error
          : new ServiceError("InternalServerException", String(error), 500);
      call.status = e.status;
      call.errorType = e.type;
      sendAwsJson(res, e.status, { __type: e.type, Message: e.message });
    }
  }

  private dispatch(operation: string, body: Record<string, unknown>): unknown {
    switch (operation) {
      case "StartQueryExecution":
        return this.start(body);
      case "GetQueryExecution":
        return { QueryExecution: this.describe(this.poll(this.query(body))) };
      case "GetQueryResults":
        return this.results(body);
      case "StopQueryExecution": {
        const query = this.query(body);
        query.stopped = true;
        return {};
      }
      default:
        throw new ServiceError("UnknownOperationException", `unknown operation ${operation}`);
    }
  }

  private start(body: Record<string, unknown>): unknown {
    const sql = body.QueryString;
    if (typeof sql !== "string" || sql.length < 1 || sql.length > MAX_QUERY_LENGTH) {
      throw new ServiceError("InvalidRequestException", "QueryString must be 1 to 262144 characters");
    }
    const context = (body.QueryExecutionContext ?? {}) as { Database?: string; Catalog?: string };
    const resultConfig = (body.ResultConfiguration ?? {}) as { OutputLocation?: string };
    const id = randomUUID();
    this.queries.set(id, {
      id,
      sql,
      database: context.Database,
      catalog: context.Catalog,
      workgroup: typeof body.WorkGroup === "string" ? body.WorkGroup : "primary",
      outputLocation: resultConfig.OutputLocation,
      outcome: this.outcomeFor(sql),
      polls: 0,
      stopped: false,
      submittedAt: Date.now(),
    });
    return { QueryExecutionId: id };
  }

  private outcomeFor(sql: string): FakeOutcome {
    const entry = this.scripts.find((s) =>
      typeof s.match === "string" ? s.match === sql : s.match.test(sql),
    );
    const script = entry?.script ?? this.fallback;
    return typeof script === "function" ? script(sql) : script;
  }

  private query(body: Record<string, unknown>): FakeQuery {
    const id = body.QueryExecutionId;
    const query = typeof id === "string" ? this.queries.get(id) : undefined;
    if (!query)
      throw new ServiceError("InvalidRequestException", `QueryExecution ${String(id)} was not found`);
    return query;
  }

  private poll(query: FakeQuery): FakeQuery {
    query.polls++;
    return query;
  }

  /** The state a query is in after the polls it has had. */
  stateOf(query: FakeQuery): "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED" {
    if (query.stopped) return "CANCELLED";
    if (query.polls <= this.pollsQueued) return "QUEUED";
    if (query.polls <= this.pollsQueued + this.pollsRunning || query.outcome.kind === "hang")
      return "RUNNING";
    if (query.outcome.kind === "succeed") return "SUCCEEDED";
    if (query.outcome.kind === "fail") return "FAILED";
    return "CANCELLED";
  }

  private describe(query: FakeQuery): unknown {
    const state = this.stateOf(query);
    const status: Record<string, unknown> = { State: state, SubmissionDateTime: query.submittedAt / 1000 };
    if (state === "FAILED" && query.outcome.kind === "fail") {
      status.StateChangeReason = query.outcome.reason;
      status.AthenaError = {
        ErrorCategory: query.outcome.errorCategory ?? 2,
        ErrorType: query.outcome.errorType ?? 1000,
        Retryable: query.outcome.retryable ?? false,
        ErrorMessage: query.outcome.reason,
      };
    }
    if (state === "CANCELLED") {
      status.StateChangeReason =
        query.outcome.kind === "cancel" && !query.stopped
          ? (query.outcome.reason ?? "Query cancelled")
          : "Query cancelled by user";
    }
    if (state === "SUCCEEDED" || state === "FAILED" || state === "CANCELLED")
      status.CompletionDateTime = Date.now() / 1000;
    return {
      QueryExecutionId: query.id,
      Query: query.sql,
      StatementType: query.outcome.kind === "succeed" ? (query.outcome.statementType ?? "DML") : "DML",
      QueryExecutionContext: {
        ...(query.database ? { Database: query.database } : {}),
        ...(query.catalog ? { Catalog: query.catalog } : {}),
      },
      ResultConfiguration: query.outputLocation ? { OutputLocation: query.outputLocation } : {},
      WorkGroup: query.workgroup,
      Status: status,
    };
  }

  private results(body: Record<string, unknown>): unknown {
    const query = this.query(body);
    const state = this.stateOf(query);
    if (state === "QUEUED" || state === "RUNNING") {
      throw new ServiceError(
        "InvalidRequestException",
        `Query has not yet finished. Current state: ${state}`,
      );
    }
    if (state !== "SUCCEEDED" || query.outcome.kind !== "succeed") {
      throw new ServiceError(
        "InvalidRequestException",
        `Query did not finish successfully. Final query state: ${state}`,
      );
    }
    const max = body.MaxResults === undefined ? MAX_RESULTS : body.MaxResults;
    if (typeof max !== "number" || !Number.isInteger(max) || max < 1 || max > MAX_RESULTS) {
      throw new ServiceError("InvalidRequestException", "MaxResults must be between 1 and 1000");
    }
    let offset = 0;
    if (body.NextToken !== undefined) {
      const decoded = decodeToken(body.NextToken);
      if (!decoded || decoded.id !== query.id)
        throw new ServiceError("InvalidRequestException", "NextToken is invalid");
      offset = decoded.offset;
    }
    const outcome = query.outcome;
    const header = (outcome.statementType ?? "DML") === "DDL" ? [] : [outcome.columns.map((c) => c.name)];
    const all: (string | null)[][] = [...header, ...outcome.rows];
    const page = all.slice(offset, offset + max);
    const next = offset + max < all.length ? encodeToken({ id: query.id, offset: offset + max }) : undefined;
    return {
      UpdateCount: 0,
      ResultSet: {
        Rows: page.map((row) => ({ Data: row.map((v) => (v === null ? {} : { VarCharValue: v })) })),
        ResultSetMetadata: {
          ColumnInfo: outcome.columns.map((c) => ({
            CatalogName: "hive",
            SchemaName: "",
            TableName: "",
            Name: c.name,
            Label: c.name,
            Type: c.type,
            Precision: 0,
            Scale: 0,
            Nullable: "UNKNOWN",
            CaseSensitive: c.type === "varchar",
          })),
        },
      },
      ...(next ? { NextToken: next } : {}),
    };
  }
}

function encodeToken(token: { id: string; offset: number }): string {
  return Buffer.from(JSON.stringify(token)).toString("base64");
}

function decodeToken(token: unknown): { id: string; offset: number } | undefined {
  if (typeof token !== "string") return undefined;
  try {
    const value = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as {
      id?: unknown;
      offset?: unknown;
    };
    if (typeof value.id !== "string" || typeof value.offset !== "number" || value.offset < 0)
      return undefined;
    return { id: value.id, offset: value.offset };
  } catch {
    return undefined;
  }
}
