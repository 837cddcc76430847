import type { Level } from "../../core/event/schema.js";
import { type Alias, type AliasNode, T, TARGET_COUNT, type Target } from "./aliases.js";
import { coerceIp, coerceLatency, coerceMethod, coerceStatus, splitTarget } from "./http.js";
import { normaliseLevel } from "./levels.js";
import { boundedJson, bytesToText, cutChars, isRecordObject, wellFormed } from "./strings.js";
import { parseEventTime } from "./time.js";

/**
 * Parsing: a received record → schema fields plus the rest as attribute entries.
 *
 * 1. JSON lifting. The first of `message`, `log`, `msg` that holds a string is the line. When that
 *    line is a JSON object (Docker and Fluent Bit put an application's JSON line in `log`), its
 *    fields are lifted: they replace the envelope's fields of the same name, except the id field,
 *    where the envelope's value wins, and a schema field taken from the line beats one taken from
 *    the envelope. Envelope fields the line also has are discarded; the line's key is consumed.
 *    Anything else (plain text, arrays, invalid JSON, lines over 1 Mi characters) stays the message.
 * 2. Mapping. Every leaf is looked up by its dotted path in the alias table (`aliases.ts`) and
 *    coerced to the schema type when that is unambiguous (`"201"` → 201); what does not map, loses
 *    to a better alias or cannot be coerced is kept as an attribute under its own path.
 * 3. Round trip. A top-level `attrs` object (an event that was already transformed once) is merged
 *    into attrs as is, so transforming a serialised event again does not nest it under `attrs.`;
 *    such an event (it carries `ingest_time`) also keeps its `source`, `log_group`, `log_stream`.
 */

export interface ParseOptions {
  /** The alias table as a trie (`buildAliasTrie`). */
  aliases: AliasNode;
  /** Top-level field carrying an upstream event id (null: none). */
  idField: string | null;
  /** Objects at this depth or deeper are kept whole as JSON text. */
  maxDepth: number;
  /** Longest key segment, in UTF-16 units. */
  maxKeyLength: number;
  /** Attribute entries kept for the bounding step; further ones are only counted. */
  maxStoredAttrs: number;
  /** Budget for an object message turned into JSON text. */
  maxMessageChars: number;
}

export interface ParsedHttp {
  method?: string;
  path?: string;
  status?: number;
  latency_ms?: number;
  user_agent?: string;
  client_ip?: string;
}

export interface ParsedRecord {
  message: string | undefined;
  level: Level | undefined;
  /** The level value when it was not a known spelling (the event becomes info). */
  levelRaw: unknown;
  timeMs: number | undefined;
  /** The record's time as it was written, when that was a string (the event may reuse it). */
  timeText: string | undefined;
  ingestMs: number | undefined;
  id: string | undefined;
  trace_id: string | undefined;
  span_id: string | undefined;
  request_id: string | undefined;
  service: string | undefined;
  env: string | undefined;
  region: string | undefined;
  host: string | undefined;
  /** Set only for a record that is already a logpipe event (it carries `ingest_time`). */
  source: string | undefined;
  log_group: string | undefined;
  log_stream: string | undefined;
  http: ParsedHttp | undefined;
  /** Query string split off the chosen request target (also added as attribute `http.query`). */
  query: string | undefined;
  /**
   * Attribute entries in record order, values still raw: the first `attrCount` of each array
   * (a shared result's arrays are reused and may be longer; a result of `parse` has exactly those).
   */
  attrKeys: string[];
  attrValues: unknown[];
  attrCount: number;
  /** Entries beyond `maxStoredAttrs`, counted but not stored. */
  attrsNotStored: number;
}

/** Lines longer than this are not JSON-parsed: they stay text and are truncated later. */
export const MAX_LIFT_CHARS = 1_048_576;
const CARRIERS = ["message", "log", "msg"] as const;
const UNKNOWN_LEVEL = Symbol("unknown level");

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** Cheap test before `JSON.parse`: first and last non-blank characters are braces. */
export function looksLikeJsonObject(s: string): boolean {
  let i = 0;
  let j = s.length - 1;
  while (i <= j && isSpace(s.charCodeAt(i))) i++;
  while (j >= i && isSpace(s.charCodeAt(j))) j--;
  return j > i && s.charCodeAt(i) === 123 && s.charCodeAt(j) === 125;
}

