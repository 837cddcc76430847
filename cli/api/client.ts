import type { LogEvent } from "../../core/event/schema.js";
import {
  type QueryBackend,
  QueryInputError,
  type SearchRequest,
  type SqlResult,
  type TailRequest,
} from "./backend.js";

/** A `QueryBackend` that asks a running `logpipe up` over its loopback API. */
export class HttpQueryBackend implements QueryBackend {
  constructor(private readonly baseUrl: string) {}

  async search(request: SearchRequest): Promise<LogEvent[]> {
    const body = await this.call("POST", "/search", request);
    return (body as { events: LogEvent[] }).events;
  }

  async sql(query: string): Promise<SqlResult> {
    return (await this.call("POST", "/sql", { query })) as SqlResult;
  }

  async tail(request: TailRequest): Promise<{ events: LogEvent[]; cursor: string }> {
    const params = new URLSearchParams({ query: request.query, limit: String(request.limit) });
    if (request.after) params.set("after", request.after);
    return (await this.call("GET", `/tail?${params}`)) as { events: LogEvent[]; cursor: string };
  }

  async close(): Promise<void> {}

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new Error(`cannot reach logpipe at ${this.baseUrl}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const payload = (await response.json().catch(() => ({}))) as { error?: string; column?: number };
    if (response.status === 400) {
      throw new QueryInputError(
        payload.error ?? "bad request",
        payload.column === undefined ? {} : { column: payload.column },
      );
    }
    if (!response.ok)
      throw new Error(`logpipe at ${this.baseUrl} answered ${response.status}: ${payload.error ?? ""}`);
    return payload;
  }
}
