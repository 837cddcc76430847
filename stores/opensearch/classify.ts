import type { BulkOpType } from "./bulk.js";

/**
 * How each answer of OpenSearch is judged: per bulk item, and for a whole request that failed.
 * Pure; the store acts on the verdicts and the core retry helper owns the waiting.
 */

export type ItemVerdict =
  | { kind: "accepted"; result: "created" | "updated" | "exists" }
  | { kind: "rejected"; code: string; reason: string }
  | { kind: "retry"; reason: string; throttled: boolean; retryAfterMs?: number };

/** Error types the cluster answers when it is overloaded: back off and resend. */
const THROTTLE_TYPES = new Set([
  "es_rejected_execution_exception",
  "opensearch_rejected_execution_exception",
  "rejected_execution_exception",
  "circuit_breaking_exception",
  "too_many_requests",
  "too_many_requests_exception",
]);

/** Mapping refusals: the document can never be indexed as it is. */
const MAPPING_TYPES = new Set([
  "mapper_parsing_exception",
  "document_parsing_exception",
  "strict_dynamic_mapping_exception",
  "mapper_exception",
]);

/**
 * Errors that go away by themselves: a read-only block after a disk watermark lifts once space
 * is freed, a shard that is relocating comes back.
 */
const TRANSIENT_TYPES = new Set([
  "cluster_block_exception",
  "unavailable_shards_exception",
  "node_not_connected_exception",
  "node_closed_exception",
  "no_shard_available_action_exception",
  "process_cluster_event_timeout_exception",
]);

/** Error text comes from the server and may quote a document: keep dead-letter reasons bounded. */
const MAX_REASON_CHARS = 1000;

