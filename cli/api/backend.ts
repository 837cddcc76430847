import type { LogEvent } from "../../core/event/schema.js";

/** A search query as the CLI and the API take it: DQL text plus a time window. */
export interface SearchRequest {
  query: string;
  since?: string | undefined;
  until?: string | undefined;
  limit: number;
}

export interface SqlResult {
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

export interface TailRequest {
  query: string;
  /** Opaque cursor returned by the previous call; absent on the first call. */
  after?: string | undefined;
  limit: number;
}

/**
 * Where `logpipe search`, `sql` and `tail` get their answers: a running stack's API, the data
 * directory opened directly, or (later) OpenSearch and Athena.
 */
export interface QueryBackend {
  search(request: SearchRequest): Promise<LogEvent[]>;
  sql(query: string): Promise<SqlResult>;
  tail(request: TailRequest): Promise<{ events: LogEvent[]; cursor: string }>;
  close(): Promise<void>;
}

/** A query the user got wrong (bad DQL, bad SQL): reported as-is, exit status 1, no stack trace. */
export class QueryInputError extends Error {
  override name = "QueryInputError";
  constructor(
    message: string,
    readonly details?: { column?: number },
  ) {
    super(message);
  }
}
