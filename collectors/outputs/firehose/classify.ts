import type { ErrorClass } from "../../../core/retry.js";

/**
 * `InvalidKMSResourceException` → `invalid_kms_resource`: a short stable code for metrics and
 * dead letters. Runs of capitals stay one word, so acronyms in AWS error names read naturally.
 */
export function errorCode(name: string): string {
  const base = name.replace(/Exception$/, "") || name;
  return (
    base
      .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
      .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
      .replace(/[^A-Za-z0-9]+/g, "_")
      .replace(/^_+|_+$/g, "")
      .toLowerCase()
      .slice(0, 64) || "unknown"
  );
}

/**
 * How a failed PutRecordBatch call, or one failed record of a call that succeeded, is judged.
 * The sink acts on the kind; the retry helper only sees {@link toRetryClass}.
 */
export interface Failure {
  /**
   * `throttled`: Firehose asked to slow down (the concurrency limit is cut).
   * `transient`: worth another try (5xx, internal failure, dropped connection, timeout).
   * `permanent`: can never succeed as sent; its events are answered `rejected`.
   */
  kind: "throttled" | "transient" | "permanent";
  /** Short stable code for metrics and dead letters, e.g. `resource_not_found`. */
  code: string;
  /** The service's error name as sent, e.g. `ResourceNotFoundException`. */
  name: string;
  message: string;
}

/**
 * Firehose answers `ServiceUnavailableException` (HTTP 503) when a stream's throughput quota is
 * exceeded, so it is throttling first of all; the generic AWS throttling names are included for
 * proxies and API-level rate limits.
 */
const THROTTLING = new Set([
  "ServiceUnavailableException",
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "TooManyRequestsException",
  "LimitExceededException",
  "RequestLimitExceeded",
  "ProvisionedThroughputExceededException",
  "SlowDown",
]);

/**
 * Errors that repeat however often the same request is sent: the stream is missing or the
 * request is invalid, the caller may not write, or the stream's KMS key is unusable. Fixing them
 * takes an operator, so their events are dead-lettered (and can be replayed) instead of blocking
 * the buffer.
 */
const PERMANENT = new Set([
  "ResourceNotFoundException",
  "InvalidArgumentException",
  "ValidationException",
  "InvalidKMSResourceException",
  "InvalidSourceException",
  "AccessDeniedException",
  "AccessDenied",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "IncompleteSignature",
  "InvalidClientTokenId",
  "MissingAuthenticationTokenException",
  "NotAuthorized",
  "SerializationException",
]);

interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** Judges a whole call that failed: an SDK error, a network error or a timeout. */
export function classifyCallError(error: unknown): Failure {
  const e = (typeof error === "object" && error !== null ? error : {}) as SdkErrorShape;
  const name = typeof e.name === "string" && e.name ? e.name : "Error";
  const message = typeof e.message === "string" && e.message ? e.message : String(error);
  const status = e.$metadata?.httpStatusCode;

  if (THROTTLING.has(name) || status === 429) return { kind: "throttled", code: "throttled", name, message };
  if (PERMANENT.has(name)) return { kind: "permanent", code: errorCode(name), name, message };
  if (status !== undefined && status >= 500) {
    return { kind: "transient", code: `http_${status}`, name, message };
  }
  // Any other 4xx is a modelled or unmodelled client error: the same request fails the same way.
  // Expired temporary credentials are the exception, since the provider refreshes them.
  if (status !== undefined && status >= 400 && !/^ExpiredToken/.test(name)) {
    return { kind: "permanent", code: errorCode(name), name, message };
  }
  // No HTTP status: the request never got an answer (socket hang up, timeout, DNS, credentials
  // refresh). The service did not refuse it, so it is worth another try.
  return { kind: "transient", code: errorCode(name), name, message };
}

/**
 * Judges one failed record of a PutRecordBatch response (`ErrorCode`/`ErrorMessage`). Firehose
 * documents `ServiceUnavailableException` (throttled) and `InternalFailure` (transient) here.
 * Any other code is treated as transient unless it is one of the clearly permanent names above:
 * a record-level code is a statement about this attempt, and an unknown one must not send
 * deliverable events to the dead-letter store.
 */
export function classifyRecordError(name: string, message: string | undefined): Failure {
  const text = message ?? name;
  if (THROTTLING.has(name)) return { kind: "throttled", code: "throttled", name, message: text };
  if (PERMANENT.has(name)) return { kind: "permanent", code: errorCode(name), name, message: text };
  return { kind: "transient", code: errorCode(name), name, message: text };
}

/** What the retry helper needs to know about a failure. */
export function toRetryClass(failure: Failure): ErrorClass {
  switch (failure.kind) {
    case "throttled":
      return { kind: "throttled" };
    case "transient":
      return { kind: "retryable" };
    default:
      return { kind: "permanent" };
  }
}
