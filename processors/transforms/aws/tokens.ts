import { fail, type ParseFailure, quote } from "./types.js";

/**
 * Space-separated fields where some are enclosed in double quotes (the ALB access log layout).
 * Runs of spaces or tabs separate fields. A quoted field ends at the first unescaped `"`, which
 * must be followed by a separator or the end of the line.
 *
 * Inside quotes the load balancer writes bytes it will not print as `\xHH` (a `"` in a user agent
 * is `\x22`); those sequences are decoded as UTF-8 (invalid sequences become U+FFFD). `\"` and
 * `\\` are read as a quote and a backslash too, for writers that escape that way; any other
 * backslash is kept as it is.
 */

export interface Token {
  text: string;
  quoted: boolean;
}

function isSeparator(c: number): boolean {
  return c === 32 || c === 9;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** The text of a quoted field with its escapes decoded. */
export function decodeEscapes(raw: string): string {
  if (!raw.includes("\\")) return raw;
  let out = "";
  let bytes: number[] | undefined;
  const flush = (): void => {
    if (bytes === undefined) return;
    out += Buffer.from(bytes).toString("utf8");
    bytes = undefined;
  };
  let i = 0;
  while (i < raw.length) {
    const c = raw.charCodeAt(i);
    if (c === 92 && i + 1 < raw.length) {
      const next = raw.charCodeAt(i + 1);
      if (next === 120 && i + 3 < raw.length) {
        const hi = hexValue(raw.charCodeAt(i + 2));
        const lo = hexValue(raw.charCodeAt(i + 3));
        if (hi >= 0 && lo >= 0) {
          bytes ??= [];
          bytes.push(hi * 16 + lo);
          i += 4;
          continue;
        }
      }
      flush();
      if (next === 34 || next === 92) {
        out += raw[i + 1];
        i += 2;
        continue;
      }
    }
    flush();
    out += raw[i];
    i++;
  }
  flush();
  return out;
}

/** The fields of `line` (already checked to be a bounded, non-blank string). */
export function tokenize(line: string): Token[] | ParseFailure {
  const tokens: Token[] = [];
  const n = line.length;
  let i = 0;
  while (i < n) {
    while (i < n && isSeparator(line.charCodeAt(i))) i++;
    if (i >= n) break;
    if (line.charCodeAt(i) !== 34) {
      const start = i;
      while (i < n && !isSeparator(line.charCodeAt(i))) i++;
      tokens.push({ text: line.slice(start, i), quoted: false });
      continue;
    }
    const start = i + 1;
    let j = start;
    let escaped = false;
    while (j < n) {
      const c = line.charCodeAt(j);
      if (c === 92) escaped = true;
      else if (c === 34) break;
      j += c === 92 ? 2 : 1;
    }
    if (j >= n) {
      return fail(
        "unterminated_quote",
        `field ${tokens.length + 1} opens a quote that is never closed: ${quote(line.slice(i))}`,
      );
    }
    if (j + 1 < n && !isSeparator(line.charCodeAt(j + 1))) {
      return fail(
        "malformed_quote",
        `field ${tokens.length + 1} has text right after its closing quote: ${quote(line.slice(i, j + 17))}`,
      );
    }
    const raw = line.slice(start, j);
    tokens.push({ text: escaped ? decodeEscapes(raw) : raw, quoted: true });
    i = j + 1;
  }
  return tokens;
}
