import { type RangeOp, SPECIAL_CHARACTERS } from "./ast.js";
import { QuerySyntaxError } from "./errors.js";

/**
 * DQL tokens. Whitespace separates tokens but is not one: the parser rebuilds multi-word
 * values from the offsets, because DQL keeps the whitespace inside an unquoted value.
 */
export type Token =
  | {
      kind: "word";
      /** Literal pieces between unescaped `*`; one piece when there is no wildcard. */
      parts: string[];
      /** Set when the word is an unescaped `and`/`or`/`not` (any case). */
      keyword?: "and" | "or" | "not";
      start: number;
      end: number;
    }
  | { kind: "quoted"; text: string; start: number; end: number }
  | { kind: "range"; op: RangeOp; symbol: string; start: number; end: number }
  | { kind: "lparen" | "rparen" | "colon" | "lbrace" | "rbrace" | "eof"; start: number; end: number };

export type WordToken = Extract<Token, { kind: "word" }>;

/** DQL's whitespace set. */
const WHITESPACE = " \t\r\n";
const KEYWORDS = ["and", "or", "not"] as const;
const ESCAPED_WHITESPACE: Record<string, string> = { t: "\t", n: "\n", r: "\r" };

function isWordEnd(ch: string | undefined): boolean {
  return ch === undefined || WHITESPACE.includes(ch) || SPECIAL_CHARACTERS.includes(ch);
}

/** Reads tokens on demand, so the first error in the text is the one reported. */
export class Lexer {
  private pos = 0;
  private peeked: Token | undefined;

  constructor(readonly query: string) {}

  peek(): Token {
    this.peeked ??= this.read();
    return this.peeked;
  }

  next(): Token {
    const token = this.peek();
    this.peeked = undefined;
    return token;
  }

  private error(offset: number, reason: string): QuerySyntaxError {
    return new QuerySyntaxError(this.query, offset + 1, reason);
  }

  private read(): Token {
    const q = this.query;
    while (this.pos < q.length && WHITESPACE.includes(q[this.pos]!)) this.pos++;
    const start = this.pos;
    const ch = q[start];
    if (ch === undefined) return { kind: "eof", start, end: start };
    const single = (kind: "lparen" | "rparen" | "colon" | "lbrace" | "rbrace"): Token => {
      this.pos = start + 1;
      return { kind, start, end: this.pos };
    };
    switch (ch) {
      case "(":
        return single("lparen");
      case ")":
        return single("rparen");
      case ":":
        return single("colon");
      case "{":
        return single("lbrace");
      case "}":
        return single("rbrace");
      case "<":
      case ">": {
        const inclusive = q[start + 1] === "=";
        this.pos = start + (inclusive ? 2 : 1);
        const op: RangeOp = ch === "<" ? (inclusive ? "lte" : "lt") : inclusive ? "gte" : "gt";
        return { kind: "range", op, symbol: q.slice(start, this.pos), start, end: this.pos };
      }
      case '"':
        return this.readQuoted(start);
      default:
        return this.readWord(start);
    }
  }

  /** Inside quotes `\"` and `\\` escape, `\t` `\n` `\r` are whitespace, any other `\` is literal. */
  private readQuoted(start: number): Token {
    const q = this.query;
    let text = "";
    let i = start + 1;
    for (;;) {
      const ch = q[i];
      if (ch === undefined) throw this.error(start, 'unterminated quoted value: expected a closing "');
      if (ch === '"') break;
      if (ch === "\\") {
        const nextCh = q[i + 1];
        if (nextCh === '"' || nextCh === "\\") {
          text += nextCh;
          i += 2;
          continue;
        }
        const ws = nextCh === undefined ? undefined : ESCAPED_WHITESPACE[nextCh];
        if (ws !== undefined) {
          text += ws;
          i += 2;
          continue;
        }
      }
      text += ch;
      i++;
    }
    this.pos = i + 1;
    return { kind: "quoted", text, start, end: this.pos };
  }

  private readWord(start: number): Token {
    const q = this.query;
    const parts: string[] = [];
    let current = "";
    let escaped = false;
    let i = start;
    while (!isWordEnd(q[i]) || q[i] === "\\" || q[i] === "*") {
      const ch = q[i]!;
      if (ch === "*") {
        parts.push(current);
        current = "";
        i++;
        continue;
      }
      if (ch !== "\\") {
        current += ch;
        i++;
        continue;
      }
      escaped = true;
      const nextCh = q[i + 1];
      if (nextCh === undefined)
        throw this.error(i, "a backslash must be followed by the character it escapes");
      if (SPECIAL_CHARACTERS.includes(nextCh)) {
        current += nextCh;
        i += 2;
        continue;
      }
      // `\and`, `\or`, `\not` spell the word itself; checked before `\n` so `\not` is "not".
      const keyword = KEYWORDS.find(
        (k) => q.slice(i + 1, i + 1 + k.length).toLowerCase() === k && isWordEnd(q[i + 1 + k.length]),
      );
      if (keyword) {
        current += q.slice(i + 1, i + 1 + keyword.length);
        i += 1 + keyword.length;
        continue;
      }
      const ws = ESCAPED_WHITESPACE[nextCh];
      if (ws !== undefined) {
        current += ws;
        i += 2;
        continue;
      }
      throw this.error(
        i,
        `unknown escape "\\${nextCh}": only \\ ( ) : < > " * { } and \\t \\n \\r can be escaped`,
      );
    }
    parts.push(current);
    this.pos = i;
    const token: WordToken = { kind: "word", parts, start, end: i };
    const text = parts[0]!.toLowerCase();
    if (!escaped && parts.length === 1 && (text === "and" || text === "or" || text === "not")) {
      token.keyword = text;
    }
    if (!escaped && parts.length === 1 && (text === "&&" || text === "||")) {
      throw this.error(start, `"${text}" is not DQL: write "${text === "&&" ? "and" : "or"}"`);
    }
    return token;
  }
}
