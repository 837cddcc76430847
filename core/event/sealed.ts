import type { LogEvent } from "./schema.js";

/**
 * A batch often goes to several stores that each write every event as the same JSON text (the
 * OpenSearch document line, the lake NDJSON line). `sealEvent` serialises an event once and
 * carries the text on it under `EVENT_JSON`; `eventJson` gives that text back. The event is
 * frozen, so the text cannot go stale: `eventJson` only trusts it on a frozen event.
 */
export const EVENT_JSON: unique symbol = Symbol.for("logpipe.event.json");

/**
 * Serialises `event` once, carries the text on it (non-enumerable, so it never shows up in the
 * event's own JSON or in comparisons) and freezes the event with its nested groups. An event
 * JSON cannot encode, or one already frozen, is returned as it is: the stores then serialise it
 * themselves, and answer for what cannot be.
 */
export function sealEvent(event: LogEvent): LogEvent {
  if (Object.isFrozen(event)) return event;
  let json: string;
  try {
    json = JSON.stringify(event);
  } catch {
    return event;
  }
  Object.defineProperty(event, EVENT_JSON, { value: json });
  if (event.http !== undefined) Object.freeze(event.http);
  if (event.attrs !== undefined) Object.freeze(event.attrs);
  return Object.freeze(event);
}

/** The JSON text `sealEvent` carried on the event, if any. */
export function sealedJson(event: LogEvent): string | undefined {
  const carried = (event as { [EVENT_JSON]?: unknown })[EVENT_JSON];
  return typeof carried === "string" ? carried : undefined;
}

/** The event as JSON: the sealed text when the event is frozen, else `JSON.stringify(event)`. */
export function eventJson(event: LogEvent): string {
  if (Object.isFrozen(event)) {
    const carried = sealedJson(event);
    if (carried !== undefined) return carried;
  }
  return JSON.stringify(event);
}
