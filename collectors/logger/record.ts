import type { Level } from "./levels.js";
import { type JsonValue, type Normalizer, reason, setKey } from "./normalize.js";

/** Fields given with one call or bound to a child logger. */
export type Fields = Record<string, unknown>;

/** Fields already normalised (bounded, plain data), with their estimated encoded size. */
export interface NormalizedFields {
  readonly values: Readonly<Record<string, JsonValue>>;
  readonly bytes: number;
}

export const NO_FIELDS: NormalizedFields = Object.freeze({ values: Object.freeze({}), bytes: 0 });

/** The fields the logger sets itself, before any application field. */
export interface RecordCore {
  id: string;
  level: Level;
  message: string;
  service: string;
  env?: string | undefined;
  host?: string | undefined;
  trace_id?: string | undefined;
  span_id?: string | undefined;
}

/** Estimated encoded bytes of an event beyond its strings: EventTime, map and entry headers. */
export const RECORD_OVERHEAD_BYTES = 48;

/**
 * Keys the logger owns outright. An application field of that name is kept as `fields.<key>`,
 * so it neither loses data nor changes the event's identity, level or text.
 */
const RESERVED: ReadonlySet<string> = new Set(["id", "level", "message"]);
/** Keys an application field may set (a child logger for another component, explicit trace ids). */
const OVERRIDABLE: ReadonlySet<string> = new Set(["service", "env", "host", "trace_id", "span_id"]);

/** Keys whose Error value is flattened to `error.type`, `error.message`, `error.stack`, ... */
const ERROR_KEYS: ReadonlySet<string> = new Set(["err", "error"]);

/**
 * Normalises the fields of a call (or a binding). An `Error` given as the fields, or as `err` or
 * `error`, is flattened to `error.type`/`error.message`/`error.stack` (plus `error.code` and any
 * other own fields), the dotted names the forwarder's transforms keep as attrs. A non-object is
 * kept under `fields`. Never throws.
 */
export function normalizeFields(input: unknown, normalizer: Normalizer): NormalizedFields {
  normalizer.reset();
  const values: Record<string, JsonValue> = {};
  try {
    if (input === undefined || input === null) return NO_FIELDS;
    if (input instanceof Error) {
      flattenError(values, input, normalizer);
    } else if (typeof input !== "object" || Array.isArray(input)) {
      const value = normalizer.value(input, 1);
      if (value !== undefined) setKey(values, "fields", value);
    } else {
      const keys = Object.keys(input);
      const { maxItems } = normalizer.limits;
      let index = 0;
      for (; index < keys.length && index < maxItems; index++) {
        const key = keys[index]!;
        let raw: unknown;
        try {
          raw = (input as Record<string, unknown>)[key];
        } catch (error) {
          raw = `[Throws: ${reason(error)}]`;
        }
        if (ERROR_KEYS.has(key) && isErrorLike(raw)) {
          flattenError(values, raw, normalizer);
          continue;
        }
        const value = normalizer.value(raw, 1);
        if (value !== undefined) setKey(values, normalizer.key(key), value);
      }
      if (index < keys.length) setKey(values, "…", normalizer.string(`[${keys.length - index} more keys]`));
    }
  } catch (error) {
    // Reading the object itself failed (a revoked Proxy, a throwing ownKeys trap).
    setKey(values, "fields", normalizer.string(`[Unserializable: ${reason(error)}]`));
  }
  return { values, bytes: normalizer.bytes };
}

/** Merges two layers; later keys win, as in an object spread. */
export function mergeFields(base: NormalizedFields, extra: NormalizedFields): NormalizedFields {
  if (base === NO_FIELDS) return extra;
  if (extra === NO_FIELDS) return base;
  const values: Record<string, JsonValue> = { ...base.values };
  for (const key of Object.keys(extra.values)) setKey(values, key, extra.values[key]);
  // An overwritten key is counted twice: an overestimate, which the queue bound can afford.
  return { values, bytes: base.bytes + extra.bytes };
}

/**
 * The record sent to the forwarder: the logger's own fields first (so every event reads the
 * same way), then bound fields, then the call's fields.
 */
export function buildRecord(core: RecordCore, ...layers: NormalizedFields[]): Record<string, unknown> {
  const record: Record<string, unknown> = {
    id: core.id,
    level: core.level,
    message: core.message,
    service: core.service,
  };
  if (core.env !== undefined) record["env"] = core.env;
  if (core.host !== undefined) record["host"] = core.host;
  if (core.trace_id !== undefined) record["trace_id"] = core.trace_id;
  if (core.span_id !== undefined) record["span_id"] = core.span_id;
  for (const layer of layers) {
    const values = layer.values;
    for (const key of Object.keys(values)) {
      const value = values[key];
      if (RESERVED.has(key)) setKey(record, `fields.${key}`, value);
      else if (OVERRIDABLE.has(key)) {
        if (typeof value === "string" && value !== "") record[key] = value;
        else setKey(record, `fields.${key}`, value);
      } else setKey(record, key, value);
    }
  }
  return record;
}

/** Estimated encoded size of a record built from `core` and fields of `fieldBytes` bytes. */
export function recordBytes(core: RecordCore, fieldBytes: number): number {
  let bytes = RECORD_OVERHEAD_BYTES + core.id.length + core.level.length + core.service.length;
  bytes += Buffer.byteLength(core.message);
  if (core.env !== undefined) bytes += core.env.length + 5;
  if (core.host !== undefined) bytes += core.host.length + 6;
  if (core.trace_id !== undefined) bytes += core.trace_id.length + 10;
  if (core.span_id !== undefined) bytes += core.span_id.length + 9;
  return bytes + fieldBytes;
}

/** The message of a call. Not a string (a JavaScript caller's mistake)? Its plain text. */
export function messageText(message: unknown, normalizer: Normalizer): string {
  if (typeof message === "string") {
    return message.length > normalizer.limits.maxStringLength ? normalizer.string(message) : message;
  }
  normalizer.reset();
  if (message instanceof Error) {
    const text = safeRead(() => message.message);
    return normalizer.string(typeof text === "string" ? text : "");
  }
  const value = normalizer.value(message, 1);
  if (value === undefined) return "";
  return normalizer.string(typeof value === "string" ? value : JSON.stringify(value));
}

/** An Error, or something that looks like a serialised one (pino's `{type, message, stack}`). */
export function isErrorLike(value: unknown): value is object {
  if (value instanceof Error) return true;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  try {
    const e = value as { message?: unknown; stack?: unknown; type?: unknown };
    return typeof e.message === "string" && (typeof e.stack === "string" || typeof e.type === "string");
  } catch {
    return false;
  }
}

/** Writes `error.<field>` keys for an error into `values`. */
export function flattenError(values: Record<string, JsonValue>, error: object, normalizer: Normalizer): void {
  const flat = normalizer.error(error, 1);
  for (const key of Object.keys(flat)) setKey(values, `error.${key}`, flat[key]);
}

function safeRead(read: () => unknown): unknown {
  try {
    return read();
  } catch {
    return undefined;
  }
}
