/**
 * Errors a query can raise. They describe bad user input, not a pipeline failure, so they do
 * not carry a pipeline stage: the CLI and the dashboard show them to the person who typed the
 * query, with a caret under the offending column.
 */
export class QueryError extends Error {
  override name = "QueryError";
  /** Short stable code: `syntax`, `too_long`, `too_deep`, `field`, `value`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Whitespace would shift the caret, so the echoed query shows it as plain spaces. */
function echo(query: string): string {
  return query.replace(/[\t\r\n\v\f]/g, " ");
}

/** The query cannot be parsed. `column` is 1-based; `query.length + 1` means "at the end". */
export class QuerySyntaxError extends QueryError {
  override name = "QuerySyntaxError";
  readonly query: string;
  readonly column: number;
  /** What was wrong, without the position (e.g. `expected ")"`). */
  readonly reason: string;
  constructor(query: string, column: number, reason: string, code = "syntax") {
    super(code, `${reason} (at column ${column})`);
    this.query = query;
    this.column = column;
    this.reason = reason;
  }

  /**
   * The query with a caret under the column, e.g.
   * ```
   * level:error and (service:x
   *                 ^ expected ")"
   * ```
   * Very long queries are cut to a window around the column so the caret stays on screen.
   */
  pointer(width = 100): string {
    let text = echo(this.query);
    let caret = this.column - 1;
    if (text.length > width) {
      const start = Math.max(0, Math.min(caret - Math.floor(width / 2), text.length - width));
      const prefix = start > 0 ? "…" : "";
      const suffix = start + width < text.length ? "…" : "";
      text = `${prefix}${text.slice(start, start + width)}${suffix}`;
      caret = caret - start + prefix.length;
    }
    return `${text}\n${" ".repeat(caret)}^ ${this.reason}`;
  }
}

/**
 * The query parsed, but a condition does not fit the field it names: a wildcard on a number,
 * a range on the full-text message, a value that is not a number or a date, ...
 */
export class QueryFieldError extends QueryError {
  override name = "QueryFieldError";
  /** The field as the user typed it (`null` for a bare value searched in `message`). */
  readonly field: string | null;
  constructor(field: string | null, message: string, code = "field") {
    super(code, message);
    this.field = field;
  }
}
