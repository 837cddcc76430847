import { describe, expect, it } from "vitest";
import { classifyS3Failure, isTransient } from "../../../stores/lake/classify.js";

function sdkError(name: string, status?: number): Error {
  return Object.assign(new Error(`${name} happened`), {
    name,
    ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
  });
}

describe("classifyS3Failure", () => {
  it("answers SlowDown retryable and throttled", () => {
    expect(classifyS3Failure(sdkError("SlowDown", 503))).toMatchObject({
      status: "retryable",
      throttled: true,
    });
  });

  it("answers a 503 or 500 retryable without throttling", () => {
    expect(classifyS3Failure(sdkError("ServiceUnavailable", 503))).toEqual(
      expect.objectContaining({ status: "retryable" }),
    );
    expect(classifyS3Failure(sdkError("InternalError", 500))).not.toHaveProperty("throttled");
  });

  it("answers a network error retryable", () => {
    const error = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    expect(classifyS3Failure(error).status).toBe("retryable");
  });

  it("rejects AccessDenied and NoSuchBucket with S3's code and message", () => {
    expect(classifyS3Failure(sdkError("AccessDenied", 403))).toEqual({
      status: "rejected",
      code: "s3_AccessDenied",
      reason: "S3 refused the object: AccessDenied (HTTP 403): AccessDenied happened",
    });
    expect(classifyS3Failure(sdkError("NoSuchBucket", 404))).toMatchObject({
      status: "rejected",
      code: "s3_NoSuchBucket",
    });
  });

  it("retries a 400 RequestTimeout, which describes the moment and not the request", () => {
    expect(classifyS3Failure(sdkError("RequestTimeout", 400)).status).toBe("retryable");
  });

  it("answers retryable when the caller aborted, whatever the error", () => {
    const controller = new AbortController();
    controller.abort();
    expect(classifyS3Failure(sdkError("AccessDenied", 403), controller.signal).status).toBe("retryable");
  });

  it("does not retry a programming error that never reached S3", () => {
    expect(isTransient(new TypeError("x is not a function"))).toBe(false);
    expect(classifyS3Failure(new TypeError("x is not a function")).status).toBe("rejected");
  });

  it("copes with thrown values that are not errors", () => {
    expect(classifyS3Failure("boom")).toMatchObject({ status: "rejected", code: "s3_Unknown" });
    expect(classifyS3Failure(undefined).status).toBe("rejected");
  });
});
