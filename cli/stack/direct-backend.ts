import { parseTimeBound } from "../../core/duration.js";
import type { LogEvent } from "../../core/event/schema.js";
import { compileToSql, QueryError, QuerySyntaxError } from "../../core/query/index.js";
import { LocalQueryError, type LocalStore } from "../../stores/local/index.js";
import {
  type QueryBackend,
  QueryInputError,
  type SearchRequest,
  type SqlResult,
  type TailRequest,
} from "../api/backend.js";

/** Turns a user's DQL into the store's WHERE clause, or a `QueryInputError` pointing at the column. */
function compile(query: string) {
  try {
    return query.trim() ? compileToSql(query) : undefined;
  } catch (error) {
    if (error instanceof QuerySyntaxError) {
      throw new QueryInputError(`${error.message}\n${error.pointer()}`, { column: error.column });
    }
    if (error instanceof QueryError) throw new QueryInputError(error.message);
    throw error;
  }
}

function timeBound(text: string | undefined, name: string): Date | undefined {
  if (text === undefined) return undefined;
  try {
    return parseTimeBound(text);
  } catch (error) {
    throw new QueryInputError(`--${name}: ${(error as Error).message}`);
  }
}

async function asInputError<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof LocalQueryError) throw new QueryInputError(error.message);
    throw error;
  }
}

/** Answers queries from a `LocalStore` in this process (the stack's own, or a data dir opened read-only). */
export class DirectQueryBackend implements QueryBackend {
  constructor(
    private readonly store: LocalStore,
    private readonly ownsStore = false,
  ) {}

  search(request: SearchRequest): Promise<LogEvent[]> {
    const where = compile(request.query);
    return asInputError(
      this.store.search(where, {
        since: timeBound(request.since, "since"),
        until: timeBound(request.until, "until"),
        limit: request.limit,
      }),
    );
  }

  async sql(query: string): Promise<SqlResult> {
    const result = await asInputError(this.store.sql(query));
    return { columns: result.columns, rows: result.rows };
  }

  tail(request: TailRequest): Promise<{ events: LogEvent[]; cursor: string }> {
    return asInputError(
      this.store.tailAfter(request.after, { where: compile(request.query), limit: request.limit }),
    );
  }

  async close(): Promise<void> {
    if (this.ownsStore) await this.store.shutdown();
  }
}