/** Fields of the line `liftLine` lifted last; read and cleared right after the call. */
let liftedOut: Record<string, unknown> | undefined;

/**
 * Index in `CARRIERS` of the record's line when it is a JSON object (-1: none), its fields left
 * in `liftedOut`: the parser calls this per record, and a result object each time would be garbage.
 */
function liftLine(record: Record<string, unknown>): number {
  for (let i = 0; i < CARRIERS.length; i++) {
    const key = CARRIERS[i]!;
    if (!Object.hasOwn(record, key)) continue;
    let line = record[key];
    if (line instanceof Uint8Array) line = bytesToText(line);
    if (typeof line !== "string") continue;
    if (line.length > MAX_LIFT_CHARS || !looksLikeJsonObject(line)) return -1;
    try {
      const parsed: unknown = JSON.parse(line);
      if (!isRecordObject(parsed)) return -1;
      liftedOut = parsed;
      return i;
    } catch {
      return -1;
    }
  }
  return -1;
}

/** The record's line lifted from JSON, if it is a JSON object. */
export function liftJsonLine(
  record: Record<string, unknown>,
): { key: string; fields: Record<string, unknown> } | undefined {
  const index = liftLine(record);
  if (index < 0) return undefined;
  const fields = liftedOut!;
  liftedOut = undefined;
  return { key: CARRIERS[index]!, fields };
}

/** Fields only a logpipe event may set (see `settleEventOnly`). */
const EVENT_ONLY: readonly Target[] = [T.source, T.log_group, T.log_stream];

/** Trie keys are at most this long, so a path taken from the trie is the path walking builds. */
function longestTrieKey(node: AliasNode): number {
  let longest = 0;
  if (node.children === undefined) return longest;
  for (const [key, child] of node.children) longest = Math.max(longest, key.length, longestTrieKey(child));
  return longest;
}

function emptyResult(): ParsedRecord {
  return {
    message: undefined,
    level: undefined,
    levelRaw: undefined,
    timeMs: undefined,
    timeText: undefined,
    ingestMs: undefined,
    id: undefined,
    trace_id: undefined,
    span_id: undefined,
    request_id: undefined,
    service: undefined,
    env: undefined,
    region: undefined,
    host: undefined,
    source: undefined,
    log_group: undefined,
    log_stream: undefined,
    http: undefined,
    query: undefined,
    attrKeys: [],
    attrValues: [],
    attrCount: 0,
    attrsNotStored: 0,
  };
}

/**
 * Drops the line ending a log line carries (Docker and Fluent Bit keep it), and any blank lines
 * after it: all of them, so a message transformed again (a forwarded event) comes out the same.
 */
function stripNewline(s: string): string {
  let end = s.length;
  while (end > 0) {
    const c = s.charCodeAt(end - 1);
    if (c !== 10 && c !== 13) break;
    end--;
  }
  return end === s.length ? s : s.slice(0, end);
}

function boundedString(raw: unknown, max: number): string | undefined {
  return typeof raw === "string" && raw.length > 0 && raw.length <= max ? raw : undefined;
}

/** Ids are strings; integers (Datadog writes trace ids as numbers) become their decimal text. */
function idString(raw: unknown, max: number): string | undefined {
  if (typeof raw === "number")
    return Number.isInteger(raw) && raw >= 0 ? boundedString(String(raw), max) : undefined;
  if (typeof raw === "bigint") return raw >= 0n ? boundedString(raw.toString(), max) : undefined;
  return boundedString(raw, max);
}

/**
 * The parser. One instance can parse many records in turn (the transformer keeps one, to spare
 * the allocations); each `parse` starts from a clean state. Not reentrant.
 */
