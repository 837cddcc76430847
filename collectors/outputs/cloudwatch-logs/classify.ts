import type { ErrorClass } from "../../../core/retry.js";

/**
 * How one failed CloudWatch Logs call is judged. The sink acts on the kinds; the retry helper
 * only sees {@link toRetryClass}.
 */
export type CallFailure =
  | { kind: "throttled"; code: string; message: string }
  /** Worth another try: 5xx, the service unavailable, a dropped connection, a timeout. */
  | { kind: "transient"; code: string; message: string }
  /** The log group or stream is gone (never created, or deleted since). */
  | { kind: "not_found"; code: string; message: string }
  | { kind: "already_exists"; code: string; message: string }
  | { kind: "access_denied"; code: string; message: string }
  /** The request can never succeed as sent: answered `rejected`, never retried. */
  | { kind: "permanent"; code: string; message: string };

const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "ThrottledException",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
]);
const TRANSIENT = new Set([
  "ServiceUnavailableException",
  "ServiceUnavailable",
  "InternalServerException",
  "InternalFailure",
  "InternalError",
  "OperationAbortedException",
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
]);
const ACCESS_DENIED = new Set(["AccessDeniedException", "AccessDenied", "UnauthorizedOperation"]);
const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
  $fault?: unknown;
}

/** `InvalidParameterException` → `invalid_parameter`: a short stable code for dead letters. */
export function errorCode(name: string): string {
  const base = name.replace(/Exception$/, "") || name;
  return (
    base
      .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
      .replace(/[^A-Za-z0-9]+/g, "_")
      .replace(/^_+|_+$/g, "")
      .toLowerCase() || "unknown"
  );
}

export function classifyFailure(error: unknown): CallFailure {
  const e = (typeof error === "object" && error !== null ? error : {}) as SdkErrorShape;
  const name = typeof e.name === "string" ? e.name : "Error";
  const message = typeof e.message === "string" && e.message ? e.message : String(error);
  const status = e.$metadata?.httpStatusCode;
  const sysCode = typeof e.code === "string" ? e.code : undefined;
  const code = errorCode(name);

  if (THROTTLING.has(name) || status === 429) return { kind: "throttled", code: "throttled", message };
  if (name === "ResourceNotFoundException") return { kind: "not_found", code, message };
  if (name === "ResourceAlreadyExistsException") return { kind: "already_exists", code, message };
  if (ACCESS_DENIED.has(name)) return { kind: "access_denied", code, message };
  if (TRANSIENT.has(name)) return { kind: "transient", code, message };
  if (status !== undefined && status >= 500) return { kind: "transient", code: `http_${status}`, message };
  if (status !== undefined && status >= 400) return { kind: "permanent", code, message };
  if (sysCode && NETWORK_CODES.has(sysCode))
    return { kind: "transient", code: sysCode.toLowerCase(), message };
  // No HTTP status at all: the request never got an answer (socket hang up, timeout, DNS,
  // credentials refresh). The service did not refuse it, so it is worth another try.
  return { kind: "transient", code, message };
}

/** What the retry helper needs to know about a failure. */
export function toRetryClass(failure: CallFailure, createMissing: boolean): ErrorClass {
  switch (failure.kind) {
    case "throttled":
      return { kind: "throttled" };
    case "transient":
      return { kind: "retryable" };
    case "not_found":
      // Retrying re-creates the group and stream first; without that, waiting cannot help.
      return createMissing ? { kind: "retryable" } : { kind: "permanent" };
    default:
      return { kind: "permanent" };
  }
}
