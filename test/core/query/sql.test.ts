import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseQuery } from "../../../core/query/parse.js";
import { compileToSql } from "../../../core/query/sql.js";
import { phrasePattern, wordWildcardPatterns } from "../../../core/query/text.js";

const wildcard = wordWildcardPatterns(["ord", ""]);
const edgeJoiner = wordWildcardPatterns(["a.1", ""]);

describe("compileToSql output", () => {
  const CASES: Array<[string, string, unknown[]]> = [
    ["level:error", '"level" = $1', ["error"]],
    ["not level:error", 'NOT ("level" = $1)', ["error"]],
    ["not env:prod", 'NOT coalesce("env" = $1, FALSE)', ["prod"]],
    ["level:error and service:x", '("level" = $1 AND "service" = $2)', ["error", "x"]],
    ["level:(error or warn)", '("level" = $1 OR "level" = $2)', ["error", "warn"]],
    ["service:50%_off*", "\"service\" LIKE $1 ESCAPE '\\'", ["50\\%\\_off%"]],
    ["service:a\\\\b*", "\"service\" LIKE $1 ESCAPE '\\'", ["a\\\\b%"]],
    ["http.status:200", '"http"."status" = $1', [200]],
    ["http.status >= 500", '"http"."status" >= $1', [500]],
    ["http.latency_ms < 0.5", '"http"."latency_ms" < $1', [0.5]],
    ["env:*", '"env" IS NOT NULL', []],
    ["user.id:42", '"attrs"[$1] = $2', ["user.id", "42"]],
    ["attrs.user.id:*", '"attrs"[$1] IS NOT NULL', ["user.id"]],
    ["attrs.duration_ms > 1000", 'TRY_CAST("attrs"[$1] AS DOUBLE) > $2', ["duration_ms", 1000]],
    ["attrs.duration_ms > abc", '"attrs"[$1] > $2', ["duration_ms", "abc"]],
    ["attrs:acme", 'list_contains(map_values("attrs"), $1)', ["acme"]],
    ["attrs:*", '("attrs" IS NOT NULL AND cardinality("attrs") > 0)', []],
    [
      "@timestamp:2026-01-05",
      '("@timestamp" >= CAST($1 AS TIMESTAMP_MS) AND "@timestamp" < CAST($2 AS TIMESTAMP_MS))',
      ["2026-01-05 00:00:00.000", "2026-01-06 00:00:00.000"],
    ],
    ["@timestamp > 2026-01-05", '"@timestamp" >= CAST($1 AS TIMESTAMP_MS)', ["2026-01-06 00:00:00.000"]],
    ["message:order", 'regexp_matches("message", $1)', [phrasePattern(["order"])]],
    ['message:"Order Placed"', 'regexp_matches("message", $1)', [phrasePattern(["order", "placed"])]],
    [
      "timed out",
      '(regexp_matches("message", $1) OR regexp_matches("message", $2))',
      [phrasePattern(["timed"]), phrasePattern(["out"])],
    ],
    [
      "message:Ord*",
      `(regexp_matches("message", $1) OR (regexp_matches("message", $2) AND regexp_matches(array_to_string(regexp_extract_all(lower("message"), '(?:\\pL(?:[.:\\x27\\x{2019}]\\pL)*|\\pN(?:[.,;\\x27\\x{2019}]\\pN)*|_)+'), ' '), $3)))`,
      [wildcard.fast, wildcard.approx, wildcard.exact],
    ],
    [
      "message:a.1*",
      `(regexp_matches("message", $1) AND regexp_matches(array_to_string(regexp_extract_all(lower("message"), '(?:\\pL(?:[.:\\x27\\x{2019}]\\pL)*|\\pN(?:[.,;\\x27\\x{2019}]\\pN)*|_)+'), ' '), $2))`,
      [edgeJoiner.approx, edgeJoiner.exact],
    ],
    ['message:"!!!"', "FALSE", []],
    ["", "TRUE", []],
  ];

  it.each(CASES)("%s", (query, where, params) => {
    expect(compileToSql(query)).toEqual({ where, params });
  });

  it("lists every group member for group:*", () => {
    expect(compileToSql("http:*").where).toBe(
      '("http"."method" IS NOT NULL OR "http"."path" IS NOT NULL OR "http"."status" IS NOT NULL OR ' +
        '"http"."latency_ms" IS NOT NULL OR "http"."user_agent" IS NOT NULL OR "http"."client_ip" IS NOT NULL)',
    );
  });

  it("numbers placeholders in the order the values appear", () => {
    const { where, params } = compileToSql("a:1 or (b:2 and not c:3)");
    expect(where).toBe('("attrs"[$1] = $2 OR ("attrs"[$3] = $4 AND NOT coalesce("attrs"[$5] = $6, FALSE)))');
    expect(params).toEqual(["a", "1", "b", "2", "c", "3"]);
  });

  it("accepts a parsed tree as well as a string", () => {
    expect(compileToSql(parseQuery("level:error"))).toEqual(compileToSql("level:error"));
  });

  it("never puts a user value into the SQL text", () => {
    const unit = fc.constantFrom(..."a'\"\\%_;-)(*$1 ", "DROP", "--", "/*");
    const shapes: Array<[(quoted: string) => string, RegExp]> = [
      [(q) => `service:${q}`, /^"service" = \$1$/],
      [(q) => `${q}:x`, /^"attrs"\[\$1\] = \$2$/],
      [(q) => `service >= ${q}`, /^"service" >= \$1$/],
      [(q) => `message:${q}`, /^(FALSE|regexp_matches\("message", \$1\))$/],
    ];
    fc.assert(
      fc.property(fc.string({ unit, minLength: 1, maxLength: 12 }), (value) => {
        const quoted = `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
        for (const [query, shape] of shapes) {
          expect(compileToSql(query(quoted)).where).toMatch(shape);
        }
      }),
      { numRuns: 300, seed: 9 },
    );
  });
});
