import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatQuery, type QueryNode, type RangeOp } from "../../../core/query/ast.js";
import { QuerySyntaxError } from "../../../core/query/errors.js";
import { MAX_QUERY_DEPTH, MAX_QUERY_LENGTH, parseQuery } from "../../../core/query/parse.js";

const t = (field: string | null, value: string, phrase = false): QueryNode => ({
  type: "term",
  field,
  value,
  phrase,
});
const w = (field: string | null, ...parts: string[]): QueryNode => ({ type: "wildcard", field, parts });
const ex = (field: string): QueryNode => ({ type: "exists", field });
const rg = (field: string, op: RangeOp, value: string): QueryNode => ({ type: "range", field, op, value });
const and = (...children: QueryNode[]): QueryNode => ({ type: "and", children });
const or = (...children: QueryNode[]): QueryNode => ({ type: "or", children });
const not = (child: QueryNode): QueryNode => ({ type: "not", child });
const all: QueryNode = { type: "match_all" };

describe("parseQuery", () => {
  const CASES: Array<[string, QueryNode]> = [
    // field:value and bare values
    ["level:error", t("level", "error")],
    ["level : error", t("level", "error")],
    ['message:"order placed"', t("message", "order placed", true)],
    ['"order placed"', t(null, "order placed", true)],
    ["timed out", t(null, "timed out")],
    ["message:timed   out", t("message", "timed   out")],
    ['message:""', t("message", "", true)],
    ['"@timestamp" >= 5', rg("@timestamp", "gte", "5")],
    ["message:cannot connect", t("message", "cannot connect")],
    ["notice:x", t("notice", "x")],
    // nested paths
    ["http.status:200", t("http.status", "200")],
    ["attrs.user.id:42", t("attrs.user.id", "42")],
    // wildcards
    ["path:/health*", w("path", "/health", "")],
    ["*tail", w(null, "", "tail")],
    ["a*b*c", w(null, "a", "b", "c")],
    ["service:my serv*", w("service", "my serv", "")],
    ["field:*", ex("field")],
    ["field:**", ex("field")],
    ["*", all],
    ["", all],
    ["  \t\n ", all],
    // ranges
    ["http.status >= 500", rg("http.status", "gte", "500")],
    ["http.status>500", rg("http.status", "gt", "500")],
    ["http.status < 500", rg("http.status", "lt", "500")],
    ["http.status<=500", rg("http.status", "lte", "500")],
    ["@timestamp >= 2026-01-01", rg("@timestamp", "gte", "2026-01-01")],
    ['@timestamp < "2026-01-02T10:00:00Z"', rg("@timestamp", "lt", "2026-01-02T10:00:00Z")],
    // precedence: not > and > or
    ["a or b and c", or(t(null, "a"), and(t(null, "b"), t(null, "c")))],
    ["a and b or c", or(and(t(null, "a"), t(null, "b")), t(null, "c"))],
    ["not a and b", and(not(t(null, "a")), t(null, "b"))],
    ["not (a or b)", not(or(t(null, "a"), t(null, "b")))],
    ["(a or b) and c", and(or(t(null, "a"), t(null, "b")), t(null, "c"))],
    ["a and b and c", and(t(null, "a"), t(null, "b"), t(null, "c"))],
    ["a or b or c", or(t(null, "a"), t(null, "b"), t(null, "c"))],
    ["a and (b or (c and not d))", and(t(null, "a"), or(t(null, "b"), and(t(null, "c"), not(t(null, "d")))))],
    ["not not a", not(not(t(null, "a")))],
    ["not(a)", not(t(null, "a"))],
    ["(level:error)", t("level", "error")],
    // operators in any case
    ["LEVEL:x AND b Or NOT c", or(and(t("LEVEL", "x"), t(null, "b")), not(t(null, "c")))],
    // value groups distribute the field
    ["level:(error or warn)", or(t("level", "error"), t("level", "warn"))],
    [
      "level:(error or warn and fatal)",
      or(t("level", "error"), and(t("level", "warn"), t("level", "fatal"))),
    ],
    ["tag:(a and not b)", and(t("tag", "a"), not(t("tag", "b")))],
    ["level:(not debug)", not(t("level", "debug"))],
    ["level:((a or b) and c)", and(or(t("level", "a"), t("level", "b")), t("level", "c"))],
    ['message:("a b" or c*)', or(t("message", "a b", true), w("message", "c", ""))],
    ["level:(a b)", t("level", "a b")],
    // escapes
    ["path:C\\:\\\\temp", t("path", "C:\\temp")],
    ["service:a\\*b", t("service", "a*b")],
    ["service:a\\*b*", w("service", "a*b", "")],
    ['message:"say \\"hi\\""', t("message", 'say "hi"', true)],
    ['"a\\\\b"', t(null, "a\\b", true)],
    ['"C:\\data"', t(null, "C:\\data", true)],
    ['"a\\tb"', t(null, "a\tb", true)],
    ["message:\\and", t("message", "and")],
    ["message:\\NOT", t("message", "NOT")],
    ["message:\\nothing", t("message", "\nothing")],
    ["message:\\(x\\)", t("message", "(x)")],
    ["a\\tb", t(null, "a\tb")],
    ["\\<\\>\\{\\}", t(null, "<>{}")],
  ];

  it.each(CASES)("parses %j", (query, expected) => {
    expect(parseQuery(query)).toEqual(expected);
  });

  it("keeps hostile field names as plain strings", () => {
    expect(parseQuery("__proto__:x and constructor:y")).toEqual(
      and(t("__proto__", "x"), t("constructor", "y")),
    );
  });

  it("accepts a query of the maximum length", () => {
    const query = `message:${"a".repeat(MAX_QUERY_LENGTH - 8)}`;
    expect(parseQuery(query)).toEqual(t("message", "a".repeat(MAX_QUERY_LENGTH - 8)));
  });

  it("refuses a longer query before parsing it", () => {
    const error = catchSyntax(() => parseQuery("a".repeat(MAX_QUERY_LENGTH + 1)));
    expect(error.code).toBe("too_long");
    expect(error.column).toBe(MAX_QUERY_LENGTH + 1);
  });

  it("accepts nesting up to the depth limit", () => {
    const query = `${"(".repeat(MAX_QUERY_DEPTH)}a${")".repeat(MAX_QUERY_DEPTH)}`;
    expect(parseQuery(query)).toEqual(t(null, "a"));
  });

  it("refuses deeper nesting instead of exhausting the stack", () => {
    const depth = 5000;
    const error = catchSyntax(() => parseQuery(`${"(".repeat(depth)}a${")".repeat(depth)}`));
    expect(error.code).toBe("too_deep");
    expect(error.column).toBe(MAX_QUERY_DEPTH + 1);
  });

  it("refuses a long chain of not as too deep", () => {
    const error = catchSyntax(() => parseQuery(`${"not ".repeat(1000)}a`));
    expect(error.code).toBe("too_deep");
  });

  it("parses a long flat chain of or without recursion", () => {
    const query = Array.from({ length: 1500 }, (_, i) => `f:${i}`).join(" or ");
    const node = parseQuery(query);
    expect(node.type === "or" && node.children.length).toBe(1500);
  });
});

