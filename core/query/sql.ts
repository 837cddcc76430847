import { DUCKDB_TYPE, quoteDuckIdent } from "../event/projections/duckdb.js";
import { type QueryNode, type QueryVisitor, type RangeOp, visitQuery } from "./ast.js";
import type { AttrField, ColumnField, ResolvedField } from "./fields.js";
import { parseQuery } from "./parse.js";
import { type Predicate, planExists, planRange, planTerm, planWildcard } from "./plan.js";
import { phrasePattern, TOKEN_RE2, wordWildcardPatterns } from "./text.js";
import { sqlTimestamp } from "./values.js";

/** A value bound to a `$n` placeholder. */
export type SqlParam = string | number;

export interface SqlCompileOptions {
  /** Placeholders already used by the surrounding statement: with 2, the first one is `$3`. */
  paramOffset?: number;
  /** Table alias to qualify every column with (`e` gives `"e"."level"`). */
  qualifier?: string;
}

/** A `WHERE` condition for the events table and the values for its placeholders, in order. */
export interface SqlWhere {
  where: string;
  params: SqlParam[];
}

const SQL_OP: Record<RangeOp, string> = { gt: ">", gte: ">=", lt: "<", lte: "<=" };
const TIMESTAMP_TYPE = DUCKDB_TYPE.timestamp;

/** SQL text plus whether it can be NULL (a missing field), which only `not` has to care about. */
interface Fragment {
  sql: string;
  nullable: boolean;
}

/** `%`, `_` and the escape character itself are literal in a DQL value. */
function likePattern(parts: readonly string[]): string {
  return parts.map((p) => p.replace(/[\\%_]/g, "\\$&")).join("%");
}

/**
 * Compiles DQL to a DuckDB condition over the events table (`duckdbCreateTableDdl`). Every
 * user value is a positional parameter; the SQL text holds only identifiers from the schema
 * and constants of this module.
 *
 * Semantics, matching what OpenSearch returns for the same query:
 * - keyword fields: exact, case-sensitive; wildcards are `LIKE … ESCAPE '\'`.
 * - `message`: whole-word, case-insensitive matching under the word model of `text.ts`
 *   (`regexp_matches` with word boundaries); an unquoted value matches any of its words,
 *   a quoted one all of them in order; a wildcard matches within one word.
 * - a missing field never matches, so `not` of it does: `not level:error` includes events
 *   without a level (`NOT coalesce(…, FALSE)` where the operand can be NULL).
 * - attrs keys are `attrs[key]` lookups; a numeric range compares `TRY_CAST(… AS DOUBLE)`.
 */
