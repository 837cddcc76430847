import type { ItemOutcome } from "../../core/stage.js";

/**
 * Judges a failed SDK call (S3 here, Athena polls too) for the items it carried. Throttling and server-side trouble are
 * retried (S3 answers `SlowDown` when a prefix is written too fast); a request S3 refused for
 * good (missing bucket, no permission) is rejected with S3's own code and message, because
 * sending it again cannot succeed until someone changes the bucket or the policy.
 */

const THROTTLE_CODES = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottled",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "KMS.ThrottlingException",
]);

/** 4xx answers that are still worth retrying: they describe the moment, not the request. */
const TRANSIENT_CODES = new Set([
  "RequestTimeout",
  "RequestTimeTooSkewed",
  "ExpiredToken",
  "ExpiredTokenException",
  "InternalError",
  "ServiceUnavailable",
  "OperationAborted",
]);

/** Errors a socket raises when the network, not S3, failed. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: { throttling?: unknown };
}

export type FailedOutcome = Exclude<ItemOutcome, { status: "accepted" }>;

export function s3ErrorCode(error: unknown): string {
  const e = (error ?? {}) as SdkErrorShape;
  if (typeof e.code === "string" && e.code !== "") return e.code;
  if (typeof e.name === "string" && e.name !== "" && e.name !== "Error") return e.name;
  return "Unknown";
}

function statusOf(error: unknown): number | undefined {
  const status = (error as SdkErrorShape | undefined)?.$metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

function messageOf(error: unknown): string {
  const message = (error as SdkErrorShape | undefined)?.message;
  return typeof message === "string" && message !== "" ? message : String(error);
}

export function isThrottle(error: unknown): boolean {
  const code = s3ErrorCode(error);
  const status = statusOf(error);
  return (
    THROTTLE_CODES.has(code) ||
    status === 429 ||
    (error as SdkErrorShape | undefined)?.$retryable?.throttling === true
  );
}

/** Whether trying the same call again later can succeed. */
export function isTransient(error: unknown): boolean {
  if (isThrottle(error)) return true;
  const code = s3ErrorCode(error);
  if (TRANSIENT_CODES.has(code) || NETWORK_CODES.has(code)) return true;
  const status = statusOf(error);
  if (status !== undefined) return status >= 500;
  // No HTTP answer at all: a socket error (Node system errors carry a string code) or a timeout.
  // Anything else without a status is a bug on this side, and retrying it would only repeat it.
  const e = error as SdkErrorShape | undefined;
  return typeof e?.code === "string" || e?.name === "TimeoutError";
}

/** The outcome of every item carried by an S3 call that failed with `error`. */
export function classifyS3Failure(error: unknown, signal?: AbortSignal): FailedOutcome {
  const code = s3ErrorCode(error);
  const status = statusOf(error);
  const detail = `${code}${status === undefined ? "" : ` (HTTP ${status})`}: ${messageOf(error)}`;
  if (signal?.aborted) return { status: "retryable", reason: `write aborted: ${detail}` };
  if (isThrottle(error)) return { status: "retryable", throttled: true, reason: `S3 throttled: ${detail}` };
  if (isTransient(error)) return { status: "retryable", reason: `S3 unavailable: ${detail}` };
  return { status: "rejected", code: `s3_${code}`, reason: `S3 refused the object: ${detail}` };
}
