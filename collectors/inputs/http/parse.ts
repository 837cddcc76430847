import { isUtf8 } from "node:buffer";
import { HttpInputError } from "./errors.js";

/**
 * Body bytes → records. Pure: no sockets, no clock, no ids. Each record is judged on its own,
 * so one bad line never costs the good ones; whole-request refusals (too many records) throw.
 */

export type BodyFormat = "ndjson" | "json";

export type RejectCode = "invalid_json" | "not_object" | "too_deep" | "line_too_long" | "forbidden_key";

/** A record that was refused, by its 1-based line (NDJSON) or element position (JSON array). */
export interface LineRejection {
  line: number;
  code: RejectCode;
  reason: string;
}

export interface ParsedRecord {
  /** 1-based line (NDJSON) or element position (JSON array); 1 for a single object. */
  line: number;
  record: Record<string, unknown>;
}

export interface ParsedBody {
  records: ParsedRecord[];
  rejected: LineRejection[];
  /** The body held invalid UTF-8, which was replaced with U+FFFD. */
  repairedUtf8: boolean;
}

export interface ParseLimits {
  maxLineBytes: number;
  maxDepth: number;
  maxEvents: number;
}

const NDJSON_TYPES = new Set([
  "application/x-ndjson",
  "application/ndjson",
  "application/jsonl",
  "application/x-jsonlines",
  "application/jsonlines",
  "text/plain",
]);

/**
 * The body format a `Content-Type` announces, or `undefined` for one this input does not read.
 * A missing type is read as NDJSON, which also covers a one-line JSON object.
 */
export function bodyFormatFor(contentType: string | undefined): BodyFormat | undefined {
  if (contentType === undefined || contentType.trim() === "") return "ndjson";
  const mediaType = contentType.split(";", 1)[0]!.trim().toLowerCase();
  if (mediaType === "application/json") return "json";
  return NDJSON_TYPES.has(mediaType) ? "ndjson" : undefined;
}

