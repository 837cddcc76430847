import type { QueryNode } from "./ast.js";
import { QuerySyntaxError } from "./errors.js";
import { Lexer, type Token, type WordToken } from "./lexer.js";

/** Longer queries are refused before parsing: nobody types them, and they bound the work. */
export const MAX_QUERY_LENGTH = 16_384;
/** Parentheses and `not` nest at most this deep, so hostile input cannot exhaust the stack. */
export const MAX_QUERY_DEPTH = 64;

/**
 * Parses a DQL query (the OpenSearch Dashboards grammar, subset below) into a tree.
 *
 * - `field:value`, `field:"a phrase"`, bare `value` and `"phrase"` (searched in `message`).
 * - Unquoted values keep their inner whitespace, as DQL does: `message:timed out` is one value
 *   of two words (a full-text match on `message` matches either word; a keyword field must
 *   equal `timed out`). Two conditions need an operator between them:
 *   `level:error service:x` is an error, not an implicit `and`/`or`.
 * - `*` in an unquoted value is a wildcard; `field:*` means the field exists; bare `*` is all.
 * - `field > v`, `>=`, `<`, `<=`.
 * - `and`, `or`, `not` in any case; precedence `not` > `and` > `or`; parentheses group.
 * - Value groups distribute the field: `level:(error or warn)`, `tag:(a and not b)`.
 * - Escapes in unquoted text: `\` before any of `\():<>"*{}`, `\t` `\n` `\r`, and `\and`,
 *   `\or`, `\not` for those words as values. In quotes: `\"` and `\\`.
 *
 * An empty (or all-whitespace) query matches everything. Errors are `QuerySyntaxError`s with a
 * 1-based column.
 */
export function parseQuery(query: string): QueryNode {
  if (query.length > MAX_QUERY_LENGTH) {
    throw new QuerySyntaxError(
      query,
      MAX_QUERY_LENGTH + 1,
      `query is longer than ${MAX_QUERY_LENGTH} characters`,
      "too_long",
    );
  }
  return new Parser(query).parse();
}

function describe(token: Token, query: string): string {
  return token.kind === "eof" ? "end of query" : `"${query.slice(token.start, token.end)}"`;
}

class Parser {
  private readonly lexer: Lexer;
  /** The operator just consumed, so an error right after it can name it. */
  private lastOperator: string | undefined;

  constructor(private readonly query: string) {
    this.lexer = new Lexer(query);
  }

  parse(): QueryNode {
    if (this.lexer.peek().kind === "eof") return { type: "match_all" };
    const node = this.orQuery(0);
    const token = this.lexer.peek();
    if (token.kind !== "eof") {
      if (token.kind === "rparen") throw this.error(token, 'unexpected ")" without a matching "("');
      throw this.unexpected(token, '"and", "or" or end of query');
    }
    return node;
  }

  private error(token: Token, reason: string, code?: string): QuerySyntaxError {
    return new QuerySyntaxError(this.query, token.start + 1, reason, code);
  }

  /** Something other than an operator followed a complete condition. */
  private unexpected(token: Token, expected: string): QuerySyntaxError {
    if (token.kind === "colon") {
      return this.error(token, 'unexpected ":": quote a value that contains ":" or escape it as "\\:"');
    }
    return this.error(token, `expected ${expected}, found ${describe(token, this.query)}`);
  }

  private checkDepth(depth: number, token: Token): void {
    if (depth > MAX_QUERY_DEPTH) {
      throw this.error(token, `query nests deeper than ${MAX_QUERY_DEPTH} levels`, "too_deep");
    }
  }

  private isKeyword(keyword: "and" | "or" | "not"): boolean {
    const token = this.lexer.peek();
    return token.kind === "word" && token.keyword === keyword;
  }

  private orQuery(depth: number): QueryNode {
    const children = [this.andQuery(depth)];
    while (this.isKeyword("or")) {
      this.lastOperator = "or";
      this.lexer.next();
      children.push(this.andQuery(depth));
    }
    return children.length === 1 ? children[0]! : { type: "or", children };
  }

  private andQuery(depth: number): QueryNode {
    const children = [this.notQuery(depth)];
    while (this.isKeyword("and")) {
      this.lastOperator = "and";
      this.lexer.next();
      children.push(this.notQuery(depth));
    }
    return children.length === 1 ? children[0]! : { type: "and", children };
  }

  private notQuery(depth: number): QueryNode {
    if (!this.isKeyword("not")) return this.subQuery(depth);
    const token = this.lexer.next();
    this.checkDepth(depth + 1, token);
    this.lastOperator = "not";
    return { type: "not", child: this.notQuery(depth + 1) };
  }

  private subQuery(depth: number): QueryNode {
    const token = this.lexer.peek();
    switch (token.kind) {
      case "lparen": {
        this.lexer.next();
        this.checkDepth(depth + 1, token);
        if (this.lexer.peek().kind === "rparen")
          throw this.error(this.lexer.peek(), "expected a condition inside ( )");
        this.lastOperator = undefined;
        const node = this.orQuery(depth + 1);
        this.closeParen(token, '"and", "or" or ")"');
        return node;
      }
      case "word":
        if (token.keyword) throw this.error(token, `expected a condition, found "${token.keyword}"`);
        return this.clause(depth);
      case "quoted":
        return this.clause(depth);
      case "eof":
        throw this.error(
          token,
          this.lastOperator ? `expected a condition after "${this.lastOperator}"` : "expected a condition",
        );
      case "colon":
        throw this.error(token, 'expected a field name before ":"');
      case "range":
        throw this.error(token, `expected a field name before "${token.symbol}"`);
      case "lbrace":
      case "rbrace":
        throw this.error(token, "nested field queries ({ }) are not supported");
      case "rparen":
        throw this.error(token, 'expected a condition, found ")"');
    }
  }

