import { describe, expect, it } from "vitest";
import { QueryError, QueryFieldError } from "../../../core/query/errors.js";
import { compileToOpenSearch } from "../../../core/query/opensearch.js";
import { compileToSql } from "../../../core/query/sql.js";

/** A condition that does not fit its field is refused the same way by both compilers. */
describe("conditions that do not fit their field", () => {
  const CASES: Array<[string, string, string]> = [
    ["http.status:abc", "value", '"http.status" is a number field; "abc" is not a number'],
    ["http.status:200.5", "value", '"http.status" holds whole numbers; "200.5" never matches (use a range)'],
    ["http.latency_ms > fast", "value", '"http.latency_ms" is a number field; "fast" is not a number'],
    [
      "http.status:2*",
      "field",
      'wildcards work on text and keyword fields only; "http.status" is a integer field',
    ],
    [
      "message > 5",
      "field",
      'ranges work on number, timestamp and keyword fields; "message" is a text field',
    ],
    [
      "http.client_ip > 10.0.0.1",
      "field",
      'ranges work on number, timestamp and keyword fields; "http.client_ip" is a ip field',
    ],
    [
      "http.client_ip:10.0.0.0/8",
      "value",
      '"http.client_ip" is an IP field; "10.0.0.0/8" is not an IP address',
    ],
    [
      "http.client_ip:10.*",
      "field",
      'wildcards work on text and keyword fields only; "http.client_ip" is a ip field',
    ],
    ["@timestamp:2026-02-30", "value", '"@timestamp" is a timestamp field; "2026-02-30" is not a date'],
    ["@timestamp >= yesterday", "value", '"@timestamp" is a timestamp field; "yesterday" is not a date'],
    [
      "@timestamp:2026*",
      "field",
      'wildcards work on text and keyword fields only; "@timestamp" is a timestamp field',
    ],
    ["http:x", "field", '"http" is a group of fields; name one of them: http.method, http.path'],
    ["http > 1", "field", '"http" is a group of fields'],
    ["attrs:abc*", "field", "wildcards need an attrs key, e.g. attrs.user_id:abc*"],
    ["attrs > 5", "field", "ranges need an attrs key, e.g. attrs.duration_ms > 500"],
    ["message:/health*", "field", 'a wildcard on the full-text field "message" matches within one word'],
    ["connection ref*", "field", 'a wildcard on the full-text field "message" matches within one word'],
    ["attrs.:x", "field", '"attrs." names no attrs key'],
  ];

  it.each(CASES)("refuses %s", (query, code, message) => {
    for (const compile of [compileToSql, compileToOpenSearch]) {
      let caught: unknown;
      try {
        compile(query);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(QueryFieldError);
      expect(caught).toBeInstanceOf(QueryError);
      expect((caught as QueryFieldError).code).toBe(code);
      expect((caught as QueryFieldError).message).toContain(message);
    }
  });
});
