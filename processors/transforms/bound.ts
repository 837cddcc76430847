import type { RedactionTally, Redactor } from "./redact.js";
import { boundedJson, bytesToText, cutChars, truncateUtf8, utf8Bytes, wellFormed } from "./strings.js";

/**
 * Size bounds. Strings are redacted before they are cut, so a secret straddling the cut is never
 * left half-visible; to bound the redaction work on huge strings, they are first cut to the limit
 * plus `REDACT_MARGIN_CHARS` (a secret longer than that margin that straddles this first cut may
 * keep a prefix, which the final cut then removes unless it lies within the kept part).
 *
 * attrs: at most `maxAttrs` keys from the record, first occurrence of a key wins. Keys beyond the
 * cap are folded into `_overflow` (a JSON object of whole entries, at most `maxAttrValueBytes`;
 * entries that no longer fit are left out) and counted in `_overflow_keys` (all folded keys,
 * whether or not they fit). `level_raw`, `_overflow` and `_overflow_keys` are reserved: they are
 * kept on top of the cap (an event transformed again keeps its own), and what this pass writes
 * replaces a record's value of the same name.
 */

export const REDACT_MARGIN_CHARS = 4096;

/** Attribute keys the transforms write themselves; outside the `max_attrs` cap. */
export const RESERVED_ATTRS: ReadonlySet<string> = new Set(["level_raw", "_overflow", "_overflow_keys"]);

/** What bounding changed in one event. */
export interface BoundCounts {
  /** Strings cut (message, attribute values, HTTP fields). */
  truncated: number;
  /** Attribute keys folded into `_overflow`. */
  overflowKeys: number;
}

export interface AttrLimits {
  maxAttrs: number;
  maxAttrValueBytes: number;
  maxDepth: number;
}

/** How `boundText` redacts: as free text, or as the value of attribute `key`. */
export interface RedactWith {
  redactor: Redactor;
  tally: RedactionTally;
}

/**
 * `s` (well-formed) redacted (as free text, or as the value of attribute `key` when given) and
 * bounded to `maxBytes` UTF-8 bytes with a truncation marker; `counts.truncated` goes up when it
 * was cut.
 */
export function boundText(
  s: string,
  maxBytes: number,
  redaction: RedactWith | undefined,
  counts: BoundCounts,
  key?: string,
): string {
  let text = s;
  let removed = 0;
  if (text.length > maxBytes + REDACT_MARGIN_CHARS) {
    const cut = cutChars(text, maxBytes + REDACT_MARGIN_CHARS);
    removed = utf8Bytes(text) - utf8Bytes(cut);
    text = cut;
  }
  if (redaction !== undefined) {
    text =
      key === undefined
        ? redaction.redactor.redactText(text, redaction.tally)
        : redaction.redactor.redactAttr(key, text, redaction.tally);
  }
  const bounded = truncateUtf8(text, maxBytes, removed);
  if (bounded === undefined) return text;
  counts.truncated++;
  return bounded;
}

/** The text form of an attribute value, or undefined for values that carry nothing. */
export function attrText(value: unknown, maxChars: number, maxDepth: number): string | undefined {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
    case "boolean":
    case "bigint":
      return String(value);
    case "object":
      if (value === null) return "null";
      if (value instanceof Uint8Array) return bytesToText(value);
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
      return boundedJson(value, maxChars, maxDepth);
    default:
      return undefined;
  }
}

/** Sets `key` as an own property even when it is `__proto__`, which plain assignment would swallow. */
export function setOwn(target: Record<string, string>, key: string, value: string): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else target[key] = value;
}

/** An attribute value made well-formed, redacted and bounded. */
function finishAttr(
  key: string,
  maxBytes: number,
  redaction: RedactWith | undefined,
  counts: BoundCounts,
  text: string,
): string {
  return boundText(wellFormed(text), maxBytes, redaction, counts, key);
}

/**
 * The bounded, redacted attrs of an event from its parsed entries, plus the reserved `extras`
 * (e.g. `level_raw`). Undefined when there are none.
 */
export function buildAttrs(
  keys: readonly string[],
  values: readonly unknown[],
  notStored: number,
  extras: Record<string, string> | undefined,
  limits: AttrLimits,
  redactor: Redactor,
  tally: RedactionTally,
  counts: BoundCounts,
  /** `{ redactor, tally }` when the redactor is enabled, built once by a caller on the hot path. */
  redactWith?: RedactWith,
  /** Entries of `keys` and `values` in use (default: all of them). */
  count: number = keys.length,
): Record<string, string> | undefined {
  const maxBytes = limits.maxAttrValueBytes;
  const textBudget = maxBytes + REDACT_MARGIN_CHARS;
  const redaction = redactor.enabled ? (redactWith ?? { redactor, tally }) : undefined;

  const attrs: Record<string, string> = {};
  let kept = 0;
  let present = false;
  let overflowKeys = notStored;
  let overflow: string[] | undefined;
  let overflowBytes = 2;
  for (let i = 0; i < count; i++) {
    const key = wellFormed(keys[i]!);
    if (Object.hasOwn(attrs, key)) continue;
    const text = attrText(values[i], textBudget, limits.maxDepth);
    if (text === undefined) continue;
    // An event transformed a second time brings its reserved keys along; they stay outside the cap.
    if (RESERVED_ATTRS.has(key)) {
      setOwn(attrs, key, finishAttr(key, maxBytes, redaction, counts, text));
      present = true;
      continue;
    }
    if (kept < limits.maxAttrs) {
      setOwn(attrs, key, finishAttr(key, maxBytes, redaction, counts, text));
      kept++;
      continue;
    }
    overflowKeys++;
    if (overflowBytes >= maxBytes) continue;
    const entry = `${JSON.stringify(key)}:${JSON.stringify(finishAttr(key, maxBytes, redaction, counts, text))}`;
    const size = utf8Bytes(entry) + (overflow === undefined ? 0 : 1);
    if (overflowBytes + size > maxBytes) continue;
    if (overflow === undefined) overflow = [entry];
    else overflow.push(entry);
    overflowBytes += size;
  }
  if (kept > 0) present = true;
  if (overflowKeys > 0) {
    present = true;
    // Redacted once more as a whole: keys and values side by side can read as a secret assignment.
    attrs["_overflow"] = finishAttr(
      "_overflow",
      maxBytes,
      redaction,
      counts,
      `{${overflow?.join(",") ?? ""}}`,
    );
    attrs["_overflow_keys"] = String(overflowKeys);
    counts.overflowKeys += overflowKeys;
  }
  if (extras !== undefined) {
    for (const key of Object.keys(extras)) {
      setOwn(attrs, key, finishAttr(key, maxBytes, redaction, counts, extras[key]!));
      present = true;
    }
  }
  return present ? attrs : undefined;
}
