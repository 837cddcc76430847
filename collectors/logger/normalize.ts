import type { LoggerLimits } from "./config.js";

/** Plain data: what every field value is turned into before it is queued. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Most values visited for one event, whatever the limits say: a hostile or enormous object
 * graph costs bounded work on the caller's thread.
 */
export const MAX_NODES = 10_000;
/** Longest key kept; longer keys are cut (keys are names, not data). */
export const MAX_KEY_LENGTH = 256;

/** Estimated encoded bytes of a container header, a number, a boolean or null. */
const HEADER_BYTES = 5;
const NUMBER_BYTES = 9;

/**
 * Turns arbitrary application values into plain data that the Fluent encoder can always encode
 * and that is bounded in size, and tallies an estimate of its encoded size on the way.
 *
 * Application fields are untrusted in the sense that matters here: they can be circular, huge,
 * deeply nested, Proxies, objects whose getters or `toJSON` throw, BigInts, Buffers. Encoding
 * such a value inside the sender would throw in a timer, far from the call, or stall the event
 * loop; normalising at the call keeps `log()` total and its cost bounded.
 *
 * - strings longer than `maxStringLength` are cut with a `…[truncated N chars]` marker;
 * - non-finite numbers, BigInts and symbols become strings; `undefined` and functions are left
 *   out (as JSON does), and become `null` inside arrays;
 * - Dates become ISO strings; binary data becomes `[binary N bytes]`;
 * - Errors become `{type, message, stack, …own fields}`;
 * - `toJSON()` is honoured; Maps become objects, Sets arrays;
 * - nesting deeper than `maxDepth` becomes `[Object]`/`[Array]`, a cycle `[Circular]`, more
 *   than `maxItems` keys or items a `[N more …]` marker, and a value whose inspection throws
 *   `[Unserializable: reason]`.
 */
export class Normalizer {
  /** Estimated encoded size of everything normalised since the last `reset()`. */
  bytes = 0;
  private nodes = 0;
  private readonly ancestors: object[] = [];

  constructor(readonly limits: LoggerLimits) {}

  reset(): void {
    this.bytes = 0;
    this.nodes = 0;
    this.ancestors.length = 0;
  }

  /** The plain form of `input`; undefined means "leave this key out". */
  value(input: unknown, depth: number): JsonValue | undefined {
    switch (typeof input) {
      case "string":
        return this.string(input);
      case "number":
        if (Number.isFinite(input)) {
          this.bytes += NUMBER_BYTES;
          return input;
        }
        return this.string(String(input));
      case "boolean":
        this.bytes += 1;
        return input;
      case "bigint":
        return this.string(input.toString());
      case "symbol":
        return this.string(input.toString());
      case "undefined":
      case "function":
        return undefined;
      default:
        if (input === null) {
          this.bytes += 1;
          return null;
        }
        return this.object(input as object, depth);
    }
  }

  string(text: string): string {
    const out =
      text.length > this.limits.maxStringLength ? truncate(text, this.limits.maxStringLength) : text;
    this.bytes += Buffer.byteLength(out) + HEADER_BYTES;
    return out;
  }