export class RecordParser {
  private readonly val: unknown[] = new Array(TARGET_COUNT).fill(undefined);
  private readonly pri: number[] = new Array(TARGET_COUNT).fill(Number.POSITIVE_INFINITY);
  private readonly key: (string | undefined)[] = new Array(TARGET_COUNT).fill(undefined);
  private readonly raw: unknown[] = new Array(TARGET_COUNT).fill(undefined);
  private attrKeys: string[] = [];
  private attrValues: unknown[] = [];
  /** Entries in use; reused arrays keep their length so their storage is not given up and regrown. */
  private attrCount = 0;
  private attrsNotStored = 0;
  /** Weak HTTP aliases, decided once it is known whether this is an HTTP event. */
  private deferred: { alias: Alias; path: string; value: unknown; outer: boolean }[] | undefined;
  private isHttp = false;
  /** While walking an envelope whose line was lifted: the line's key and fields. */
  private liftedKey: string | undefined;
  private liftedFields: Record<string, unknown> | undefined;
  /** True while the attribute arrays belong to a result handed out by `parse`. */
  private arraysHandedOut = true;
  /** The result `parseShared` fills again on every call. */
  private readonly shared: ParsedRecord = emptyResult();
  /** Paths stored on trie nodes equal the paths walking would build (no trie key gets cut). */
  private readonly triePaths: boolean;

  constructor(private readonly options: ParseOptions) {
    this.triePaths = longestTrieKey(options.aliases) <= options.maxKeyLength;
  }

  /** Parses one record (any value: non-objects become the message). Never throws on data. */
  parse(record: unknown): ParsedRecord {
    // Fresh arrays, sized to this record: the caller keeps them.
    this.arraysHandedOut = true;
    this.run(record);
    this.arraysHandedOut = true;
    return this.fill(emptyResult());
  }

  /**
   * Like `parse`, but the result (its attribute arrays included) is one object reused by the next
   * call on this parser: for a caller that is done with it before parsing again, as the
   * transformer is. Spares the per-record garbage that made the hot path collection-bound.
   */
  parseShared(record: unknown): ParsedRecord {
    this.run(record);
    this.arraysHandedOut = false;
    return this.fill(this.shared);
  }

  private run(record: unknown): void {
    this.reset();
    const options = this.options;
    if (!isRecordObject(record)) {
      const messageAlias = options.aliases.children!.get("message")!.alias!;
      this.offer(messageAlias, "message", record instanceof Uint8Array ? bytesToText(record) : record, false);
      return;
    }
    const liftedIndex = liftLine(record);
    if (liftedIndex < 0) {
      this.walk(record, "", 0, false, options.aliases);
    } else {
      const fields = liftedOut!;
      liftedOut = undefined;
      this.liftedKey = CARRIERS[liftedIndex];
      this.liftedFields = fields;
      this.walk(record, "", 0, true, options.aliases);
      this.walk(fields, "", 0, false, options.aliases);
    }
    this.settleDeferred();
    this.settleEventOnly();
  }

  private reset(): void {
    for (let i = 0; i < TARGET_COUNT; i++) {
      this.val[i] = undefined;
      this.pri[i] = Number.POSITIVE_INFINITY;
      this.key[i] = undefined;
      this.raw[i] = undefined;
    }
    if (this.arraysHandedOut) {
      // A result handed out by `parse` still refers to the old arrays.
      this.attrKeys = [];
      this.attrValues = [];
      this.arraysHandedOut = false;
    } else {
      // Let go of the previous record's values, keeping the arrays' storage.
      for (let i = 0; i < this.attrCount; i++) this.attrValues[i] = undefined;
    }
    this.attrCount = 0;
    this.attrsNotStored = 0;
    this.deferred = undefined;
    this.isHttp = false;
    this.liftedKey = undefined;
    this.liftedFields = undefined;
  }

  /** Envelope keys that give way to the lifted line: its own key, and every key the line has. */
  private skipInEnvelope(k: string): boolean {
    return k === this.liftedKey || (k !== this.options.idField && Object.hasOwn(this.liftedFields!, k));
  }

  private attr(path: string, value: unknown): void {
    if (value === undefined) return;
    const n = this.attrCount;
    if (n < this.options.maxStoredAttrs) {
      this.attrKeys[n] = path;
      this.attrValues[n] = value;
      this.attrCount = n + 1;
    } else this.attrsNotStored++;
  }

