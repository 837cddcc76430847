/**
 * String helpers shared by the transforms: UTF-8 repair, byte-bounded truncation on a character
 * boundary, and a JSON encoder that cannot overflow the stack or grow without bound.
 */

// ES2024 string methods exist on Node 20 but are not in the es2023 lib typings.
type WellFormedString = string & { isWellFormed(): boolean; toWellFormed(): string };

/** The string with lone surrogates replaced by U+FFFD, so it encodes to valid UTF-8. */
export function wellFormed(s: string): string {
  return (s as WellFormedString).isWellFormed() ? s : (s as WellFormedString).toWellFormed();
}

/** UTF-8 length of a well-formed string. */
export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

/** True when `s` surely fits in `maxBytes` without counting (a UTF-16 unit is at most 3 bytes). */
function surelyFits(s: string, maxBytes: number): boolean {
  return s.length * 3 <= maxBytes;
}

/** The truncation marker appended where a string was cut. */
export function truncationMarker(removedBytes: number): string {
  return `…[truncated ${removedBytes} bytes]`;
}

/**
 * The longest prefix of `s` (well-formed) that fits in `maxBytes` UTF-8 bytes, never splitting a
 * surrogate pair. Returns the prefix length in UTF-16 units and its byte length.
 */
export function utf8Prefix(s: string, maxBytes: number): { end: number; bytes: number } {
  let bytes = 0;
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    let size: number;
    let width = 1;
    if (c < 0x80) size = 1;
    else if (c < 0x800) size = 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        size = 4;
        width = 2;
      } else size = 3;
    } else size = 3;
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += width;
  }
  return { end: i, bytes };
}

/**
 * `s` cut to at most `maxChars` UTF-16 units without leaving half a surrogate pair. A cheap
 * first cut that bounds the work of later passes over very long strings.
 */
export function cutChars(s: string, maxChars: number): string {
  if (s.length <= maxChars) return s;
  let end = maxChars;
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return s.slice(0, end);
}

/** Characters of words, numbers, e-mail addresses and keys: a cut inside a run of them is avoided. */
function isTokenChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 64 || // @
    c === 46 || // .
    c === 95 || // _
    c === 45 || // -
    c === 43 || // +
    c === 47 || // /
    c === 61 || // =
    c === 37 // %
  );
}

/** How far a cut may move back to reach the start of a token. */
const TOKEN_BACKOFF = 64;

/**
 * `s` bounded to `maxBytes` UTF-8 bytes: unchanged when it fits, else cut on a character boundary
 * and ended with `…[truncated N bytes]` so that the whole result still fits. `extraRemoved` is
 * added to N for bytes an earlier cut already removed. Returns undefined when `s` fits.
 *
 * A cut that would fall inside a token (a number, a word, an address) moves back to the token's
 * start when that is at most 64 characters away and not the start of `s`: half a token can look like something else (the
 * first 16 digits of a long number may pass the card check), and text already redacted must not
 * need redacting again.
 */
export function truncateUtf8(s: string, maxBytes: number, extraRemoved = 0): string | undefined {
  if (extraRemoved === 0 && surelyFits(s, maxBytes)) return undefined;
  const total = utf8Bytes(s);
  if (extraRemoved === 0 && total <= maxBytes) return undefined;
  // The marker is sized for the largest count it could show, so the result never exceeds the cap.
  const markerBytes = utf8Bytes(truncationMarker(total + extraRemoved));
  const keep = utf8Prefix(s, Math.max(0, maxBytes - markerBytes));
  let end = keep.end;
  let bytes = keep.bytes;
  if (end > 0 && end < s.length && isTokenChar(s.charCodeAt(end)) && isTokenChar(s.charCodeAt(end - 1))) {
    let start = end - 1;
    const limit = Math.max(0, end - TOKEN_BACKOFF);
    while (start > limit && isTokenChar(s.charCodeAt(start - 1))) start--;
    // A token that starts the string is cut where it is: moving back would keep nothing.
    if (start > 0 && !isTokenChar(s.charCodeAt(start - 1))) {
      bytes -= end - start; // token characters are ASCII: one byte each
      end = start;
    }
  }
  return s.slice(0, end) + truncationMarker(total - bytes + extraRemoved);
}

/** `s` bounded to `maxBytes` (see `truncateUtf8`). */
export function boundUtf8(s: string, maxBytes: number): string {
  return truncateUtf8(s, maxBytes) ?? s;
}

/** Plain-object test for values decoded from JSON or msgpack. */
export function isRecordObject(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Uint8Array) &&
    !(v instanceof Date)
  );
}

/** Bytes decoded as UTF-8 text, invalid sequences replaced (old Fluentd clients send strings as bin). */
export function bytesToText(v: Uint8Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("utf8");
}

/**
 * JSON text of `value`, bounded: stops adding once the output passes `maxChars` characters and
 * writes `"[depth]"` below `maxDepth` levels, so hostile nesting or cycles can neither overflow
 * the stack nor build a huge string. The result is valid JSON when nothing was cut; callers bound
 * its bytes afterwards, which marks any cut.
 */
export function boundedJson(value: unknown, maxChars: number, maxDepth: number): string {
  const out: string[] = [];
  let length = 0;
  const push = (s: string): boolean => {
    out.push(s);
    length += s.length;
    return length <= maxChars;
  };
  const write = (v: unknown, depth: number): boolean => {
    if (v === null || v === undefined) return push("null");
    switch (typeof v) {
      case "string":
        return push(JSON.stringify(v.length > maxChars ? cutChars(v, maxChars) : v));
      case "number":
        return push(Number.isFinite(v) ? String(v) : "null");
      case "boolean":
        return push(v ? "true" : "false");
      case "bigint":
        return push(v.toString());
      case "object":
        break;
      default:
        return push("null");
    }
    if (v instanceof Uint8Array) return write(bytesToText(v), depth);
    if (v instanceof Date) return push(Number.isNaN(v.getTime()) ? "null" : JSON.stringify(v.toISOString()));
    if (depth >= maxDepth) return push('"[depth]"');
    if (Array.isArray(v)) {
      if (!push("[")) return false;
      for (let i = 0; i < v.length; i++) {
        if (i > 0 && !push(",")) return false;
        if (!write(v[i], depth + 1)) return false;
      }
      return push("]");
    }
    if (!push("{")) return false;
    let first = true;
    for (const key of Object.keys(v)) {
      const item = (v as Record<string, unknown>)[key];
      if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
      if (!first && !push(",")) return false;
      first = false;
      if (!push(`${JSON.stringify(cutChars(key, maxChars))}:`)) return false;
      if (!write(item, depth + 1)) return false;
    }
    return push("}");
  };
  write(value, 0);
  return out.join("");
}