  /** An error as plain fields: own enumerable fields first, then type, message and stack. */
  error(error: object, depth: number): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {};
    this.bytes += HEADER_BYTES;
    this.ancestors.push(error);
    try {
      this.fill(out, error, depth, ["message", "stack", "name", "type"]);
      const e = error as { name?: unknown; type?: unknown; message?: unknown; stack?: unknown };
      const type = readSafely(() => e.type ?? e.name ?? error.constructor?.name);
      setKey(out, "type", typeof type === "string" && type !== "" ? this.string(type) : this.string("Error"));
      const message = readSafely(() => e.message);
      setKey(out, "message", this.string(typeof message === "string" ? message : String(message ?? "")));
      const stack = readSafely(() => e.stack);
      if (typeof stack === "string") setKey(out, "stack", this.string(stack));
    } finally {
      this.ancestors.pop();
    }
    return out;
  }

  /**
   * Copies the own enumerable fields of `source` into `out` (at most `maxItems`, then a marker),
   * skipping `skip`. Reading a field may run a getter: one that throws is kept as its reason.
   */
  fill(out: Record<string, JsonValue>, source: object, depth: number, skip: readonly string[] = []): void {
    const keys = Object.keys(source);
    const { maxItems } = this.limits;
    let kept = 0;
    let index = 0;
    for (; index < keys.length; index++) {
      if (kept >= maxItems || this.nodes >= MAX_NODES) break;
      const key = keys[index]!;
      if (skip.includes(key)) continue;
      let raw: unknown;
      try {
        raw = (source as Record<string, unknown>)[key];
      } catch (error) {
        raw = `[Throws: ${reason(error)}]`;
      }
      const value = this.value(raw, depth + 1);
      if (value === undefined) continue;
      setKey(out, this.key(key), value);
      kept++;
    }
    if (index < keys.length) setKey(out, "…", this.string(`[${keys.length - index} more keys]`));
  }

  key(key: string): string {
    const out = key.length > MAX_KEY_LENGTH ? key.slice(0, MAX_KEY_LENGTH) : key;
    this.bytes += Buffer.byteLength(out) + 1;
    return out;
  }

  private object(input: object, depth: number): JsonValue {
    if (++this.nodes > MAX_NODES) return this.string("[Truncated]");
    try {
      if (this.ancestors.includes(input)) return this.string("[Circular]");
      if (input instanceof Date) {
        const time = input.getTime();
        return this.string(Number.isNaN(time) ? "Invalid Date" : input.toISOString());
      }
      if (ArrayBuffer.isView(input)) return this.string(`[binary ${input.byteLength} bytes]`);
      if (input instanceof ArrayBuffer) return this.string(`[binary ${input.byteLength} bytes]`);
      const isArray = Array.isArray(input);
      if (depth >= this.limits.maxDepth) return this.string(isArray ? "[Array]" : "[Object]");
      if (input instanceof Error) return this.error(input, depth);
      const toJSON = isArray ? undefined : (input as { toJSON?: unknown }).toJSON;
      this.ancestors.push(input);
      try {
        if (typeof toJSON === "function") {
          const json: unknown = toJSON.call(input);
          // A toJSON that returns its own object would otherwise be walked as [Circular].
          if (json === input) return this.plain(input, depth);
          return this.value(json, depth) ?? null;
        }
        if (isArray) return this.array(input as unknown[], depth);
        if (input instanceof Map) return this.map(input, depth);
        if (input instanceof Set) return this.array(input, depth);
        return this.plain(input, depth);
      } finally {
        this.ancestors.pop();
      }
    } catch (error) {
      return this.string(`[Unserializable: ${reason(error)}]`);
    }
  }

  private plain(input: object, depth: number): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {};
    this.bytes += HEADER_BYTES;
    this.fill(out, input, depth);
    return out;
  }

  private array(input: Iterable<unknown>, depth: number): JsonValue[] {
    const out: JsonValue[] = [];
    this.bytes += HEADER_BYTES;
    const { maxItems } = this.limits;
    let total = 0;
    for (const item of input) {
      total++;
      if (out.length >= maxItems || this.nodes >= MAX_NODES) {
        // Arrays and Sets know their size; counting the rest costs nothing more.
        const size = Array.isArray(input) ? input.length : input instanceof Set ? input.size : total;
        out.push(this.string(`[${size - out.length} more items]`));
        break;
      }
      out.push(this.value(item, depth + 1) ?? null);
    }
    return out;
  }

  private map(input: Map<unknown, unknown>, depth: number): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {};
    this.bytes += HEADER_BYTES;
    let kept = 0;
    for (const [key, raw] of input) {
      if (kept >= this.limits.maxItems || this.nodes >= MAX_NODES) {
        setKey(out, "…", this.string(`[${input.size - kept} more keys]`));
        break;
      }
      const value = this.value(raw, depth + 1);
      if (value === undefined) continue;
      setKey(out, this.key(typeof key === "string" ? key : String(key)), value);
      kept++;
    }
    return out;
  }
}

/** Cuts `text` to `max` characters (never inside a surrogate pair) and says how much was cut. */
export function truncate(text: string, max: number): string {
  let cut = max;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return `${text.slice(0, cut)}…[truncated ${text.length - cut} chars]`;
}

/** Sets a key even when it is `__proto__`, which plain assignment would turn into a prototype change. */
export function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** The reason an error gives, without ever throwing itself. */
export function reason(error: unknown): string {
  try {
    if (error instanceof Error) return error.message;
    return String(error);
  } catch {
    return "unknown error";
  }
}

function readSafely(read: () => unknown): unknown {
  try {
    return read();
  } catch (error) {
    return `[Throws: ${reason(error)}]`;
  }
}