function bounded(text: string): string {
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}…` : text;
}

interface ErrorBody {
  type?: unknown;
  reason?: unknown;
  caused_by?: unknown;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function errorType(error: unknown): string | undefined {
  const e = asRecord(error) as ErrorBody | undefined;
  return typeof e?.type === "string" ? e.type : undefined;
}

/** `mapper_parsing_exception: failed to parse field [x] (caused by …)`. */
export function describeError(error: unknown): string {
  if (typeof error === "string") return bounded(error);
  const e = asRecord(error) as ErrorBody | undefined;
  if (!e) return "no error detail";
  const type = typeof e.type === "string" ? e.type : "error";
  const reason = typeof e.reason === "string" ? e.reason : "";
  const cause = asRecord(e.caused_by) as ErrorBody | undefined;
  const causeText =
    cause && (typeof cause.type === "string" || typeof cause.reason === "string")
      ? ` (caused by ${String(cause.type ?? "error")}: ${String(cause.reason ?? "")})`
      : "";
  return bounded(`${type}${reason ? `: ${reason}` : ""}${causeText}`);
}

/** `invalid_index_name_exception` → `invalid_index_name`: a short stable code. */
export function codeFromType(type: string): string {
  const code = type
    .replace(/_exception$/, "")
    .replace(/[^A-Za-z0-9_]+/g, "_")
    .toLowerCase();
  return code.length > 0 && code.length <= 64 ? code : "error";
}

/** Judges one entry of a `_bulk` response's `items` for the action that was sent. */
export function classifyBulkItem(op: BulkOpType, raw: unknown): ItemVerdict {
  const entry = asRecord(raw);
  const result = asRecord(entry?.[op] ?? (entry ? Object.values(entry)[0] : undefined));
  const status = typeof result?.["status"] === "number" ? result["status"] : undefined;
  if (!result || status === undefined) {
    return { kind: "retry", reason: "the bulk response has no answer for this item", throttled: false };
  }
  const error = result["error"];
  if (status >= 200 && status < 300 && error === undefined) {
    return { kind: "accepted", result: result["result"] === "updated" ? "updated" : "created" };
  }
  const type = errorType(error) ?? "";
  const reason = describeError(error ?? `HTTP ${status}`);
  if (status === 409 && type === "version_conflict_engine_exception" && op === "create") {
    // The document is already there: a resend of something written before.
    return { kind: "accepted", result: "exists" };
  }
  if (status === 429 || THROTTLE_TYPES.has(type)) return { kind: "retry", reason, throttled: true };
  if (status >= 500 || TRANSIENT_TYPES.has(type)) return { kind: "retry", reason, throttled: false };
  if (MAPPING_TYPES.has(type)) return { kind: "rejected", code: "mapping_error", reason };
  if (type === "illegal_argument_exception" && /limit of total fields/i.test(reason)) {
    return { kind: "rejected", code: "field_limit", reason };
  }
  return { kind: "rejected", code: type ? codeFromType(type) : `http_${status}`, reason };
}

/**
 * Verdicts for the items of one `_bulk` request from its response body, by position (OpenSearch
 * answers items in request order). A body that is not a bulk response leaves every item to retry.
 */
export function classifyBulkResponse(op: BulkOpType, count: number, body: unknown): ItemVerdict[] {
  const items = asRecord(body)?.["items"];
  if (!Array.isArray(items)) {
    const retry: ItemVerdict = { kind: "retry", reason: "the bulk response has no items", throttled: false };
    return Array.from({ length: count }, () => retry);
  }
  return Array.from({ length: count }, (_, i) => classifyBulkItem(op, items[i]));
}

/** Why a whole request failed. */
export type RequestFailure =
  | { kind: "too_large"; message: string }
  | { kind: "throttled"; message: string; retryAfterMs?: number }
  /** Worth another try: 5xx, a dropped connection, a timeout, an unreadable answer. */
  | { kind: "transient"; code: string; message: string }
  | { kind: "auth"; message: string }
  | { kind: "permanent"; code: string; message: string };

interface ClientErrorShape {
  name?: unknown;
  message?: unknown;
  statusCode?: unknown;
  meta?: { statusCode?: unknown; headers?: unknown; body?: unknown };
}

/** `Retry-After` is seconds (or an HTTP date); anything else is ignored. */
function retryAfterMs(headers: unknown, now = Date.now()): number | undefined {
  const value = asRecord(headers)?.["retry-after"];
  if (typeof value !== "string") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

function bodyDetail(body: unknown): { type?: string; text: string } | undefined {
  if (typeof body === "string") return body.trim() ? { text: bounded(body.trim()) } : undefined;
  const record = asRecord(body);
  if (!record) return undefined;
  const error = record["error"];
  if (asRecord(error)) {
    const type = errorType(error);
    return { ...(type ? { type } : {}), text: describeError(error) };
  }
  if (typeof error === "string") return { text: bounded(error) };
  // Amazon OpenSearch Service's own front end answers `{"Message": "..."}`.
  const message = record["Message"] ?? record["message"];
  return typeof message === "string" ? { text: bounded(message) } : undefined;
}

/** Classifies an error thrown by the OpenSearch client for a whole request. */
export function classifyRequestError(error: unknown): RequestFailure {
  const e = (asRecord(error) ?? {}) as ClientErrorShape;
  const name = typeof e.name === "string" ? e.name : "Error";
  const rawStatus = e.meta?.statusCode ?? e.statusCode;
  const status = typeof rawStatus === "number" ? rawStatus : undefined;
  const detail = bodyDetail(e.meta?.body);
  const fallback = typeof e.message === "string" && e.message ? e.message : String(error);
  const message = status !== undefined ? `HTTP ${status}: ${detail?.text ?? fallback}` : fallback;

  if (status === undefined || name !== "ResponseError") {
    // No answer at all (connection refused or reset, timeout, credentials not loaded) or an
    // answer the client could not read: the server did not refuse the request.
    return { kind: "transient", code: codeFromName(name), message };
  }
  if (status === 413) return { kind: "too_large", message };
  if (status === 429 || (detail?.type !== undefined && THROTTLE_TYPES.has(detail.type))) {
    const hint = retryAfterMs(e.meta?.headers);
    return { kind: "throttled", message, ...(hint !== undefined ? { retryAfterMs: hint } : {}) };
  }
  if (status === 401 || status === 403) return { kind: "auth", message };
  if (status >= 500 || status === 408) return { kind: "transient", code: `http_${status}`, message };
  return { kind: "permanent", code: detail?.type ? codeFromType(detail.type) : `http_${status}`, message };
}

function codeFromName(name: string): string {
  const code = name
    .replace(/Error$/, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .toLowerCase();
  return code || "error";
}

/** The verdict every item of a failed request gets. */
export function verdictForFailure(failure: RequestFailure): ItemVerdict {
  switch (failure.kind) {
    case "throttled":
      return {
        kind: "retry",
        reason: failure.message,
        throttled: true,
        ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}),
      };
    case "transient":
      return { kind: "retry", reason: failure.message, throttled: false };
    case "auth":
      return { kind: "rejected", code: "auth", reason: failure.message };
    case "too_large":
      return { kind: "rejected", code: "too_large", reason: failure.message };
    case "permanent":
      return { kind: "rejected", code: failure.code, reason: failure.message };
  }
}
