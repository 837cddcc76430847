import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { QueryError, QuerySyntaxError } from "../../../core/query/errors.js";
import { parseQuery } from "../../../core/query/parse.js";

function syntaxError(query: string): QuerySyntaxError {
  try {
    parseQuery(query);
  } catch (error) {
    if (error instanceof QuerySyntaxError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(query)} to be refused`);
}

describe("syntax errors name the column", () => {
  const CASES: Array<[string, number, string]> = [
    ["level:error and (service:x", 17, 'expected ")" to close this "("'],
    ["level:error and", 16, 'expected a condition after "and"'],
    ["level:error and not", 20, 'expected a condition after "not"'],
    ["level:", 7, 'expected a value after "level:"'],
    ['message:"order placed', 9, 'unterminated quoted value: expected a closing "'],
    ["http.status > > 5", 15, 'expected a value after ">", found ">"'],
    [">= 500", 1, 'expected a field name before ">="'],
    [":error", 1, 'expected a field name before ":"'],
    ["level:error)", 12, 'unexpected ")" without a matching "("'],
    ["level:error service:checkout", 13, 'missing "and" or "or" before "service"'],
    ["a:b:c", 4, 'unexpected ":": quote a value that contains ":" or escape it as "\\:"'],
    [
      "@timestamp >= 2026-01-01T10:00:00Z",
      28,
      'unexpected ":": quote a value that contains ":" or escape it as "\\:"',
    ],
    ["and level:error", 1, 'expected a condition, found "and"'],
    ["level:error or or x", 16, 'expected a condition, found "or"'],
    ["()", 2, "expected a condition inside ( )"],
    ["level:(error or warn", 7, 'expected ")" to close this "("'],
    ["level:()", 8, "expected a value inside ( )"],
    ["level:and", 7, 'expected a value after "level:", found "and" (quote it to search for the word)'],
    ["http.status:>=500", 13, 'expected a value after ":"; a range is written "http.status >= value"'],
    ["http.status >= 5*", 16, 'a range value cannot contain a wildcard ("*")'],
    ["service:x\\", 10, "a backslash must be followed by the character it escapes"],
    ["service:\\q", 9, 'unknown escape "\\q": only \\ ( ) : < > " * { } and \\t \\n \\r can be escaped'],
    ["user:{name:x}", 6, "nested field queries ({ }) are not supported"],
    ["a && b", 3, '"&&" is not DQL: write "and"'],
    ["a || b", 3, '"||" is not DQL: write "or"'],
    ["field*:x", 1, 'wildcards ("*") in field names are not supported'],
    ['"":x', 1, "a field name cannot be empty"],
    ['"foo" bar', 7, 'expected "and", "or" or end of query, found "bar"'],
    ["(a or b c:d)", 9, 'missing "and" or "or" before "c"'],
    ['(a "b")', 4, 'expected "and", "or" or ")", found ""b""'],
  ];

  it.each(CASES)("%j at column %i", (query, column, reason) => {
    const error = syntaxError(query);
    expect({ column: error.column, reason: error.reason }).toEqual({ column, reason });
  });
});

describe("QuerySyntaxError", () => {
  it("points a caret under the column", () => {
    expect(syntaxError("level:error and (service:x").pointer()).toBe(
      'level:error and (service:x\n                ^ expected ")" to close this "("',
    );
  });

  it("points past the last character when the query ends too soon", () => {
    expect(syntaxError("level:").pointer()).toBe('level:\n      ^ expected a value after "level:"');
  });

  it("shows tabs and newlines as spaces so the caret stays aligned", () => {
    expect(syntaxError("a\tand\n)").pointer()).toBe('a and )\n      ^ expected a condition, found ")"');
  });

  it("cuts a long query to a window around the column", () => {
    const query = `${"a ".repeat(200)}and ) ${"b ".repeat(200)}`;
    const [line, caret] = syntaxError(query).pointer(40).split("\n");
    expect(line).toHaveLength(42);
    expect(line?.startsWith("…") && line.endsWith("…")).toBe(true);
    expect(line?.[caret!.indexOf("^")]).toBe(")");
  });

  it("is a QueryError with a stable code and the column in its message", () => {
    const error = syntaxError("level:");
    expect(error).toBeInstanceOf(QueryError);
    expect(error.name).toBe("QuerySyntaxError");
    expect(error.code).toBe("syntax");
    expect(error.message).toBe('expected a value after "level:" (at column 7)');
  });
});

describe("malformed and truncated input", () => {
  const broken = 'level:(error or warn) and not service:"x y" and http.status >= 500';

  it("refuses every truncation that leaves an incomplete query", () => {
    const complete = new Set([
      broken,
      broken.slice(0, broken.indexOf(" and not")),
      broken.slice(0, broken.indexOf(" and http")),
    ]);
    for (let end = 1; end <= broken.length; end++) {
      const prefix = broken.slice(0, end);
      let outcome: string;
      try {
        parseQuery(prefix);
        outcome = "parsed";
      } catch (error) {
        expect(error).toBeInstanceOf(QuerySyntaxError);
        const column = (error as QuerySyntaxError).column;
        expect(column).toBeGreaterThanOrEqual(1);
        expect(column).toBeLessThanOrEqual(prefix.length + 1);
        outcome = "refused";
      }
      if (complete.has(prefix)) expect(outcome, prefix).toBe("parsed");
    }
  });

  it("throws only QuerySyntaxError on random input", () => {
    const unit = fc.constantFrom(...'ab :()"\\*<>={}&|\t\u0000\uffff\ud800', "and", "not", "😀");
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 24 }), (query) => {
        try {
          parseQuery(query);
        } catch (error) {
          expect(error).toBeInstanceOf(QuerySyntaxError);
        }
      }),
      { numRuns: 2000, seed: 1 },
    );
  });
});
