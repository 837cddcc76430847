import { describe, expect, it } from "vitest";
import {
  classifyBulkItem,
  classifyBulkResponse,
  classifyRequestError,
  verdictForFailure,
} from "../../../stores/opensearch/classify.js";

function item(op: string, status: number, error?: { type: string; reason: string; caused_by?: unknown }) {
  return {
    [op]: { _index: "logs-a-2026.01.05", _id: "1", status, ...(error ? { error } : { result: "created" }) },
  };
}

describe("classifyBulkItem", () => {
  it("accepts 201 created and 200 updated", () => {
    expect(classifyBulkItem("index", item("index", 201))).toEqual({ kind: "accepted", result: "created" });
    expect(classifyBulkItem("index", { index: { status: 200, result: "updated" } })).toEqual({
      kind: "accepted",
      result: "updated",
    });
  });

  it("counts a 409 version conflict on create as already written", () => {
    const verdict = classifyBulkItem(
      "create",
      item("create", 409, { type: "version_conflict_engine_exception", reason: "[1]: version conflict" }),
    );
    expect(verdict).toEqual({ kind: "accepted", result: "exists" });
  });

  it("rejects a 409 on index, where it cannot mean a resend", () => {
    const verdict = classifyBulkItem(
      "index",
      item("index", 409, { type: "version_conflict_engine_exception", reason: "conflict" }),
    );
    expect(verdict).toMatchObject({ kind: "rejected", code: "version_conflict_engine" });
  });

  it.each([
    [429, "es_rejected_execution_exception"],
    [429, "circuit_breaking_exception"],
    [503, "circuit_breaking_exception"],
  ])("retries %i %s as throttling", (status, type) => {
    expect(classifyBulkItem("index", item("index", status, { type, reason: "busy" }))).toMatchObject({
      kind: "retry",
      throttled: true,
    });
  });

  it("retries 5xx item failures without calling them throttling", () => {
    const verdict = classifyBulkItem(
      "index",
      item("index", 503, { type: "unavailable_shards_exception", reason: "x" }),
    );
    expect(verdict).toMatchObject({ kind: "retry", throttled: false });
  });

  it("retries a read-only block, which lifts once disk space is freed", () => {
    const verdict = classifyBulkItem(
      "index",
      item("index", 403, {
        type: "cluster_block_exception",
        reason: "index [x] blocked by: [FORBIDDEN/8/index write (api)];",
      }),
    );
    expect(verdict).toMatchObject({ kind: "retry" });
  });

  it.each([
    ["mapper_parsing_exception", "mapping_error"],
    ["strict_dynamic_mapping_exception", "mapping_error"],
    ["document_parsing_exception", "mapping_error"],
    ["illegal_argument_exception", "illegal_argument"],
    ["invalid_index_name_exception", "invalid_index_name"],
  ])("rejects 400 %s with code %s", (type, code) => {
    const verdict = classifyBulkItem("index", item("index", 400, { type, reason: "bad" }));
    expect(verdict).toEqual({ kind: "rejected", code, reason: `${type}: bad` });
  });

  it("names the total-fields limit distinctly", () => {
    const verdict = classifyBulkItem(
      "index",
      item("index", 400, {
        type: "illegal_argument_exception",
        reason: "Limit of total fields [200] has been exceeded",
      }),
    );
    expect(verdict).toMatchObject({ kind: "rejected", code: "field_limit" });
  });

  it("keeps the cause in the reason", () => {
    const verdict = classifyBulkItem(
      "index",
      item("index", 400, {
        type: "mapper_parsing_exception",
        reason: "failed to parse field [http.status]",
        caused_by: { type: "number_format_exception", reason: 'For input string: "abc"' },
      }),
    );
    expect(verdict).toMatchObject({
      reason:
        'mapper_parsing_exception: failed to parse field [http.status] (caused by number_format_exception: For input string: "abc")',
    });
  });

  it("bounds a huge reason from the server", () => {
    const verdict = classifyBulkItem(
      "index",
      item("index", 400, { type: "x_exception", reason: "r".repeat(100_000) }),
    );
    expect(verdict.kind === "rejected" && verdict.reason.length).toBeLessThan(1100);
  });

  it.each([[null], [undefined], ["text"], [{}], [{ index: { status: "201" } }], [{ index: null }]])(
    "retries a malformed item %j rather than guessing",
    (raw) => {
      expect(classifyBulkItem("index", raw)).toMatchObject({ kind: "retry" });
    },
  );
});

