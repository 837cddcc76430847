import { cutChars, wellFormed } from "./strings.js";
import { isValidTimeMs } from "./time.js";

/**
 * Enrichment: the fields an event gets from where it came from rather than from its record.
 * Record values always win; these only fill gaps.
 */

/** The service named by a tag's first dot-separated segment (`checkout.access` → `checkout`). */
export function serviceFromTag(tag: unknown): string | undefined {
  if (typeof tag !== "string") return undefined;
  const dot = tag.indexOf(".");
  const segment = dot < 0 ? tag : tag.slice(0, dot);
  return segment.length > 0 && segment.length <= 128 ? wellFormed(segment) : undefined;
}

/**
 * The event id: one carried in the record (stamped upstream, e.g. by the forwarder before the
 * event went through CloudWatch Logs) wins; else the id the input assigned.
 */
export function chooseId(recordId: string | undefined, inputId: unknown): string | undefined {
  if (recordId !== undefined) return recordId;
  if (typeof inputId === "string" && inputId.length > 0 && inputId.length <= 128) return wellFormed(inputId);
  return undefined;
}

/**
 * Event time in epoch milliseconds: the record's own time, else the time the client gave the
 * input, else when logpipe received it. Undefined when none of them is a valid time.
 */
export function chooseTime(
  recordMs: number | undefined,
  inputMs: unknown,
  receivedAt: unknown,
): number | undefined {
  if (recordMs !== undefined) return recordMs;
  if (typeof inputMs === "number" && isValidTimeMs(inputMs)) return Math.floor(inputMs);
  if (typeof receivedAt === "number" && isValidTimeMs(receivedAt)) return Math.floor(receivedAt);
  return undefined;
}

/** A context string (source, log group, stream) bounded to `max` characters; undefined when empty. */
export function contextString(value: unknown, max: number): string | undefined {
  if (typeof value !== "string" || value.length === 0) return undefined;
  return wellFormed(cutChars(value, max));
}
