import { newEventId } from "../../core/event/incoming.js";
import type { LoggerLimits } from "./config.js";
import { type Level, levelFromPino } from "./levels.js";
import { type JsonValue, Normalizer, setKey } from "./normalize.js";
import type { QueuedEvent } from "./queue.js";
import {
  buildRecord,
  flattenError,
  isErrorLike,
  messageText,
  type NormalizedFields,
  normalizeFields,
  type RecordCore,
  recordBytes,
} from "./record.js";

export interface PinoMapping {
  service: string;
  env?: string | undefined;
  /** Used when the record carries no `hostname`. */
  host: string;
  /** pino's `messageKey` (default `msg`). */
  messageKey: string;
  /** pino's `errorKey` (default `err`). */
  errorKey: string;
  limits: LoggerLimits;
  /** Receive time, for records without a usable `time`, and for their ids. */
  now: () => number;
}

/** Keys pino writes that become the event's own fields rather than attributes. */
const CONSUMED = new Set(["level", "time", "hostname"]);

/**
 * Maps one pino record onto the logger's record shape: `level` (10–60 or a label) → the level
 * name, `time` (epoch ms or an ISO string) → the event time, `msg` → `message`, `err` →
 * `error.type`/`error.message`/`error.stack`, `hostname` → `host`; `pid`, bindings and every
 * other field stay as they are. A level that means nothing is logged as info with the original
 * kept in `level_raw`. Never throws.
 */
export function pinoEvent(input: unknown, mapping: PinoMapping): QueuedEvent {
  const normalizer = new Normalizer(mapping.limits);
  const source: Record<string, unknown> =
    typeof input === "object" && input !== null && !Array.isArray(input)
      ? (input as Record<string, unknown>)
      : { [mapping.messageKey]: input };
  const now = mapping.now();
  const parsedLevel = levelFromPino(source["level"]);
  const level: Level = parsedLevel ?? "info";
  const timeMs = pinoTime(source["time"]) ?? now;

  const rawMessage = source[mapping.messageKey];
  const rawError = source[mapping.errorKey];
  const errorIsError = isErrorLike(rawError);
  const text =
    rawMessage === undefined
      ? errorIsError
        ? messageText((rawError as { message?: unknown }).message ?? "", normalizer)
        : ""
      : messageText(rawMessage, normalizer);

  const rest: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    if (CONSUMED.has(key) || key === mapping.messageKey || (key === mapping.errorKey && errorIsError))
      continue;
    setKey(rest, key, source[key]);
  }
  if (parsedLevel === undefined && source["level"] !== undefined) setKey(rest, "level_raw", source["level"]);
  let fields: NormalizedFields = normalizeFields(rest, normalizer);
  if (errorIsError) {
    const values: Record<string, JsonValue> = { ...fields.values };
    normalizer.bytes = fields.bytes;
    flattenError(values, rawError as object, normalizer);
    fields = { values, bytes: normalizer.bytes };
  }

  const hostname = source["hostname"];
  const core: RecordCore = {
    id: newEventId(timeMs),
    level,
    message: text,
    service: mapping.service,
    env: mapping.env,
    host: typeof hostname === "string" && hostname !== "" ? hostname.slice(0, 255) : mapping.host,
  };
  return { timeMs, record: buildRecord(core, fields), bytes: recordBytes(core, fields.bytes) };
}

/** Epoch milliseconds from pino's `time`: a number, or a date string from a custom timestamp. */
export function pinoTime(value: unknown): number | undefined {
  let ms: number | undefined;
  if (typeof value === "number") ms = value;
  else if (typeof value === "string" && value !== "") {
    const parsed = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    ms = Number.isNaN(parsed) ? undefined : parsed;
  }
  // Beyond these a Date cannot represent it, nor can the Fluent EventTime.
  if (ms === undefined || !Number.isFinite(ms) || ms < 0 || ms > 4_294_967_295_999) return undefined;
  return Math.floor(ms);
}

/**
 * Splits a text stream into lines. A line longer than `maxLineLength` characters is not kept
 * whole in memory: it is skipped up to its newline and reported once as `oversized`.
 */
export class LineSplitter {
  private partial = "";
  private skipping = false;

  constructor(private readonly maxLineLength: number) {}

  /** Complete lines in `text` (after what earlier calls left over), and how many were skipped. */
  push(text: string): { lines: string[]; oversized: number } {
    const lines: string[] = [];
    let oversized = 0;
    let start = 0;
    for (;;) {
      const newline = text.indexOf("\n", start);
      if (newline === -1) break;
      if (this.skipping) {
        this.skipping = false;
      } else if (this.partial.length + (newline - start) > this.maxLineLength) {
        oversized++;
      } else {
        lines.push(this.partial + text.slice(start, newline));
      }
      this.partial = "";
      start = newline + 1;
    }
    if (start < text.length && !this.skipping) {
      const tail = text.slice(start);
      if (this.partial.length + tail.length > this.maxLineLength) {
        this.partial = "";
        this.skipping = true;
        oversized++;
      } else {
        this.partial += tail;
      }
    }
    return { lines, oversized };
  }

  /** What is left at the end of the stream (a last line without a newline). */
  end(): string | undefined {
    const rest = this.skipping ? "" : this.partial;
    this.partial = "";
    this.skipping = false;
    return rest === "" ? undefined : rest;
  }
}
