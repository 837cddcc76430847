import { describe, expect, it } from "vitest";
import {
  classifyFailure,
  errorCode,
  toRetryClass,
} from "../../../../collectors/outputs/cloudwatch-logs/classify.js";

function sdkError(name: string, status?: number, message = "boom"): Error {
  return Object.assign(new Error(message), {
    name,
    ...(status ? { $metadata: { httpStatusCode: status } } : {}),
  });
}

describe("classifyFailure", () => {
  it("treats ThrottlingException and HTTP 429 as throttling", () => {
    expect(classifyFailure(sdkError("ThrottlingException", 400)).kind).toBe("throttled");
    expect(classifyFailure(sdkError("SomethingElse", 429)).kind).toBe("throttled");
  });

  it("treats ServiceUnavailableException and any 5xx as transient", () => {
    expect(classifyFailure(sdkError("ServiceUnavailableException", 503)).kind).toBe("transient");
    expect(classifyFailure(sdkError("Unknown", 502))).toMatchObject({ kind: "transient", code: "http_502" });
  });

  it("treats a reset or refused connection as transient", () => {
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    expect(classifyFailure(reset)).toMatchObject({ kind: "transient", code: "econnreset" });
  });

  it("treats a missing group or stream as not_found", () => {
    expect(classifyFailure(sdkError("ResourceNotFoundException", 400)).kind).toBe("not_found");
  });

  it("treats InvalidParameterException as permanent, keeping the service's message", () => {
    expect(classifyFailure(sdkError("InvalidParameterException", 400, "bad batch"))).toEqual({
      kind: "permanent",
      code: "invalid_parameter",
      message: "bad batch",
    });
  });

  it("treats AccessDeniedException as access_denied", () => {
    expect(classifyFailure(sdkError("AccessDeniedException", 400)).kind).toBe("access_denied");
  });

  it("treats a thrown non-error as transient rather than losing its events", () => {
    expect(classifyFailure("weird").kind).toBe("transient");
  });
});

describe("toRetryClass", () => {
  it("retries a missing resource only when it will be created again", () => {
    const failure = classifyFailure(sdkError("ResourceNotFoundException", 400));
    expect(toRetryClass(failure, true)).toEqual({ kind: "retryable" });
    expect(toRetryClass(failure, false)).toEqual({ kind: "permanent" });
  });

  it("passes throttling on to the retry helper", () => {
    expect(toRetryClass(classifyFailure(sdkError("ThrottlingException", 400)), true)).toEqual({
      kind: "throttled",
    });
  });
});

describe("errorCode", () => {
  it("turns an exception name into a short snake_case code", () => {
    expect(errorCode("InvalidParameterException")).toBe("invalid_parameter");
    expect(errorCode("AccessDeniedException")).toBe("access_denied");
    expect(errorCode("UnrecognizedClientException")).toBe("unrecognized_client");
  });
});