describe("classifyBulkResponse", () => {
  it("answers items left out of a short response as retry", () => {
    const verdicts = classifyBulkResponse("index", 3, { errors: false, items: [item("index", 201)] });
    expect(verdicts.map((v) => v.kind)).toEqual(["accepted", "retry", "retry"]);
  });

  it("retries every item when the body is not a bulk response", () => {
    expect(classifyBulkResponse("index", 2, "<html>").map((v) => v.kind)).toEqual(["retry", "retry"]);
  });
});

function responseError(status: number, body: unknown, headers: Record<string, string> = {}) {
  return { name: "ResponseError", message: "Response Error", meta: { statusCode: status, body, headers } };
}

describe("classifyRequestError", () => {
  it("marks 413 as too large", () => {
    expect(
      classifyRequestError(responseError(413, { Message: "Request size exceeded 10485760 bytes" })),
    ).toEqual({
      kind: "too_large",
      message: "HTTP 413: Request size exceeded 10485760 bytes",
    });
  });

  it("marks 429 as throttled and reads Retry-After", () => {
    const failure = classifyRequestError(responseError(429, "Too Many Requests", { "retry-after": "7" }));
    expect(failure).toMatchObject({ kind: "throttled", retryAfterMs: 7000 });
  });

  it("marks rejected execution as throttled even without 429", () => {
    const body = { error: { type: "es_rejected_execution_exception", reason: "queue full" }, status: 503 };
    expect(classifyRequestError(responseError(503, body)).kind).toBe("throttled");
  });

  it.each([401, 403])("marks %i as an auth failure", (status) => {
    expect(
      classifyRequestError(responseError(status, { message: "The security token is invalid" })),
    ).toMatchObject({
      kind: "auth",
      message: expect.stringContaining("security token"),
    });
  });

  it.each([500, 502, 503, 504, 408])("retries HTTP %i", (status) => {
    expect(classifyRequestError(responseError(status, "")).kind).toBe("transient");
  });

  it("retries connection errors and timeouts, which never reached a verdict", () => {
    expect(classifyRequestError({ name: "ConnectionError", message: "socket hang up" })).toMatchObject({
      kind: "transient",
      code: "connection",
    });
    expect(classifyRequestError({ name: "TimeoutError", message: "Request timed out" }).kind).toBe(
      "transient",
    );
    expect(classifyRequestError(new Error("Could not load credentials from any providers")).kind).toBe(
      "transient",
    );
  });

  it("rejects other 4xx with the error type as code", () => {
    const body = {
      error: {
        type: "illegal_argument_exception",
        reason: "The bulk request must be terminated by a newline",
      },
    };
    expect(classifyRequestError(responseError(400, body))).toMatchObject({
      kind: "permanent",
      code: "illegal_argument",
    });
  });

  it("gives every item of a failed request the same verdict", () => {
    expect(verdictForFailure({ kind: "auth", message: "HTTP 403: denied" })).toEqual({
      kind: "rejected",
      code: "auth",
      reason: "HTTP 403: denied",
    });
    expect(verdictForFailure({ kind: "throttled", message: "slow", retryAfterMs: 5 })).toEqual({
      kind: "retry",
      reason: "slow",
      throttled: true,
      retryAfterMs: 5,
    });
  });
});
