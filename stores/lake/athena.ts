import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type QueryExecution,
  StartQueryExecutionCommand,
  type StartQueryExecutionCommandInput,
  StopQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { type Clock, type ErrorClass, RetryExhaustedError, retry } from "../../core/retry.js";
import { type AthenaColumn, convertRow, isHeaderRow } from "./athena-results.js";
import { isThrottle, isTransient } from "./classify.js";

/**
 * Runs one SQL statement on Athena and reads its whole result: StartQueryExecution, then
 * GetQueryExecution until the query settles, then GetQueryResults page by page.
 *
 * Waiting is the shared retry loop's job: "still QUEUED or RUNNING" is a retryable condition, so
 * polls back off exponentially without this module ever sleeping itself. The jitter is drawn from
 * the upper half of each backoff window, so the waits keep growing (Athena bills no polls, but
 * throttles busy accounts) while many clients still spread out.
 */

export interface AthenaQueryRequest {
  sql: string;
  database: string;
  workgroup?: string | undefined;
  /** `s3://…` for results; required unless the workgroup sets one. */
  outputLocation?: string | undefined;
  /** Data catalog; Athena's default is `AwsDataCatalog`. */
  catalog?: string | undefined;
}

export interface AthenaQueryOptions {
  /** Aborting stops the query in Athena (StopQueryExecution) before rejecting. */
  signal?: AbortSignal | undefined;
  /** Longest wait for the query to finish; it is stopped and reported as timed out after it. */
  maxWaitMs?: number | undefined;
  clock?: Clock | undefined;
  /** Uniform source in [0, 1) for the poll jitter. */
  random?: (() => number) | undefined;
  /** Rows per GetQueryResults call (Athena allows at most 1000). */
  pageSize?: number | undefined;
  /** Stop reading pages once this many rows are in; `truncated` says so. */
  maxRows?: number | undefined;
}

export interface AthenaQueryResult {
  columns: AthenaColumn[];
  rows: unknown[][];
  queryExecutionId: string;
  /** True when `maxRows` cut the result short. */
  truncated: boolean;
}

export const ATHENA_POLL = {
  initialDelayMs: 250,
  maxDelayMs: 5_000,
  multiplier: 2,
  defaultMaxWaitMs: 15 * 60_000,
  maxPageSize: 1000,
} as const;

export type AthenaQueryErrorCode = "failed" | "cancelled" | "timeout" | "no_id";

/** A query Athena did not complete: failed (with its reason and error category/type), cancelled, or timed out. */
export class AthenaQueryError extends Error {
  override name = "AthenaQueryError";
  readonly code: AthenaQueryErrorCode;
  readonly queryExecutionId: string | undefined;
  /** Athena's final state: FAILED, CANCELLED, or the last state seen before the timeout. */
  readonly state: string | undefined;
  readonly stateChangeReason: string | undefined;
  /** Athena's `AthenaError.ErrorCategory`: 1 system, 2 user, 3 other. */
  readonly errorCategory: number | undefined;
  readonly errorType: number | undefined;
  readonly retryable: boolean;

