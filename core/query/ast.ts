/**
 * The syntax tree of a Dashboards Query Language (DQL) query, shared by every compiler
 * (DuckDB SQL, OpenSearch query DSL). It records what the user typed; what a field name
 * means (column, attrs key, alias) is decided later by `fields.ts`.
 */

export type RangeOp = "gt" | "gte" | "lt" | "lte";

/** Empty query, or a bare `*`: every event. */
export interface MatchAllNode {
  type: "match_all";
}

/** `a and b and c`: two or more children, all must match. */
export interface AndNode {
  type: "and";
  children: QueryNode[];
}

/** `a or b or c`: two or more children, at least one must match. */
export interface OrNode {
  type: "or";
  children: QueryNode[];
}

/** `not a`. A field the event lacks does not match, so `not` of it does. */
export interface NotNode {
  type: "not";
  child: QueryNode;
}

/**
 * `field:value`, `field:"a phrase"`, or a bare value (`field` is `null`, searched in the
 * default field). `value` is unescaped; an unquoted value may hold several words
 * (`message:timed out`), exactly as DQL keeps them.
 */
export interface TermNode {
  type: "term";
  field: string | null;
  value: string;
  /** The value was quoted. */
  phrase: boolean;
}

/**
 * An unquoted value with at least one `*`: `parts` are the literal pieces between the
 * wildcards (`/health*` → `["/health", ""]`), so `parts.length` is the wildcard count + 1.
 */
export interface WildcardNode {
  type: "wildcard";
  field: string | null;
  parts: string[];
}

/** `field:*`: the event has a value for the field. */
export interface ExistsNode {
  type: "exists";
  field: string;
}

/** `field >= value` (also `>`, `<`, `<=`); `value` is unescaped, not yet typed. */
export interface RangeNode {
  type: "range";
  field: string;
  op: RangeOp;
  value: string;
}

export type QueryNode =
  | MatchAllNode
  | AndNode
  | OrNode
  | NotNode
  | TermNode
  | WildcardNode
  | ExistsNode
  | RangeNode;

/**
 * One method per node type; compound nodes receive their children already compiled, so a
 * compiler is a bottom-up fold and both compilers share this one walk.
 */
export interface QueryVisitor<R> {
  matchAll(node: MatchAllNode): R;
  and(children: R[], node: AndNode): R;
  or(children: R[], node: OrNode): R;
  not(child: R, node: NotNode): R;
  term(node: TermNode): R;
  wildcard(node: WildcardNode): R;
  exists(node: ExistsNode): R;
  range(node: RangeNode): R;
}

export function visitQuery<R>(node: QueryNode, visitor: QueryVisitor<R>): R {
  switch (node.type) {
    case "match_all":
      return visitor.matchAll(node);
    case "and":
      return visitor.and(
        node.children.map((c) => visitQuery(c, visitor)),
        node,
      );
    case "or":
      return visitor.or(
        node.children.map((c) => visitQuery(c, visitor)),
        node,
      );
    case "not":
      return visitor.not(visitQuery(node.child, visitor), node);
    case "term":
      return visitor.term(node);
    case "wildcard":
      return visitor.wildcard(node);
    case "exists":
      return visitor.exists(node);
    case "range":
      return visitor.range(node);
  }
}

/** Characters that end an unquoted word unless escaped with a backslash. */
export const SPECIAL_CHARACTERS = '\\():<>"*{}';

const KEYWORDS = new Set(["and", "or", "not"]);

function escapeWord(text: string): string {
  let out = "";
  for (const ch of text) {
    if (SPECIAL_CHARACTERS.includes(ch)) out += `\\${ch}`;
    else if (ch === "\t") out += "\\t";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else out += ch;
  }
  // A word spelled like an operator would be read as the operator.
  return out
    .split(" ")
    .map((w) => (KEYWORDS.has(w.toLowerCase()) ? `\\${w}` : w))
    .join(" ");
}

function quote(text: string): string {
  return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** An unquoted value must be non-empty and must not start or end with whitespace. */
function printValue(value: string): string {
  return value.length > 0 && value.trim() === value && !/[\t\r\n]/.test(value)
    ? escapeWord(value)
    : quote(value);
}

function printField(field: string): string {
  return /^\S+$/.test(field) ? escapeWord(field) : quote(field);
}

const RANGE_SYMBOL: Record<RangeOp, string> = { gt: ">", gte: ">=", lt: "<", lte: "<=" };

/**
 * Prints a tree back as DQL that parses to the same tree: compound children are always
 * parenthesised, values escaped or quoted as needed. Used to show a normalised query and to
 * test the parser by round trip.
 */
export function formatQuery(node: QueryNode): string {
  const child = (c: QueryNode) =>
    c.type === "and" || c.type === "or" ? `(${formatQuery(c)})` : formatQuery(c);
  switch (node.type) {
    case "match_all":
      return "*";
    case "and":
      return node.children.map(child).join(" and ");
    case "or":
      return node.children.map(child).join(" or ");
    case "not":
      return `not ${child(node.child)}`;
    case "term": {
      const value = node.phrase ? quote(node.value) : printValue(node.value);
      return node.field === null ? value : `${printField(node.field)}:${value}`;
    }
    case "wildcard": {
      const value = node.parts.map(escapeWord).join("*");
      return node.field === null ? value : `${printField(node.field)}:${value}`;
    }
    case "exists":
      return `${printField(node.field)}:*`;
    case "range": {
      // A range takes one word: anything with whitespace is quoted.
      const value = /^\S+$/.test(node.value) ? escapeWord(node.value) : quote(node.value);
      return `${printField(node.field)} ${RANGE_SYMBOL[node.op]} ${value}`;
    }
  }
}