  private closeParen(open: Token, expected: string): void {
    const token = this.lexer.peek();
    if (token.kind === "rparen") {
      this.lexer.next();
      return;
    }
    if (token.kind === "eof") throw this.error(open, 'expected ")" to close this "("');
    throw this.unexpected(token, expected);
  }

  /** `field:values`, `field <op> value`, or a bare value. */
  private clause(depth: number): QueryNode {
    const first = this.lexer.next() as WordToken | Extract<Token, { kind: "quoted" }>;
    const after = this.lexer.peek();
    if (after.kind === "colon") {
      const field = this.fieldName(first);
      this.lexer.next();
      return this.listOfValues(field, depth);
    }
    if (after.kind === "range") {
      const field = this.fieldName(first);
      this.lexer.next();
      return { type: "range", field, op: after.op, value: this.rangeValue(after) };
    }
    return this.valueFrom(first, null);
  }

  private fieldName(token: WordToken | Extract<Token, { kind: "quoted" }>): string {
    if (token.kind === "quoted") {
      if (token.text.length === 0) throw this.error(token, "a field name cannot be empty");
      return token.text;
    }
    if (token.parts.length > 1) throw this.error(token, 'wildcards ("*") in field names are not supported');
    return token.parts[0]!;
  }

  private rangeValue(operator: Extract<Token, { kind: "range" }>): string {
    const token = this.lexer.peek();
    if (token.kind === "quoted") {
      this.lexer.next();
      return token.text;
    }
    if (token.kind === "word" && !token.keyword) {
      this.lexer.next();
      if (token.parts.length > 1) throw this.error(token, 'a range value cannot contain a wildcard ("*")');
      return token.parts[0]!;
    }
    throw this.error(
      token,
      `expected a value after "${operator.symbol}", found ${describe(token, this.query)}`,
    );
  }

  /** After `field:`: one value, or a parenthesised group of values with and/or/not. */
  private listOfValues(field: string, depth: number): QueryNode {
    const token = this.lexer.peek();
    if (token.kind === "lparen") {
      this.lexer.next();
      this.checkDepth(depth + 1, token);
      if (this.lexer.peek().kind === "rparen")
        throw this.error(this.lexer.peek(), "expected a value inside ( )");
      const node = this.orValues(field, depth + 1);
      this.closeParen(token, '"and", "or" or ")"');
      return node;
    }
    if (token.kind === "quoted" || (token.kind === "word" && !token.keyword)) {
      this.lexer.next();
      return this.valueFrom(token, field);
    }
    if (token.kind === "word") {
      throw this.error(
        token,
        `expected a value after "${field}:", found "${token.keyword}" (quote it to search for the word)`,
      );
    }
    if (token.kind === "range") {
      throw this.error(
        token,
        `expected a value after ":"; a range is written "${field} ${token.symbol} value"`,
      );
    }
    if (token.kind === "lbrace") throw this.error(token, "nested field queries ({ }) are not supported");
    throw this.error(token, `expected a value after "${field}:"`);
  }

  private orValues(field: string, depth: number): QueryNode {
    const children = [this.andValues(field, depth)];
    while (this.isKeyword("or")) {
      this.lexer.next();
      children.push(this.andValues(field, depth));
    }
    return children.length === 1 ? children[0]! : { type: "or", children };
  }

  private andValues(field: string, depth: number): QueryNode {
    const children = [this.notValues(field, depth)];
    while (this.isKeyword("and")) {
      this.lexer.next();
      children.push(this.notValues(field, depth));
    }
    return children.length === 1 ? children[0]! : { type: "and", children };
  }

  private notValues(field: string, depth: number): QueryNode {
    if (!this.isKeyword("not")) return this.listOfValues(field, depth);
    const token = this.lexer.next();
    this.checkDepth(depth + 1, token);
    return { type: "not", child: this.notValues(field, depth + 1) };
  }

  /**
   * Builds the node for a value whose first token was already read. Unquoted words that
   * follow are part of the same value, with the whitespace between them kept.
   */
  private valueFrom(first: WordToken | Extract<Token, { kind: "quoted" }>, field: string | null): QueryNode {
    if (first.kind === "quoted") return { type: "term", field, value: first.text, phrase: true };
    const parts = [...first.parts];
    let last = first;
    for (;;) {
      const token = this.lexer.peek();
      if (token.kind !== "word" || token.keyword) break;
      this.lexer.next();
      const gap = this.query.slice(last.end, token.start);
      parts[parts.length - 1] += gap + token.parts[0]!;
      parts.push(...token.parts.slice(1));
      last = token;
    }
    const after = this.lexer.peek();
    if (last !== first && (after.kind === "colon" || after.kind === "range")) {
      const word = this.query.slice(last.start, last.end);
      throw this.error(last, `missing "and" or "or" before "${word}"`);
    }
    if (parts.length === 1) return { type: "term", field, value: parts[0]!, phrase: false };
    if (parts.every((p) => p === ""))
      return field === null ? { type: "match_all" } : { type: "exists", field };
    return { type: "wildcard", field, parts };
  }
}