  private coerce(alias: Alias, value: unknown): unknown {
    switch (alias.target) {
      case T.message:
        if (typeof value === "string") return stripNewline(value);
        if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
          return String(value);
        if (typeof value === "object" && value !== null)
          return boundedJson(value, this.options.maxMessageChars, this.options.maxDepth);
        return undefined;
      case T.level:
        if (typeof value !== "string" && typeof value !== "number") return undefined;
        return normaliseLevel(value) ?? UNKNOWN_LEVEL;
      case T.time:
      case T.ingest_time:
        return parseEventTime(value);
      case T.trace_id:
        return idString(value, 64);
      case T.span_id:
        return idString(value, 32);
      case T.request_id:
        return idString(value, 128);
      case T.id:
        return boundedString(value, 128);
      case T.service:
        return boundedString(value, 128);
      case T.env:
      case T.region:
        return boundedString(value, 64);
      case T.host:
        return boundedString(value, 255);
      case T.source:
        return boundedString(value, 64);
      case T.log_group:
      case T.log_stream:
        return boundedString(value, 512);
      case T.method:
        return coerceMethod(value);
      case T.path:
        return splitTarget(value);
      case T.status:
        return coerceStatus(value, alias.strength === "weak");
      case T.latency_ms:
        return coerceLatency(value, alias.scale);
      case T.user_agent:
        return typeof value === "string" && value.length > 0 ? value : undefined;
      case T.client_ip:
        return coerceIp(value);
      default:
        return undefined;
    }
  }

  private offer(alias: Alias, path: string, value: unknown, outer: boolean): void {
    const coerced = this.coerce(alias, value);
    if (coerced === undefined) {
      this.attr(path, value);
      return;
    }
    const t = alias.target;
    // The id stamped on the envelope is the one assigned at first contact; for every other field
    // the application's own line is the better witness.
    let priority = t === T.id ? (outer ? 0 : 1) : alias.priority + (outer ? 100 : 0);
    if (coerced === UNKNOWN_LEVEL) priority += 1000;
    if (alias.strength === "strong") this.isHttp = true;
    const current = this.pri[t]!;
    if (priority < current) {
      if (current !== Number.POSITIVE_INFINITY) this.attr(this.key[t]!, this.raw[t]);
      this.val[t] = coerced;
      this.pri[t] = priority;
      this.key[t] = path;
      this.raw[t] = value;
    } else this.attr(path, value);
  }

  private leaf(path: string, value: unknown, outer: boolean, alias: Alias | undefined): void {
    const v = value instanceof Uint8Array ? bytesToText(value) : value;
    if (alias === undefined) this.attr(path, v);
    else if (alias.strength !== "weak") this.offer(alias, path, v, outer);
    else if (this.deferred === undefined) this.deferred = [{ alias, path, value: v, outer }];
    else this.deferred.push({ alias, path, value: v, outer });
  }

  private segment(k: string): string {
    if (k.length === 0) return "_";
    return k.length > this.options.maxKeyLength ? cutChars(k, this.options.maxKeyLength) : k;
  }

  /**
   * A key of an already-flattened `attrs` object: its dotted segments are bounded one by one, so
   * a key this code produced comes back unchanged.
   */
  private flatKey(k: string): string {
    const max = this.options.maxKeyLength;
    if (k.length === 0) return "_";
    if (k.length <= max) return k;
    return k
      .split(".")
      .map((segment) => (segment.length > max ? cutChars(segment, max) : segment))
      .join(".");
  }

  /** Attribute entries of an already-flattened `attrs` object, kept under their own keys. */
  private walkAttrs(obj: Record<string, unknown>, prefix: string, depth: number): void {
    for (const k of Object.keys(obj)) {
      const v = obj[k];
      const path = prefix.length === 0 ? this.flatKey(k) : `${prefix}.${this.flatKey(k)}`;
      if (isRecordObject(v) && depth + 1 < this.options.maxDepth) this.walkAttrs(v, path, depth + 1);
      else this.attr(path, v);
    }
  }

