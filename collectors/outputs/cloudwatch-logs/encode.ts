import type { LogEvent } from "../../../core/event/schema.js";

/** Key that replaces `attrs` when they had to be dropped to make an event fit. */
export const DROPPED_ATTRS_KEY = "logpipe.truncated";

export type EncodeResult =
  | { ok: true; message: string; bytes: number; truncated: "none" | "message" | "attrs" }
  | { ok: false; code: "too_large"; reason: string };

/** UTF-8 bytes `JSON.stringify` spends on one code point inside a string. */
function jsonCodePointBytes(cp: number): number {
  if (cp === 0x22 || cp === 0x5c) return 2; // \" \\
  if (cp < 0x20) return cp === 0x08 || cp === 0x09 || cp === 0x0a || cp === 0x0c || cp === 0x0d ? 2 : 6;
  if (cp < 0x80) return 1;
  if (cp < 0x800) return 2;
  if (cp >= 0xd800 && cp <= 0xdfff) return 6; // lone surrogate, escaped as \udxxx
  if (cp < 0x10000) return 3;
  return 4;
}

/** UTF-8 bytes of a code point as the wire carries it (a lone surrogate becomes U+FFFD). */
function utf8CodePointBytes(cp: number): number {
  if (cp < 0x80) return 1;
  if (cp < 0x800) return 2;
  if (cp < 0x10000) return 3;
  return 4;
}

export function truncationMarker(droppedBytes: number): string {
  return `…[truncated ${droppedBytes} bytes]`;
}

/**
 * The longest prefix of `text`, cut on a code point boundary, whose JSON string form (without the
 * quotes) fits `budget` bytes.
 */
function fittingPrefix(text: string, budget: number): { kept: string; droppedBytes: number } {
  let used = 0;
  let end = 0;
  let droppedBytes = 0;
  let cutting = false;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    if (!cutting) {
      const cost = jsonCodePointBytes(cp);
      if (used + cost > budget) cutting = true;
      else {
        used += cost;
        end = i + width;
      }
    }
    if (cutting) droppedBytes += utf8CodePointBytes(cp);
    i += width;
  }
  return { kept: text.slice(0, end), droppedBytes };
}

const byteLength = (text: string) => Buffer.byteLength(text, "utf8");

/**
 * Shortens `event.message` so the event's JSON fits `maxBytes`, appending a marker that says how
 * many bytes were cut. Undefined when even an empty message does not fit.
 */
function truncateMessage(event: LogEvent, maxBytes: number): { message: string; bytes: number } | undefined {
  const text = event.message;
  // The marker's length depends on the number it carries; size it for the largest possible count.
  const markerBytes = byteLength(truncationMarker(byteLength(text)));
  const shellBytes = byteLength(JSON.stringify({ ...event, message: "" }));
  let budget = maxBytes - shellBytes - markerBytes;
  // JSON sizes are computed exactly, so one pass normally fits; the loop guards the arithmetic.
  for (let round = 0; round < 4 && budget >= 0; round++) {
    const { kept, droppedBytes } = fittingPrefix(text, budget);
    const message = JSON.stringify({ ...event, message: kept + truncationMarker(droppedBytes) });
    const bytes = byteLength(message);
    if (bytes <= maxBytes) return { message, bytes };
    budget -= bytes - maxBytes;
  }
  return undefined;
}

/**
 * The log event message for one event: its whole JSON (id included, so the subscription processor
 * can decode it back). An event over `maxBytes` keeps valid JSON: its `message` is shortened with
 * a marker; if that is not enough its `attrs` are replaced by one marker entry; if even that does
 * not fit, the event is reported `too_large`.
 */
export function encodeEvent(event: LogEvent, maxBytes: number): EncodeResult {
  const message = JSON.stringify(event);
  const bytes = byteLength(message);
  if (bytes <= maxBytes) return { ok: true, message, bytes, truncated: "none" };

  const shortened = truncateMessage(event, maxBytes);
  if (shortened) return { ok: true, ...shortened, truncated: "message" };

  if (event.attrs && Object.keys(event.attrs).length > 0) {
    const attrsBytes = byteLength(JSON.stringify(event.attrs));
    const count = Object.keys(event.attrs).length;
    const withoutAttrs: LogEvent = {
      ...event,
      attrs: { [DROPPED_ATTRS_KEY]: `…[dropped ${count} attrs, ${attrsBytes} bytes]` },
    };
    const plain = JSON.stringify(withoutAttrs);
    const plainBytes = byteLength(plain);
    if (plainBytes <= maxBytes) return { ok: true, message: plain, bytes: plainBytes, truncated: "attrs" };
    const both = truncateMessage(withoutAttrs, maxBytes);
    if (both) return { ok: true, ...both, truncated: "attrs" };
  }
  return {
    ok: false,
    code: "too_large",
    reason: `event is ${bytes} bytes as JSON and cannot be cut below the ${maxBytes}-byte limit (its fields other than message and attrs are too large)`,
  };
}