/** Parses a request body of the given format under the given limits. */
export function parseBody(body: Buffer, format: BodyFormat, limits: ParseLimits): ParsedBody {
  const repairedUtf8 = !isUtf8(body);
  const out: ParsedBody = { records: [], rejected: [], repairedUtf8 };
  if (format === "ndjson") parseNdjson(body, limits, out);
  else parseJson(body, limits, out);
  return out;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function firstNonSpace(text: string, from = 0): number {
  let i = from;
  while (i < text.length && isJsonSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Index of the quote that closes the string opened at `open`, or -1 when it is never closed. */
function closingQuote(text: string, open: number): number {
  let j = text.indexOf('"', open + 1);
  while (j !== -1) {
    let backslashes = 0;
    for (let k = j - 1; k > open && text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return j;
    j = text.indexOf('"', j + 1);
  }
  return -1;
}

/** Opening brackets in `text`, counted up to just past `max`. */
function countOpenings(text: string, max: number): number {
  let count = 0;
  for (const bracket of ["{", "["]) {
    let i = text.indexOf(bracket);
    while (i !== -1 && count <= max) {
      count++;
      i = text.indexOf(bracket, i + 1);
    }
  }
  return count;
}

/**
 * Whether `text` nests objects/arrays deeper than `max`. Checked before `JSON.parse`, so a
 * hostile record is never built, and later recursive code (encoders, transforms) never meets it.
 */
export function exceedsDepth(text: string, max: number): boolean {
  // Nesting deeper than max needs more than max opening brackets; most records have a handful,
  // and counting them with indexOf is far cheaper than walking every character.
  if (text.length <= max || countOpenings(text, max) <= max) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const close = closingQuote(text, i);
      if (close === -1) return false;
      i = close;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/**
 * Whether a parsed value holds a `__proto__` key at any depth. Such a key is harmless as JSON.parse
 * builds it, but becomes prototype pollution in any later `Object.assign` or decoder that sets
 * keys by assignment, so the record is refused at the edge.
 */
function hasProtoKey(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== "object" || v === null) continue;
    if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
      continue;
    }
    for (const key of Object.keys(v)) {
      if (key === "__proto__") return true;
      stack.push((v as Record<string, unknown>)[key]);
    }
  }
  return false;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

const MAX_REASON_CHARS = 200;

function clip(reason: string): string {
  return reason.length <= MAX_REASON_CHARS ? reason : `${reason.slice(0, MAX_REASON_CHARS - 1)}…`;
}

type OneRecord =
  | { ok: true; record: Record<string, unknown> }
  | { ok: false; code: RejectCode; reason: string };

/** Judges one record's text: depth, JSON syntax, object shape, forbidden keys. */
function parseRecord(text: string, maxDepth: number, depthChecked = false): OneRecord {
  if (!depthChecked && exceedsDepth(text, maxDepth)) {
    return { ok: false, code: "too_deep", reason: `nested deeper than ${maxDepth} levels` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, code: "invalid_json", reason: clip(`invalid JSON: ${(error as Error).message}`) };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, code: "not_object", reason: `not a JSON object: got ${kindOf(value)}` };
  }
  // `\u` escapes can spell the key without the literal text; both are rare, so the walk is too.
  if ((text.includes("__proto__") || text.includes("\\u")) && hasProtoKey(value)) {
    return { ok: false, code: "forbidden_key", reason: 'key "__proto__" is not allowed' };
  }
  return { ok: true, record: value as Record<string, unknown> };
}

function tooLong(bytes: number, limits: ParseLimits): LineRejection["reason"] {
  return `record is ${bytes} bytes, over the ${limits.maxLineBytes}-byte limit`;
}

function countEvent(count: number, limits: ParseLimits): void {
  if (count > limits.maxEvents) {
    throw new HttpInputError(
      413,
      "too_many_events",
      `more than ${limits.maxEvents} records in one request; split it into smaller requests`,
    );
  }
}

function accept(out: ParsedBody, line: number, result: OneRecord): void {
  if (result.ok) out.records.push({ line, record: result.record });
  else out.rejected.push({ line, code: result.code, reason: result.reason });
}

function parseNdjson(body: Buffer, limits: ParseLimits, out: ParsedBody): void {
  const length = body.length;
  // A UTF-8 byte-order mark is not part of the first record.
  let start = length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  let line = 0;
  let events = 0;
  while (start < length) {
    // Splitting bytes on \n is safe: 0x0a never occurs inside a multi-byte UTF-8 sequence.
    let end = body.indexOf(0x0a, start);
    const next = end === -1 ? length : end + 1;
    if (end === -1) end = length;
    line++;
    let s = start;
    let e = end;
    while (s < e && isJsonSpace(body[s]!)) s++;
    while (e > s && isJsonSpace(body[e - 1]!)) e--;
    start = next;
    if (s === e) continue;
    countEvent(++events, limits);
    if (e - s > limits.maxLineBytes) {
      out.rejected.push({ line, code: "line_too_long", reason: tooLong(e - s, limits) });
      continue;
    }
    accept(out, line, parseRecord(body.toString("utf8", s, e), limits.maxDepth));
  }
}

function byteLengthOver(text: string, max: number): number | undefined {
  // UTF-8 takes at least one byte and at most three per UTF-16 unit: skip the count when it cannot matter.
  if (text.length * 3 <= max) return undefined;
  const bytes = Buffer.byteLength(text, "utf8");
  return bytes > max ? bytes : undefined;
}

function parseJson(body: Buffer, limits: ParseLimits, out: ParsedBody): void {
  let text = body.toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const first = firstNonSpace(text);
  if (first === text.length) return;
  if (text.charCodeAt(first) === OPEN_BRACKET) {
    parseArray(text, first, limits, out);
    return;
  }
  // One document, unless it fails as one and reads as NDJSON: clients often label NDJSON as JSON.
  const single = parseSingle(text, limits);
  if (single.ok || !text.includes("\n")) {
    accept(out, 1, single);
    return;
  }
  const asLines: ParsedBody = { records: [], rejected: [], repairedUtf8: out.repairedUtf8 };
  parseNdjson(body, limits, asLines);
  if (asLines.records.length > 0) {
    out.records.push(...asLines.records);
    out.rejected.push(...asLines.rejected);
  } else {
    accept(out, 1, single);
  }
}

function parseSingle(text: string, limits: ParseLimits): OneRecord {
  const bytes = byteLengthOver(text.trim(), limits.maxLineBytes);
  if (bytes !== undefined) return { ok: false, code: "line_too_long", reason: tooLong(bytes, limits) };
  return parseRecord(text, limits.maxDepth);
}

/**
 * Splits a top-level JSON array into its elements without parsing them, so each element is
 * judged on its own: one bad element (or a truncated tail) does not sink the others.
 */
function parseArray(text: string, open: number, limits: ParseLimits, out: ParsedBody): void {
  let depth = 1;
  let elementStart = open + 1;
  let elementDepth = 0;
  let position = 0;
  let closed = false;
  let i = open + 1;

  const finishElement = (end: number, mustExist: boolean): void => {
    const s = firstNonSpace(text, elementStart);
    let e = end;
    while (e > s && isJsonSpace(text.charCodeAt(e - 1))) e--;
    if (s === e && !mustExist) return;
    position++;
    countEvent(position, limits);
    const slice = text.slice(s, e);
    const bytes = byteLengthOver(slice, limits.maxLineBytes);
    if (bytes !== undefined) {
      out.rejected.push({ line: position, code: "line_too_long", reason: tooLong(bytes, limits) });
    } else if (elementDepth > limits.maxDepth) {
      out.rejected.push({
        line: position,
        code: "too_deep",
        reason: `nested deeper than ${limits.maxDepth} levels`,
      });
    } else {
      accept(out, position, parseRecord(slice, limits.maxDepth, true));
    }
    elementDepth = 0;
  };

  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const close = closingQuote(text, i);
      if (close === -1) {
        i = text.length;
        break;
      }
      i = close;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth - 1 > elementDepth) elementDepth = depth - 1;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) {
        // `[]` has no element; `[1,]` has an empty one, which is reported.
        finishElement(i, position > 0);
        closed = true;
        break;
      }
    } else if (c === COMMA && depth === 1) {
      finishElement(i, true);
      elementStart = i + 1;
    }
  }

  if (!closed) {
    finishElement(text.length, false);
    out.rejected.push({
      line: position + 1,
      code: "invalid_json",
      reason: "invalid JSON: the array is not closed with ] (truncated body?)",
    });
    return;
  }
  if (firstNonSpace(text, i + 1) < text.length) {
    out.rejected.push({
      line: position + 1,
      code: "invalid_json",
      reason: "invalid JSON: unexpected content after the closing ] of the array",
    });
  }
}
