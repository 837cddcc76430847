import { describe, expect, it } from "vitest";
import {
  classifyCallError,
  classifyRecordError,
  errorCode,
  toRetryClass,
} from "../../../../collectors/outputs/firehose/classify.js";

function sdkError(name: string, status?: number, message = "boom"): Error {
  return Object.assign(new Error(message), {
    name,
    ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
  });
}

describe("classifyCallError", () => {
  it.each([
    ["ServiceUnavailableException", 503],
    ["ThrottlingException", 400],
    ["LimitExceededException", 400],
    ["TooManyRequests", 429],
  ])("treats %s as throttling", (name, status) => {
    expect(classifyCallError(sdkError(name, status))).toMatchObject({ kind: "throttled", code: "throttled" });
  });

  it.each([
    ["ResourceNotFoundException", "resource_not_found"],
    ["InvalidArgumentException", "invalid_argument"],
    ["ValidationException", "validation"],
    ["AccessDeniedException", "access_denied"],
    ["InvalidKMSResourceException", "invalid_kms_resource"],
  ])("treats %s as permanent with code %s", (name, code) => {
    expect(classifyCallError(sdkError(name, 400))).toMatchObject({ kind: "permanent", code, name });
  });

  it("treats a bare 5xx as transient with the status as code", () => {
    expect(classifyCallError(sdkError("UnknownError", 502))).toMatchObject({
      kind: "transient",
      code: "http_502",
    });
  });

  it("treats an unmodelled 4xx as permanent", () => {
    expect(classifyCallError(sdkError("SomethingNewException", 400)).kind).toBe("permanent");
  });

  it("treats expired temporary credentials as transient, since they are refreshed", () => {
    expect(classifyCallError(sdkError("ExpiredTokenException", 400)).kind).toBe("transient");
  });

  it("treats an error without an HTTP answer (socket hang up) as transient", () => {
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    expect(classifyCallError(reset)).toMatchObject({ kind: "transient", message: "socket hang up" });
  });

  it("copes with a thrown value that is not an Error", () => {
    expect(classifyCallError("weird")).toMatchObject({ kind: "transient", message: "weird" });
    expect(classifyCallError(null).kind).toBe("transient");
  });
});

describe("classifyRecordError", () => {
  it("treats ServiceUnavailableException as throttling", () => {
    expect(classifyRecordError("ServiceUnavailableException", "Slow down.")).toMatchObject({
      kind: "throttled",
      message: "Slow down.",
    });
  });

  it("treats InternalFailure as transient", () => {
    expect(classifyRecordError("InternalFailure", undefined)).toMatchObject({
      kind: "transient",
      code: "internal_failure",
      message: "InternalFailure",
    });
  });

  it("treats an unknown code as transient rather than dead-letter deliverable events", () => {
    expect(classifyRecordError("SomethingElse", "?").kind).toBe("transient");
  });

  it("treats a clearly permanent code as permanent", () => {
    expect(classifyRecordError("InvalidKMSResourceException", "key disabled").kind).toBe("permanent");
  });
});

describe("toRetryClass", () => {
  it("maps throttled, transient and permanent to the retry helper's kinds", () => {
    const base = { code: "c", name: "n", message: "m" };
    expect(toRetryClass({ ...base, kind: "throttled" })).toEqual({ kind: "throttled" });
    expect(toRetryClass({ ...base, kind: "transient" })).toEqual({ kind: "retryable" });
    expect(toRetryClass({ ...base, kind: "permanent" })).toEqual({ kind: "permanent" });
  });
});

describe("errorCode", () => {
  it.each([
    ["ResourceNotFoundException", "resource_not_found"],
    ["InvalidKMSResourceException", "invalid_kms_resource"],
    ["InternalFailure", "internal_failure"],
    ["Exception", "exception"],
    ["", "unknown"],
    ["weird name!", "weird_name"],
  ])("turns %s into %s", (name, code) => {
    expect(errorCode(name)).toBe(code);
  });

  it("stays short whatever the service sends", () => {
    expect(errorCode("A".repeat(10_000)).length).toBeLessThanOrEqual(64);
  });
});