function catchSyntax(fn: () => unknown): QuerySyntaxError {
  try {
    fn();
  } catch (error) {
    if (error instanceof QuerySyntaxError) return error;
    throw error;
  }
  throw new Error("expected a QuerySyntaxError");
}

describe("formatQuery", () => {
  it("prints compound children in parentheses and escapes values", () => {
    const node = and(
      or(t("level", "error"), t("level", "warn")),
      not(w("path", "/he(al)th", "")),
      t(null, "and"),
    );
    expect(formatQuery(node)).toBe("(level:error or level:warn) and not path:/he\\(al\\)th* and \\and");
  });

  it("quotes phrases and range values with spaces", () => {
    expect(formatQuery(t("message", 'say "hi"', true))).toBe('message:"say \\"hi\\""');
    expect(formatQuery(rg("@timestamp", "gte", "2026-01-01 10:00"))).toBe('@timestamp >= "2026-01-01 10:00"');
  });

  /** Random trees, printed and parsed back, come back unchanged. */
  it("round-trips through parseQuery", () => {
    const unit = fc.constantFrom(...'abZ1.é-@/:()*\\"<>{}', "and", "or", "not", "AND", " ");
    const raw = fc.string({ unit, minLength: 1, maxLength: 8 });
    const word = raw.filter((s) => s.trim() === s && s.length > 0);
    const field = fc.oneof(fc.constantFrom("level", "http.status", "attrs.user.id"), word);
    const phrase = fc.string({ unit: fc.constantFrom(...'a \\"\t*:'), maxLength: 6 });
    const parts = fc
      .array(fc.string({ unit, maxLength: 4 }), { minLength: 2, maxLength: 4 })
      .filter((p) => p.some((x) => x !== "") && p.join("*").trim() === p.join("*"));
    const op = fc.constantFrom<RangeOp>("gt", "gte", "lt", "lte");
    const leaf: fc.Arbitrary<QueryNode> = fc.oneof(
      fc.record({ field: fc.option(field, { nil: null }), value: word }).map((r) => t(r.field, r.value)),
      fc
        .record({ field: fc.option(field, { nil: null }), value: phrase })
        .map((r) => t(r.field, r.value, true)),
      fc.record({ field: fc.option(field, { nil: null }), parts }).map((r) => w(r.field, ...r.parts)),
      field.map(ex),
      fc.record({ field, op, value: raw }).map((r) => rg(r.field, r.op, r.value)),
    );
    const tree = fc.letrec<{ node: QueryNode }>((tie) => ({
      node: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        leaf,
        fc.array(tie("node"), { minLength: 2, maxLength: 3 }).map((c) => and(...c)),
        fc.array(tie("node"), { minLength: 2, maxLength: 3 }).map((c) => or(...c)),
        tie("node").map(not),
      ),
    })).node;
    fc.assert(
      fc.property(tree, (node) => {
        expect(parseQuery(formatQuery(node))).toEqual(node);
      }),
      { numRuns: 400, seed: 42 },
    );
  });
});
