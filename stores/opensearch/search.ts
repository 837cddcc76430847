import type { Client } from "@opensearch-project/opensearch";
import { type LogEvent, LogEventSchema } from "../../core/event/schema.js";
import { compileToOpenSearch, type OpenSearchQuery } from "../../core/query/index.js";
import { classifyRequestError } from "./classify.js";
import { OpenSearchApi } from "./client.js";
import { indexPatternFor } from "./naming.js";

/** OpenSearch's default `index.max_result_window`: one page never asks for more. */
export const MAX_PAGE_SIZE = 10_000;

export interface SearchOptions {
  /** DQL, e.g. `level:error and service:checkout`; empty matches everything. */
  query: string;
  /** Oldest event time, inclusive. */
  since?: Date | number | undefined;
  /** Newest event time, exclusive. */
  until?: Date | number | undefined;
  /** At most this many events. */
  limit: number;
  /** Index names start with it; default `logs-`. */
  indexPrefix?: string;
  /** Hits per request, at most (and by default) {@link MAX_PAGE_SIZE}. */
  pageSize?: number;
  signal?: AbortSignal;
  /** Told how many hits were not LogEvents and left out. */
  onSkipped?: (count: number) => void;
}

/** A search OpenSearch refused or could not answer. */
export class OpenSearchSearchError extends Error {
  override name = "OpenSearchSearchError";
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function epochMs(value: Date | number): number {
  return value instanceof Date ? value.getTime() : value;
}

/** `@timestamp` window as a range clause, or undefined when unbounded. */
function timeRange(
  since: SearchOptions["since"],
  until: SearchOptions["until"],
): OpenSearchQuery | undefined {
  const bounds: Record<string, string> = {};
  if (since !== undefined) bounds["gte"] = new Date(epochMs(since)).toISOString();
  if (until !== undefined) bounds["lt"] = new Date(epochMs(until)).toISOString();
  return Object.keys(bounds).length > 0 ? { range: { "@timestamp": bounds } } : undefined;
}

/**
 * The search body: the DQL compiled by core/query, AND the time window, newest first. `id`
 * breaks ties between events of the same millisecond, so pages never overlap or skip.
 * Throws the query's `QueryError` for bad DQL.
 */
export function buildSearchBody(
  options: Pick<SearchOptions, "query" | "since" | "until">,
  size: number,
  searchAfter?: unknown[],
): Record<string, unknown> {
  const filter: OpenSearchQuery[] = [compileToOpenSearch(options.query)];
  const range = timeRange(options.since, options.until);
  if (range) filter.push(range);
  return {
    query: { bool: { filter } },
    // unmapped_type: another index under the pattern without these fields must not fail the search.
    sort: [
      { "@timestamp": { order: "desc", unmapped_type: "date" } },
      { id: { order: "desc", unmapped_type: "keyword" } },
    ],
    size,
    track_total_hits: false,
    ...(searchAfter ? { search_after: searchAfter } : {}),
  };
}

export interface SearchHit {
  source: unknown;
  sort: unknown[] | undefined;
}

/** The hits of a search response; an unexpected body is an error, not an empty answer. */
export function readHits(body: unknown): SearchHit[] {
  const hits = (body as { hits?: { hits?: unknown } } | null)?.hits?.hits;
  if (!Array.isArray(hits))
    throw new OpenSearchSearchError("bad_response", "the search response has no hits");
  return hits.map((hit) => {
    const h = (typeof hit === "object" && hit !== null ? hit : {}) as { _source?: unknown; sort?: unknown };
    return { source: h._source, sort: Array.isArray(h.sort) ? h.sort : undefined };
  });
}

/**
 * Hits back to LogEvents. Documents that are not LogEvents (something else writing into the
 * pattern) are skipped and counted, not returned half-typed.
 */
export function hitsToEvents(hits: readonly SearchHit[]): { events: LogEvent[]; skipped: number } {
  const events: LogEvent[] = [];
  let skipped = 0;
  for (const hit of hits) {
    const parsed = LogEventSchema.safeParse(hit.source);
    if (parsed.success) events.push(parsed.data);
    else skipped++;
  }
  return { events, skipped };
}

/**
 * Searches `<prefix>*` with DQL, newest first: up to `limit` events, paging with
 * `search_after` past the 10,000-hit window.
 */
export async function searchOpenSearch(client: Client, options: SearchOptions): Promise<LogEvent[]> {
  const api = new OpenSearchApi(client);
  const index = indexPatternFor(options.indexPrefix ?? "logs-");
  const events: LogEvent[] = [];
  let after: unknown[] | undefined;
  const limit = Math.max(0, Math.floor(options.limit));
  const pageSize = Math.max(1, Math.min(MAX_PAGE_SIZE, Math.floor(options.pageSize ?? MAX_PAGE_SIZE)));
  // Compile before any I/O so bad DQL fails as a query error.
  buildSearchBody(options, 0);
  while (events.length < limit) {
    const size = Math.min(pageSize, limit - events.length);
    let body: unknown;
    try {
      body = await api.search(index, buildSearchBody(options, size, after), options.signal);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const failure = classifyRequestError(error);
      // Indices created before the template was installed map `id` as text, which cannot sort.
      const hint = /not optimised for sorting|fielddata/i.test(failure.message)
        ? " (the indices lack logpipe's mapping: run `logpipe opensearch setup` before writing)"
        : "";
      throw new OpenSearchSearchError(
        failure.kind === "permanent" || failure.kind === "transient" ? failure.code : failure.kind,
        `OpenSearch search failed: ${failure.message}${hint}`,
        { cause: error },
      );
    }
    const hits = readHits(body);
    const page = hitsToEvents(hits);
    events.push(...page.events);
    if (page.skipped > 0) options.onSkipped?.(page.skipped);
    const lastSort = hits.at(-1)?.sort;
    if (hits.length < size || !lastSort) break;
    after = lastSort;
  }
  return events.slice(0, limit);
}