  private walk(
    obj: Record<string, unknown>,
    prefix: string,
    depth: number,
    outer: boolean,
    node: AliasNode | undefined,
  ): void {
    const skipping = outer && depth === 0 && this.liftedKey !== undefined;
    const children = node?.children;
    let empty = true;
    // `for…in` over own keys visits them in `Object.keys` order without copying the key list.
    for (const k in obj) {
      if (!Object.hasOwn(obj, k)) continue;
      empty = false;
      if (skipping && this.skipInEnvelope(k)) continue;
      const v = obj[k];
      if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
      const child = children?.get(k);
      const seg = this.segment(k);
      const path =
        child !== undefined && this.triePaths ? child.path : depth === 0 ? seg : `${prefix}.${seg}`;
      if (!isRecordObject(v)) {
        this.leaf(path, v, outer, child?.alias);
        continue;
      }
      if (depth === 0 && seg === "attrs") this.walkAttrs(v, "", 1);
      else if (child?.alias?.acceptsObject) this.leaf(path, v, outer, child.alias);
      else if (depth + 1 >= this.options.maxDepth) this.attr(path, v);
      else this.walk(v, path, depth + 1, outer, child);
    }
    if (empty && depth > 0) this.attr(prefix, obj);
  }

  private settleDeferred(): void {
    if (this.deferred === undefined) return;
    for (const d of this.deferred) {
      if (this.isHttp) this.offer(d.alias, d.path, d.value, d.outer);
      else this.attr(d.path, d.value);
    }
  }

  /** Fields that only a logpipe event may set; in any other record they are attributes. */
  private settleEventOnly(): void {
    if (this.val[T.ingest_time] !== undefined) return;
    for (const t of EVENT_ONLY) {
      if (this.val[t] === undefined) continue;
      this.attr(this.key[t]!, this.raw[t]);
      this.val[t] = undefined;
    }
  }

  private str(t: Target): string | undefined {
    const v = this.val[t];
    return typeof v === "string" ? wellFormed(v) : undefined;
  }

  private fill(out: ParsedRecord): ParsedRecord {
    const val = this.val;
    let http: ParsedHttp | undefined;
    let query: string | undefined;
    if (
      val[T.method] !== undefined ||
      val[T.path] !== undefined ||
      val[T.status] !== undefined ||
      val[T.latency_ms] !== undefined ||
      val[T.user_agent] !== undefined ||
      val[T.client_ip] !== undefined
    ) {
      http = {};
      const method = this.str(T.method);
      if (method !== undefined) http.method = method;
      const target = val[T.path] as { path: string; query: string | undefined } | undefined;
      if (target !== undefined) {
        http.path = wellFormed(target.path);
        query = target.query;
        // The schema's path has no query string; the query is kept beside it (and redacted there).
        if (query !== undefined) this.attr("http.query", query);
      }
      if (val[T.status] !== undefined) http.status = val[T.status] as number;
      if (val[T.latency_ms] !== undefined) http.latency_ms = val[T.latency_ms] as number;
      const userAgent = this.str(T.user_agent);
      if (userAgent !== undefined) http.user_agent = userAgent;
      const clientIp = this.str(T.client_ip);
      if (clientIp !== undefined) http.client_ip = clientIp;
    }
    const level = val[T.level];
    const timeRaw = this.raw[T.time];
    out.message = this.str(T.message);
    out.level = level === UNKNOWN_LEVEL ? undefined : (level as Level | undefined);
    out.levelRaw = level === UNKNOWN_LEVEL ? this.raw[T.level] : undefined;
    out.timeMs = val[T.time] as number | undefined;
    out.timeText = val[T.time] !== undefined && typeof timeRaw === "string" ? timeRaw : undefined;
    out.ingestMs = val[T.ingest_time] as number | undefined;
    out.id = this.str(T.id);
    out.trace_id = this.str(T.trace_id);
    out.span_id = this.str(T.span_id);
    out.request_id = this.str(T.request_id);
    out.service = this.str(T.service);
    out.env = this.str(T.env);
    out.region = this.str(T.region);
    out.host = this.str(T.host);
    out.source = this.str(T.source);
    out.log_group = this.str(T.log_group);
    out.log_stream = this.str(T.log_stream);
    out.http = http;
    out.query = query;
    out.attrKeys = this.attrKeys;
    out.attrValues = this.attrValues;
    out.attrCount = this.attrCount;
    out.attrsNotStored = this.attrsNotStored;
    return out;
  }
}

/** Parses one record (any value: non-objects become the message). Never throws on data. */
export function parseRecord(record: unknown, options: ParseOptions): ParsedRecord {
  return new RecordParser(options).parse(record);
}
