import type { ExistsNode, RangeNode, RangeOp, TermNode, WildcardNode } from "./ast.js";
import { QueryFieldError } from "./errors.js";
import {
  type AttrField,
  type AttrsMapField,
  type ColumnField,
  DEFAULT_FIELD,
  type ResolvedField,
  resolveField,
} from "./fields.js";
import { analyze, isWordText } from "./text.js";
import { type DateSpan, parseDateSpan, parseNumber } from "./values.js";

/**
 * One condition of a query, resolved against the schema and typed: what both compilers
 * render. Deciding here (once) what a condition means, and which ones are refused, is what
 * keeps the SQL and the OpenSearch answers the same.
 */
export type Predicate =
  /** Exact value: keyword, ip, number, an attrs key, or any value of the attrs map. */
  | { kind: "eq"; target: ColumnField | AttrField | AttrsMapField; value: string | number }
  /** Full-text: any of `words` (`match`), or all of them in order (`match_phrase`). */
  | { kind: "text"; field: ColumnField; value: string; words: string[]; phrase: boolean }
  /** Wildcard over the whole value of a keyword field or attrs key (case-sensitive). */
  | { kind: "like"; target: ColumnField | AttrField; parts: string[] }
  /** Wildcard over single words of a text field (case-insensitive). */
  | { kind: "word_like"; field: ColumnField; parts: string[] }
  | { kind: "exists"; target: ResolvedField }
  /**
   * Ordering: numbers on numeric columns, strings (binary order) on keywords. On an attrs key
   * a numeric `value` compares numerically in SQL; OpenSearch's flat_object cannot, and
   * compares `text` as a string (see README).
   */
  | { kind: "cmp"; target: ColumnField | AttrField; op: RangeOp; value: string | number; text: string }
  /** Timestamp interval, `from` inclusive and `to` exclusive, epoch milliseconds. */
  | { kind: "time"; field: ColumnField; from?: number; to?: number };

function fieldLabel(name: string | null): string {
  return name ?? DEFAULT_FIELD;
}

function groupError(name: string | null, field: ResolvedField & { type: "group" }): QueryFieldError {
  const members = field.children.map((c) => c.path).join(", ");
  return new QueryFieldError(name, `"${field.path}" is a group of fields; name one of them: ${members}`);
}

function numberValue(name: string | null, field: ColumnField, text: string): number {
  const n = parseNumber(text);
  if (n === undefined) {
    throw new QueryFieldError(name, `"${field.path}" is a number field; "${text}" is not a number`, "value");
  }
  return n;
}

function dateSpan(name: string | null, field: ColumnField, text: string) {
  const span = parseDateSpan(text);
  if (!span) {
    throw new QueryFieldError(
      name,
      `"${field.path}" is a timestamp field; "${text}" is not a date (use e.g. 2026-01-05, "2026-01-05T10:30:00Z" or epoch milliseconds)`,
      "value",
    );
  }
  return span;
}

/** IPv4 or IPv6 text. CIDR blocks are refused: the local store compares ip fields as text. */
function checkIp(name: string | null, field: ColumnField, text: string): void {
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || !/[.:]/.test(text)) {
    throw new QueryFieldError(
      name,
      `"${field.path}" is an IP field; "${text}" is not an IP address`,
      "value",
    );
  }
}

export function planTerm(node: TermNode): Predicate {
  const field = resolveField(node.field);
  switch (field.type) {
    case "group":
      throw groupError(node.field, field);
    case "attr":
    case "attrs":
      return { kind: "eq", target: field, value: node.value };
    case "column":
      switch (field.kind) {
        case "text":
          return { kind: "text", field, value: node.value, words: analyze(node.value), phrase: node.phrase };
        case "keyword":
          return { kind: "eq", target: field, value: node.value };
        case "ip":
          checkIp(node.field, field, node.value);
          return { kind: "eq", target: field, value: node.value };
        case "integer": {
          const n = numberValue(node.field, field, node.value);
          if (!Number.isInteger(n)) {
            throw new QueryFieldError(
              node.field,
              `"${field.path}" holds whole numbers; "${node.value}" never matches (use a range)`,
              "value",
            );
          }
          return { kind: "eq", target: field, value: n };
        }
        case "double":
          return { kind: "eq", target: field, value: numberValue(node.field, field, node.value) };
        case "timestamp": {
          const span = dateSpan(node.field, field, node.value);
          return { kind: "time", field, from: span.start, to: span.end };
        }
      }
  }
}

export function planWildcard(node: WildcardNode): Predicate {
  const field = resolveField(node.field);
  const label = fieldLabel(node.field);
  if (field.type === "group") throw groupError(node.field, field);
  if (field.type === "attrs") {
    throw new QueryFieldError(node.field, `wildcards need an attrs key, e.g. ${field.column}.user_id:abc*`);
  }
  if (field.type === "attr" || field.kind === "keyword")
    return { kind: "like", target: field, parts: node.parts };
  if (field.kind === "text") {
    const bad = node.parts.find((p) => !isWordText(p));
    if (bad !== undefined) {
      throw new QueryFieldError(
        node.field,
        `a wildcard on the full-text field "${field.path}" matches within one word, and "${node.parts.join("*")}" holds characters that are never part of a word; quote it to search for a phrase, or search a keyword field (e.g. http.path:/health*)`,
      );
    }
    return { kind: "word_like", field, parts: node.parts };
  }
  throw new QueryFieldError(
    node.field,
    `wildcards work on text and keyword fields only; "${label}" is a ${field.kind} field`,
  );
}

export function planExists(node: ExistsNode): Predicate {
  return { kind: "exists", target: resolveField(node.field) };
}

/** A comparison with a date is a comparison with one end of the span the date names. */
function timeRange(field: ColumnField, op: RangeOp, span: DateSpan): Predicate {
  switch (op) {
    case "gte":
      return { kind: "time", field, from: span.start };
    case "gt":
      return { kind: "time", field, from: span.end };
    case "lt":
      return { kind: "time", field, to: span.start };
    case "lte":
      return { kind: "time", field, to: span.end };
  }
}

export function planRange(node: RangeNode): Predicate {
  const field = resolveField(node.field);
  switch (field.type) {
    case "group":
      throw groupError(node.field, field);
    case "attrs":
      throw new QueryFieldError(
        node.field,
        `ranges need an attrs key, e.g. ${field.column}.duration_ms > 500`,
      );
    case "attr": {
      const n = parseNumber(node.value);
      return { kind: "cmp", target: field, op: node.op, value: n ?? node.value, text: node.value };
    }
    case "column":
      switch (field.kind) {
        case "keyword":
          return { kind: "cmp", target: field, op: node.op, value: node.value, text: node.value };
        case "integer":
        case "double":
          return {
            kind: "cmp",
            target: field,
            op: node.op,
            value: numberValue(node.field, field, node.value),
            text: node.value,
          };
        case "timestamp":
          return timeRange(field, node.op, dateSpan(node.field, field, node.value));
        case "text":
        case "ip":
          throw new QueryFieldError(
            node.field,
            `ranges work on number, timestamp and keyword fields; "${field.path}" is a ${field.kind} field`,
          );
      }
  }
}
