import { type QueryNode, type QueryVisitor, visitQuery } from "./ast.js";
import type { ResolvedField } from "./fields.js";
import { parseQuery } from "./parse.js";
import { type Predicate, planExists, planRange, planTerm, planWildcard } from "./plan.js";
import { isoMillis } from "./values.js";

/** A query DSL clause, the value of a search body's `query`. */
export type OpenSearchQuery = Record<string, unknown>;

/** In a `wildcard` query `*` and `?` are operators and `\` escapes; everything else is literal. */
function wildcardValue(parts: readonly string[]): string {
  return parts.map((p) => p.replace(/[\\*?]/g, "\\$&")).join("*");
}

function fieldPath(field: ResolvedField): string {
  return field.type === "attrs" ? field.column : field.path;
}

function render(p: Predicate): OpenSearchQuery {
  switch (p.kind) {
    case "eq":
      return { term: { [fieldPath(p.target)]: p.value } };
    case "text":
      return { [p.phrase ? "match_phrase" : "match"]: { [p.field.path]: p.value } };
    case "like":
      return { wildcard: { [p.target.path]: { value: wildcardValue(p.parts) } } };
    case "word_like":
      // Indexed words are lower-cased by the analyzer; a wildcard pattern is not analyzed.
      return { wildcard: { [p.field.path]: { value: wildcardValue(p.parts.map((x) => x.toLowerCase())) } } };
    case "exists":
      return { exists: { field: fieldPath(p.target) } };
    case "cmp":
      // flat_object keeps every value as a string, so an attrs range compares the text.
      return { range: { [p.target.path]: { [p.op]: p.target.type === "attr" ? p.text : p.value } } };
    case "time": {
      const bounds: Record<string, string> = {};
      if (p.from !== undefined) bounds["gte"] = isoMillis(p.from);
      if (p.to !== undefined) bounds["lt"] = isoMillis(p.to);
      return { range: { [p.field.path]: bounds } };
    }
  }
}

const visitor: QueryVisitor<OpenSearchQuery> = {
  matchAll: () => ({ match_all: {} }),
  and: (children) => ({ bool: { must: children } }),
  or: (children) => ({ bool: { should: children, minimum_should_match: 1 } }),
  not: (child) => ({ bool: { must_not: [child] } }),
  term: (node) => render(planTerm(node)),
  wildcard: (node) => render(planWildcard(node)),
  exists: (node) => render(planExists(node)),
  range: (node) => render(planRange(node)),
};

/**
 * Compiles DQL to an OpenSearch query clause for the logpipe index template
 * (`openSearchMappings`), with the same meaning as `compileToSql`:
 * - keyword and ip fields → `term`; numbers → `term` with a number; timestamps → `range`
 *   over the span the date names (so `@timestamp:2026-01-05` is that whole day);
 * - `message` → `match` (unquoted: any word) or `match_phrase` (quoted);
 * - wildcards → `wildcard` on the field itself: case-sensitive on keywords; on `message` it
 *   is matched against the analyzed words, lower-cased (not `message.keyword`, which skips
 *   messages over 256 characters);
 * - `field:*` → `exists`; ranges → `range`;
 * - `and` / `or` / `not` → `bool` `must` / `should` (minimum_should_match 1) / `must_not`;
 * - attrs keys → the flat_object sub-path `attrs.<key>`.
 */
export function compileToOpenSearch(query: QueryNode | string): OpenSearchQuery {
  const ast = typeof query === "string" ? parseQuery(query) : query;
  return visitQuery(ast, visitor);
}