export function compileToSql(query: QueryNode | string, options: SqlCompileOptions = {}): SqlWhere {
  const ast = typeof query === "string" ? parseQuery(query) : query;
  const params: SqlParam[] = [];
  const offset = options.paramOffset ?? 0;
  const prefix = options.qualifier === undefined ? "" : `${quoteDuckIdent(options.qualifier)}.`;
  const bind = (value: SqlParam) => `$${offset + params.push(value)}`;
  const column = (field: ColumnField) => prefix + field.segments.map(quoteDuckIdent).join(".");
  const attrValue = (field: AttrField) => `${prefix}${quoteDuckIdent(field.column)}[${bind(field.key)}]`;
  const target = (t: ColumnField | AttrField) => (t.type === "column" ? column(t) : attrValue(t));
  const nullable = (t: ColumnField | AttrField) => t.type === "attr" || t.nullable;

  const exists = (t: ResolvedField): Fragment => {
    switch (t.type) {
      case "column":
        return { sql: `${column(t)} IS NOT NULL`, nullable: false };
      case "attr":
        return { sql: `${attrValue(t)} IS NOT NULL`, nullable: false };
      case "attrs": {
        const map = prefix + quoteDuckIdent(t.column);
        return { sql: `(${map} IS NOT NULL AND cardinality(${map}) > 0)`, nullable: false };
      }
      case "group":
        return {
          sql: `(${t.children.map((c) => `${column(c)} IS NOT NULL`).join(" OR ")})`,
          nullable: false,
        };
    }
  };

  const render = (p: Predicate): Fragment => {
    switch (p.kind) {
      case "eq":
        if (p.target.type === "attrs") {
          const map = prefix + quoteDuckIdent(p.target.column);
          return { sql: `list_contains(map_values(${map}), ${bind(p.value)})`, nullable: true };
        }
        return { sql: `${target(p.target)} = ${bind(p.value)}`, nullable: nullable(p.target) };
      case "text": {
        const col = column(p.field);
        if (p.words.length === 0) return { sql: "FALSE", nullable: false };
        if (p.phrase)
          return {
            sql: `regexp_matches(${col}, ${bind(phrasePattern(p.words))})`,
            nullable: p.field.nullable,
          };
        const words = [...new Set(p.words)];
        const tests = words.map((w) => `regexp_matches(${col}, ${bind(phrasePattern([w]))})`);
        return {
          sql: tests.length === 1 ? tests[0]! : `(${tests.join(" OR ")})`,
          nullable: p.field.nullable,
        };
      }
      case "like":
        return {
          sql: `${target(p.target)} LIKE ${bind(likePattern(p.parts))} ESCAPE '\\'`,
          nullable: nullable(p.target),
        };
      case "word_like": {
        const col = column(p.field);
        const { fast, approx, exact } = wordWildcardPatterns(p.parts);
        const words = `array_to_string(regexp_extract_all(lower(${col}), '${TOKEN_RE2}'), ' ')`;
        // DuckDB evaluates OR and AND lazily over the rows still undecided, so the word
        // split only runs on rows the two single-regex tests cannot settle. Placeholders are
        // bound in the order they appear in the text.
        const first = fast === undefined ? "" : `regexp_matches(${col}, ${bind(fast)}) OR `;
        const slow = `(regexp_matches(${col}, ${bind(approx)}) AND regexp_matches(${words}, ${bind(exact)}))`;
        return { sql: first ? `(${first}${slow})` : slow, nullable: p.field.nullable };
      }
      case "exists":
        return exists(p.target);
      case "cmp": {
        const op = SQL_OP[p.op];
        if (p.target.type === "attr" && typeof p.value === "number") {
          return { sql: `TRY_CAST(${attrValue(p.target)} AS DOUBLE) ${op} ${bind(p.value)}`, nullable: true };
        }
        return { sql: `${target(p.target)} ${op} ${bind(p.value)}`, nullable: nullable(p.target) };
      }
      case "time": {
        const col = column(p.field);
        const bounds: string[] = [];
        if (p.from !== undefined)
          bounds.push(`${col} >= CAST(${bind(sqlTimestamp(p.from))} AS ${TIMESTAMP_TYPE})`);
        if (p.to !== undefined)
          bounds.push(`${col} < CAST(${bind(sqlTimestamp(p.to))} AS ${TIMESTAMP_TYPE})`);
        return {
          sql: bounds.length === 1 ? bounds[0]! : `(${bounds.join(" AND ")})`,
          nullable: p.field.nullable,
        };
      }
    }
  };

  const visitor: QueryVisitor<Fragment> = {
    matchAll: () => ({ sql: "TRUE", nullable: false }),
    and: (children) => ({
      sql: `(${children.map((c) => c.sql).join(" AND ")})`,
      nullable: children.some((c) => c.nullable),
    }),
    or: (children) => ({
      sql: `(${children.map((c) => c.sql).join(" OR ")})`,
      nullable: children.some((c) => c.nullable),
    }),
    // NOT of NULL is NULL, which would drop events that lack the field; OpenSearch keeps them.
    not: (child) => ({
      sql: child.nullable ? `NOT coalesce(${child.sql}, FALSE)` : `NOT (${child.sql})`,
      nullable: false,
    }),
    term: (node) => render(planTerm(node)),
    wildcard: (node) => render(planWildcard(node)),
    exists: (node) => render(planExists(node)),
    range: (node) => render(planRange(node)),
  };
  return { where: visitQuery(ast, visitor).sql, params };
}