  constructor(
    code: AthenaQueryErrorCode,
    message: string,
    details: {
      queryExecutionId?: string | undefined;
      state?: string | undefined;
      stateChangeReason?: string | undefined;
      errorCategory?: number | undefined;
      errorType?: number | undefined;
      retryable?: boolean | undefined;
      cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.queryExecutionId = details.queryExecutionId;
    this.state = details.state;
    this.stateChangeReason = details.stateChangeReason;
    this.errorCategory = details.errorCategory;
    this.errorType = details.errorType;
    this.retryable = details.retryable ?? false;
  }
}

const CATEGORY_NAMES: Record<number, string> = { 1: "system", 2: "user", 3: "other" };

/** Thrown inside the poll loop while the query is not done; the loop retries it. */
class QueryStillRunning extends Error {
  override name = "QueryStillRunning";
  constructor(readonly state: string) {
    super(`query is ${state}`);
  }
}

function classifyPoll(error: unknown): ErrorClass {
  if (error instanceof QueryStillRunning) return { kind: "retryable" };
  if (error instanceof AthenaQueryError) return { kind: "permanent" };
  if (isThrottle(error)) return { kind: "throttled" };
  return isTransient(error) ? { kind: "retryable" } : { kind: "permanent" };
}

function failureFrom(execution: QueryExecution, id: string): AthenaQueryError {
  const status = execution.Status ?? {};
  const reason = status.StateChangeReason ?? status.AthenaError?.ErrorMessage ?? "no reason given";
  const category = status.AthenaError?.ErrorCategory;
  const type = status.AthenaError?.ErrorType;
  const detail = [
    category === undefined
      ? undefined
      : `error category ${category} (${CATEGORY_NAMES[category] ?? "unknown"})`,
    type === undefined ? undefined : `error type ${type}`,
  ]
    .filter((x) => x !== undefined)
    .join(", ");
  if (status.State === "CANCELLED") {
    return new AthenaQueryError(
      "cancelled",
      `Athena query ${id} was cancelled${status.StateChangeReason ? `: ${status.StateChangeReason}` : ""}`,
      {
        queryExecutionId: id,
        state: "CANCELLED",
        stateChangeReason: status.StateChangeReason,
      },
    );
  }
  return new AthenaQueryError(
    "failed",
    `Athena query ${id} failed: ${reason}${detail ? ` [${detail}]` : ""}`,
    {
      queryExecutionId: id,
      state: "FAILED",
      stateChangeReason: status.StateChangeReason,
      errorCategory: category,
      errorType: type,
      retryable: status.AthenaError?.Retryable ?? false,
    },
  );
}

export async function runAthenaQuery(
  client: AthenaClient,
  request: AthenaQueryRequest,
  options: AthenaQueryOptions = {},
): Promise<AthenaQueryResult> {
  const signal = options.signal;
  signal?.throwIfAborted();

  const input: StartQueryExecutionCommandInput = {
    QueryString: request.sql,
    QueryExecutionContext: {
      Database: request.database,
      ...(request.catalog ? { Catalog: request.catalog } : {}),
    },
    ...(request.workgroup ? { WorkGroup: request.workgroup } : {}),
    ...(request.outputLocation ? { ResultConfiguration: { OutputLocation: request.outputLocation } } : {}),
  };
  // Not aborted mid-flight: a start whose answer is lost could leave a query running unseen,
  // while with its id in hand an abort can always stop it.
  const started = await client.send(new StartQueryExecutionCommand(input));
  const id = started.QueryExecutionId;
  if (!id) throw new AthenaQueryError("no_id", "Athena StartQueryExecution returned no QueryExecutionId");

  const stop = async () => {
    try {
      await client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }), {
        abortSignal: AbortSignal.timeout(10_000),
      });
    } catch {
      // Best effort: the query may have finished meanwhile, and the caller's error matters more.
    }
  };

  try {
    if (signal?.aborted) throw signal.reason;
    let lastState = "QUEUED";
    try {
      await retry(
        async (_n, attemptSignal) => {
          const answer = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }), {
            abortSignal: attemptSignal,
          });
          const execution = answer.QueryExecution ?? {};
          const state = execution.Status?.State ?? "QUEUED";
          lastState = state;
          if (state === "SUCCEEDED") return;
          if (state === "FAILED" || state === "CANCELLED") throw failureFrom(execution, id);
          throw new QueryStillRunning(state);
        },
        {
          classify: classifyPoll,
          maxAttempts: Number.POSITIVE_INFINITY,
          maxElapsedMs: options.maxWaitMs ?? ATHENA_POLL.defaultMaxWaitMs,
          initialDelayMs: ATHENA_POLL.initialDelayMs,
          maxDelayMs: ATHENA_POLL.maxDelayMs,
          multiplier: ATHENA_POLL.multiplier,
          random: upperHalf(options.random ?? Math.random),
          ...(options.clock ? { clock: options.clock } : {}),
          ...(signal ? { signal } : {}),
        },
      );
    } catch (error) {
      if (error instanceof RetryExhaustedError && error.cause instanceof QueryStillRunning) {
        await stop();
        throw new AthenaQueryError(
          "timeout",
          `Athena query ${id} still ${lastState} after ${Math.round(error.elapsedMs / 1000)} s; it was stopped`,
          { queryExecutionId: id, state: lastState, retryable: true, cause: error },
        );
      }
      throw error;
    }
    return await readResults(client, id, options);
  } catch (error) {
    if (signal?.aborted) {
      await stop();
      throw signal.reason;
    }
    if (!(error instanceof AthenaQueryError)) await stop();
    throw error;
  }
}

/** Draws from [0.5, 1): each wait lies in the upper half of its backoff window. */
function upperHalf(random: () => number): () => number {
  return () => 0.5 + random() / 2;
}

async function readResults(
  client: AthenaClient,
  id: string,
  options: AthenaQueryOptions,
): Promise<AthenaQueryResult> {
  const pageSize = Math.min(
    ATHENA_POLL.maxPageSize,
    Math.max(1, options.pageSize ?? ATHENA_POLL.maxPageSize),
  );
  const maxRows = options.maxRows ?? Number.POSITIVE_INFINITY;
  let columns: AthenaColumn[] = [];
  const rows: unknown[][] = [];
  let token: string | undefined;
  let first = true;
  let truncated = false;
  do {
    const page = await client.send(
      new GetQueryResultsCommand({
        QueryExecutionId: id,
        MaxResults: pageSize,
        ...(token ? { NextToken: token } : {}),
      }),
      options.signal ? { abortSignal: options.signal } : {},
    );
    const pageRows = page.ResultSet?.Rows ?? [];
    let start = 0;
    if (first) {
      columns = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => ({
        name: c.Name ?? c.Label ?? "",
        type: c.Type ?? "varchar",
      }));
      if (isHeaderRow(pageRows[0], columns)) start = 1;
      first = false;
    }
    for (let i = start; i < pageRows.length; i++) {
      if (rows.length >= maxRows) {
        truncated = true;
        break;
      }
      rows.push(convertRow(pageRows[i]!, columns));
    }
    token = page.NextToken;
    if (token && rows.length >= maxRows) truncated = true;
  } while (token && !truncated);
  return { columns, rows, queryExecutionId: id, truncated };
}
