import { describe, expect, it } from "vitest";
import { compileToOpenSearch } from "../../../core/query/opensearch.js";
import { parseQuery } from "../../../core/query/parse.js";

describe("compileToOpenSearch", () => {
  const CASES: Array<[string, unknown]> = [
    ["level:error", { term: { level: "error" } }],
    [
      "level:error and service:checkout and not path:/health*",
      {
        bool: {
          must: [
            { term: { level: "error" } },
            { term: { service: "checkout" } },
            { bool: { must_not: [{ wildcard: { "http.path": { value: "/health*" } } }] } },
          ],
        },
      },
    ],
    [
      "level:(error or warn)",
      {
        bool: {
          should: [{ term: { level: "error" } }, { term: { level: "warn" } }],
          minimum_should_match: 1,
        },
      },
    ],
    ['message:"order placed"', { match_phrase: { message: "order placed" } }],
    ["timed out", { match: { message: "timed out" } }],
    ['"logged in"', { match_phrase: { message: "logged in" } }],
    ["message:Conn*", { wildcard: { message: { value: "conn*" } } }],
    ["service:a\\*b?c\\\\*", { wildcard: { service: { value: "a\\*b\\?c\\\\*" } } }],
    ["http.status:200", { term: { "http.status": 200 } }],
    ["http.latency_ms:12.5", { term: { "http.latency_ms": 12.5 } }],
    ["http.client_ip:10.0.0.1", { term: { "http.client_ip": "10.0.0.1" } }],
    ["http.status >= 500", { range: { "http.status": { gte: 500 } } }],
    ["service < m", { range: { service: { lt: "m" } } }],
    [
      "@timestamp:2026-01-05",
      { range: { "@timestamp": { gte: "2026-01-05T00:00:00.000Z", lt: "2026-01-06T00:00:00.000Z" } } },
    ],
    ["@timestamp > 2026-01-05", { range: { "@timestamp": { gte: "2026-01-06T00:00:00.000Z" } } }],
    ["@timestamp <= 2026-01-05", { range: { "@timestamp": { lt: "2026-01-06T00:00:00.000Z" } } }],
    [
      'timestamp < "2026-01-05T12:00:00+02:00"',
      { range: { "@timestamp": { lt: "2026-01-05T10:00:00.000Z" } } },
    ],
    ["env:*", { exists: { field: "env" } }],
    ["http:*", { exists: { field: "http" } }],
    ["attrs:*", { exists: { field: "attrs" } }],
    ["attrs.user.id:*", { exists: { field: "attrs.user.id" } }],
    ["user.id:42", { term: { "attrs.user.id": "42" } }],
    ["tenant:acme", { term: { "attrs.tenant": "acme" } }],
    ["attrs:acme", { term: { attrs: "acme" } }],
    ["attrs.user.id:4*", { wildcard: { "attrs.user.id": { value: "4*" } } }],
    ["attrs.duration_ms > 1000", { range: { "attrs.duration_ms": { gt: "1000" } } }],
    ["not not level:debug", { bool: { must_not: [{ bool: { must_not: [{ term: { level: "debug" } }] } }] } }],
    ["", { match_all: {} }],
    ["*", { match_all: {} }],
  ];

  it.each(CASES)("%s", (query, expected) => {
    expect(compileToOpenSearch(query)).toEqual(expected);
  });

  it("accepts a parsed tree as well as a string", () => {
    expect(compileToOpenSearch(parseQuery("level:error"))).toEqual(compileToOpenSearch("level:error"));
  });

  it("nests and inside or as bool clauses, keeping precedence", () => {
    expect(compileToOpenSearch("a or b and not c")).toEqual({
      bool: {
        should: [
          { match: { message: "a" } },
          {
            bool: {
              must: [{ match: { message: "b" } }, { bool: { must_not: [{ match: { message: "c" } }] } }],
            },
          },
        ],
        minimum_should_match: 1,
      },
    });
  });

  it("passes hostile values through as plain JSON strings", () => {
    const value = 'x"}}, {"match_all": {}';
    expect(compileToOpenSearch(`service:"${value.replaceAll('"', '\\"')}"`)).toEqual({
      term: { service: value },
    });
  });
});
