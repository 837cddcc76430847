import { randomUUID } from "node:crypto";
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

/**
 * An OpenSearch endpoint for tests that speaks the REST API the real client uses, so the
 * `@opensearch-project/opensearch` client is exercised end to end over HTTP:
 *
 * - `POST /_bulk` (NDJSON; `index`, `create`, `delete`), answered item by item exactly like
 *   OpenSearch (`{took, errors, items: [{index: {_index, _id, status, result | error}}]}`), with
 *   `_id` semantics (index overwrites → 200 `updated`, create on an existing id → 409
 *   `version_conflict_engine_exception`);
 * - indices created on first write from the highest-priority matching `_index_template`
 *   (mappings, `dynamic`, `index.mapping.total_fields.limit`, data streams), with mapping
 *   enforcement: dynamic fields are added (and counted) only when `dynamic` allows, a document
 *   that would push the mapping past the field limit is refused with `illegal_argument_exception`
 *   "Limit of total fields [N] has been exceeded", values that do not fit their mapped type with
 *   `mapper_parsing_exception`; `flat_object` keys never become fields;
 * - `POST /<target>/_search` evaluating the query DSL subset the DQL compiler emits (bool,
 *   match_all, term, terms, match, match_phrase, wildcard, exists, range) against the mappings,
 *   with `sort`, `size`, `from` and `search_after`; text is split into words by `Intl.Segmenter`
 *   (ICU's implementation of Unicode word boundaries, the algorithm of OpenSearch's standard
 *   tokenizer) and lower-cased; anything else is refused with `parsing_exception`;
 * - `PUT/GET /_index_template/<name>`, `GET/PUT /_plugins/_ism/policies/<id>` (create; update
 *   only with matching `if_seq_no`/`if_primary_term`, else 409), `GET /`.
 *
 * Faults are scripted: per-item failures by document id, whole-request failures (any status,
 * or a dropped connection), 413 for bodies over `maxBodyBytes`. Every request is recorded.
 */

export interface ItemFault {
  status: number;
  type: string;
  reason: string;
}

/** Item failures as OpenSearch reports them. */
export const ITEM_FAULTS = {
  throttled: {
    status: 429,
    type: "es_rejected_execution_exception",
    reason:
      "rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=1024, max_coordinating_and_primary_bytes=0]",
  },
  circuitBreaker: {
    status: 429,
    type: "circuit_breaking_exception",
    reason:
      "[parent] Data too large, data for [<http_request>] would be [1024/1kb], which is larger than the limit",
  },
  mapping: {
    status: 400,
    type: "mapper_parsing_exception",
    reason: "failed to parse field [http.status] of type [integer] in document",
  },
  unavailable: {
    status: 503,
    type: "unavailable_shards_exception",
    reason: "[logs][0] primary shard is not active Timeout: [1m]",
  },
} satisfies Record<string, ItemFault>;

export type RequestFault =
  | {
      status: number;
      type?: string;
      reason?: string;
      /** Sent instead of the OpenSearch error JSON (e.g. a proxy's HTML page). */
      rawBody?: string;
      headers?: Record<string, string>;
    }
  | { drop: true };

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Request body as sent (before any gunzip). */
  bytes: number;
  body: string;
  /** HTTP status answered, or `dropped`. */
  status: number | "dropped";
  /** For `_bulk`: the actions in order. */
  bulk?: Array<{ op: string; index: string | undefined; id: string | undefined }>;
}

export interface StoredDoc {
  id: string;
  source: Record<string, unknown>;
  version: number;
  seqNo: number;
}

interface FieldMapping {
  type?: string;
  properties?: Record<string, FieldMapping>;
  fields?: Record<string, FieldMapping>;
  ignore_above?: number;
  dynamic?: unknown;
  [key: string]: unknown;
}

type Dynamic = true | false | "strict";

export interface FakeIndex {
  name: string;
  /** Backing index reported in `_index` (data streams only). */
  backing?: string;
  dataStream: boolean;
  dynamic: Dynamic;
  properties: Record<string, FieldMapping>;
  totalFieldsLimit: number;
  docs: Map<string, StoredDoc>;
  settings: Record<string, unknown>;
}

interface StoredPolicy {
  policy: Record<string, unknown>;
  seqNo: number;
  primaryTerm: number;
  version: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** OpenSearch's default `http.max_content_length`. */
const DEFAULT_MAX_BODY_BYTES = 100 * 1024 * 1024;
const DEFAULT_TOTAL_FIELDS_LIMIT = 1000;
/** Beyond this the fake stops keeping a body at all (it is a test server, not a sink). */
const HARD_BODY_CAP_BYTES = 256 * 1024 * 1024;
const KNOWN_TYPES = new Set([
  "keyword",
  "text",
  "date",
  "integer",
  "long",
  "short",
  "byte",
  "double",
  "float",
  "half_float",
  "ip",
  "boolean",
  "object",
  "flat_object",
]);
const INTEGER_RANGES: Record<string, [number, number]> = {
  integer: [-(2 ** 31), 2 ** 31 - 1],
  short: [-32768, 32767],
  byte: [-128, 127],
  long: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};
const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

const segmenter = new Intl.Segmenter("en", { granularity: "word" });

/** The standard analyzer: Unicode word boundaries, lower-cased. */
export function standardAnalyze(text: string): string[] {
  const out: string[] = [];
  for (const s of segmenter.segment(text)) if (s.isWordLike) out.push(s.segment.toLowerCase());
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function globToRegExp(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
}

/** A `wildcard` query value: `*`, `?` are operators, `\` escapes the next character. */
function wildcardRegExp(value: string, caseInsensitive: boolean): RegExp {
  let source = "";
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === "\\" && i + 1 < value.length) {
      source += value[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    } else if (ch === "*") source += "[\\s\\S]*";
    else if (ch === "?") source += "[\\s\\S]";
    else source += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, caseInsensitive ? "iu" : "u");
}

function setting(settings: Record<string, unknown>, dotted: string): unknown {
  if (Object.hasOwn(settings, dotted)) return settings[dotted];
  let node: unknown = settings;
  for (const part of dotted.split(".")) {
    if (!isObject(node)) return undefined;
    node = node[part];
  }
  return node;
}

function parseDynamic(value: unknown, inherited: Dynamic): Dynamic {
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  if (value === "strict") return "strict";
  return inherited;
}

/** Mapped fields as OpenSearch counts them against `total_fields.limit`: objects and multi-fields too. */
export function countFields(properties: Record<string, FieldMapping>): number {
  let n = 0;
  for (const m of Object.values(properties)) {
    n += 1;
    if (m.properties) n += countFields(m.properties);
    if (m.fields) n += countFields(m.fields);
  }
  return n;
}

/** `strict_date_optional_time||epoch_millis`, as the template maps timestamps. */
function dateMs(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value !== "string") return undefined;
  if (/^-?\d{5,}$/.test(value)) return Number(value);
  const iso = /^\d{4}-\d{2}-\d{2}(?:T\d{2}(?::\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(
    value,
  );
  if (!iso) return undefined;
  const ms = Date.parse(value.includes("T") && iso[1] === undefined ? `${value}Z` : value);
  return Number.isFinite(ms) ? ms : undefined;
}

function preview(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 20 ? `${text.slice(0, 20)}...` : text;
}

export class FakeOpenSearch {
  readonly requests: RecordedRequest[] = [];
  readonly indices = new Map<string, FakeIndex>();
  readonly templates = new Map<string, Record<string, unknown>>();
  readonly policies = new Map<string, StoredPolicy>();
  /** Bodies above this many bytes are answered 413, as `http.max_content_length` (or a domain's payload cap) does. */
  maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
  /** When set, requests without these basic credentials are answered 401. */
  basicAuth: { username: string; password: string } | undefined;
  private seqNo = 0;
  private readonly itemFaults = new Map<string, ItemFault[]>();
  private readonly requestFaults: Array<{ fault: RequestFault; path: RegExp; remaining: number }> = [];

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(): Promise<FakeOpenSearch> {
    let fake: FakeOpenSearch | undefined;
    const server = createServer((req, res) => {
      fake!.handle(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeOpenSearch(server, `http://127.0.0.1:${port}`);
    return fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- scripted faults ---------------------------------------------------------------------

  /** The next bulk items with this `_id` fail with these faults, one per occurrence, in order. */
  failItem(id: string, ...faults: ItemFault[]): void {
    this.itemFaults.set(id, [...(this.itemFaults.get(id) ?? []), ...faults]);
  }

  /** The next `times` requests whose path matches (default: `_bulk`) fail as a whole. */
  failRequests(fault: RequestFault, options: { times?: number; path?: RegExp } = {}): void {
    this.requestFaults.push({ fault, path: options.path ?? /\/_bulk$/, remaining: options.times ?? 1 });
  }

  // ---- inspection --------------------------------------------------------------------------

  bulkRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.bulk !== undefined);
  }

  /** The ids of each bulk request, in order, as sent. */
  bulkIds(): string[][] {
    return this.bulkRequests().map((r) => r.bulk!.map((a) => a.id ?? ""));
  }

  /** Every stored document across indices. */
  allDocs(): Array<StoredDoc & { index: string }> {
    return [...this.indices.values()].flatMap((index) =>
      [...index.docs.values()].map((d) => ({ ...d, index: index.name })),
    );
  }

  docIds(): string[] {
    return this.allDocs()
      .map((d) => d.id)
      .sort();
  }

  fieldCount(index: string): number {
    const state = this.indices.get(index);
    if (!state) throw new Error(`no index ${index}`);
    return countFields(state.properties);
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const chunks: Buffer[] = [];
    let bytes = 0;
    // Read the whole body before answering, even one too large: answering while the client is
    // still writing would make it see a reset instead of the 413.
    for await (const chunk of req) {
      bytes += (chunk as Buffer).length;
      // Kept (up to a hard cap) even past maxBodyBytes, so the log shows what a 413 refused.
      if (bytes <= HARD_BODY_CAP_BYTES) chunks.push(chunk as Buffer);
    }
    const raw = Buffer.concat(chunks);
    const record: RecordedRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      bytes,
      body: "",
      status: 200,
    };
    this.requests.push(record);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      const text = typeof body === "string" ? body : JSON.stringify(body);
      res.writeHead(status, {
        "content-type":
          typeof body === "string" ? "text/plain; charset=UTF-8" : "application/json; charset=UTF-8",
        "content-length": String(Buffer.byteLength(text)),
        ...headers,
      });
      res.end(text);
    };

    let body: string;
    try {
      body = (req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString("utf8");
    } catch {
      send(400, errorBody(400, "parse_exception", "request body is not valid gzip"));
      return;
    }
    record.body = body;
    if (bytes > this.maxBodyBytes) {
      if (url.pathname.endsWith("/_bulk")) record.bulk = safeBulkActions(body);
      send(413, { Message: `Request size exceeded ${this.maxBodyBytes} bytes` });
      return;
    }

    if (this.basicAuth) {
      const expected = `Basic ${Buffer.from(`${this.basicAuth.username}:${this.basicAuth.password}`).toString("base64")}`;
      if (req.headers.authorization !== expected) {
        send(401, "Unauthorized", { "www-authenticate": 'Basic realm="OpenSearch Security"' });
        return;
      }
    }

    const fault = this.takeRequestFault(url.pathname);
    if (fault) {
      if ("drop" in fault) {
        record.status = "dropped";
        if (url.pathname.endsWith("/_bulk")) record.bulk = safeBulkActions(body);
        res.destroy();
        return;
      }
      if (url.pathname.endsWith("/_bulk")) record.bulk = safeBulkActions(body);
      if (fault.rawBody !== undefined) send(fault.status, fault.rawBody, fault.headers);
      else
        send(
          fault.status,
          errorBody(fault.status, fault.type ?? "exception", fault.reason ?? "scripted failure"),
          fault.headers,
        );
      return;
    }

    try {
      const answer = this.route(record, body);
      send(answer.status, answer.body);
    } catch (error) {
      if (error instanceof HttpError) send(error.status, errorBody(error.status, error.type, error.reason));
      else send(500, errorBody(500, "exception", error instanceof Error ? error.message : String(error)));
    }
  }

  private takeRequestFault(path: string): RequestFault | undefined {
    const index = this.requestFaults.findIndex((f) => f.path.test(path));
    if (index < 0) return undefined;
    const entry = this.requestFaults[index]!;
    if (--entry.remaining <= 0) this.requestFaults.splice(index, 1);
    return entry.fault;
  }

  private route(record: RecordedRequest, body: string): { status: number; body: unknown } {
    const { method, path } = record;
    const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    if (parts.length === 0 && (method === "GET" || method === "HEAD")) return { status: 200, body: INFO };
    if (parts.at(-1) === "_bulk" && parts.length <= 2 && (method === "POST" || method === "PUT")) {
      return this.bulk(record, body, parts.length === 2 ? parts[0] : undefined);
    }
    if (parts.at(-1) === "_search" && parts.length <= 2 && (method === "POST" || method === "GET")) {
      return this.search(parts.length === 2 ? parts[0]! : "*", record.query, body);
    }
    if (parts.at(-1) === "_refresh")
      return { status: 200, body: { _shards: { total: 1, successful: 1, failed: 0 } } };
    if (parts[0] === "_index_template" && parts.length === 2) {
      if (method === "PUT" || method === "POST") return this.putTemplate(parts[1]!, body);
      if (method === "GET") return this.getTemplate(parts[1]!);
    }
    if (parts[0] === "_plugins" && parts[1] === "_ism" && parts[2] === "policies" && parts.length === 4) {
      if (method === "GET") return this.getPolicy(parts[3]!);
      if (method === "PUT") return this.putPolicy(parts[3]!, record.query, body);
    }
    if (parts.length === 2 && parts[1] === "_mapping" && method === "GET") {
      const index = this.indices.get(parts[0]!);
      if (!index) throw new HttpError(404, "index_not_found_exception", `no such index [${parts[0]}]`);
      return {
        status: 200,
        body: {
          [index.backing ?? index.name]: {
            mappings: { dynamic: String(index.dynamic), properties: index.properties },
          },
        },
      };
    }
    throw new HttpError(
      400,
      "illegal_argument_exception",
      `no handler found for uri [${path}] and method [${method}]`,
    );
  }

  // ---- _bulk -----------------------------------------------------------------------------------

  private bulk(record: RecordedRequest, body: string, defaultIndex: string | undefined) {
    const started = Date.now();
    if (!body.endsWith("\n")) {
      throw new HttpError(
        400,
        "illegal_argument_exception",
        "The bulk request must be terminated by a newline [\\n]",
      );
    }
    const lines = body.slice(0, -1).split("\n");
    const actions: Array<{ op: string; index: string | undefined; id: string | undefined; source?: string }> =
      [];
    for (let i = 0; i < lines.length; i++) {
      let action: unknown;
      try {
        action = JSON.parse(lines[i]!);
      } catch {
        throw new HttpError(
          400,
          "json_parse_exception",
          `Unexpected character in action/metadata line [${i + 1}]`,
        );
      }
      const keys = isObject(action) ? Object.keys(action) : [];
      const op = keys[0];
      if (!isObject(action) || keys.length !== 1 || !["index", "create", "delete"].includes(op!)) {
        throw new HttpError(
          400,
          "illegal_argument_exception",
          `Malformed action/metadata line [${i + 1}], expected a simple value for field [${op ?? ""}] but found [START_OBJECT]`,
        );
      }
      const meta = action[op!];
      if (!isObject(meta)) {
        throw new HttpError(400, "illegal_argument_exception", `Malformed action/metadata line [${i + 1}]`);
      }
      const index = typeof meta["_index"] === "string" ? meta["_index"] : defaultIndex;
      const id = typeof meta["_id"] === "string" ? meta["_id"] : undefined;
      if (index === undefined) {
        throw new HttpError(
          400,
          "action_request_validation_exception",
          "Validation Failed: 1: index is missing;",
        );
      }
      if (op === "delete") {
        actions.push({ op: op!, index, id });
        continue;
      }
      if (i + 1 >= lines.length) {
        throw new HttpError(
          400,
          "illegal_argument_exception",
          `The bulk request must be terminated by a newline [\\n]`,
        );
      }
      actions.push({ op: op!, index, id, source: lines[++i]! });
    }
    record.bulk = actions.map(({ op, index, id }) => ({ op, index, id }));
    const items = actions.map((a) => ({ [a.op]: this.bulkItem(a) }));
    const errors = items.some((item) => "error" in Object.values(item)[0]!);
    return { status: 200, body: { took: Math.max(1, Date.now() - started), errors, items } };
  }

  private bulkItem(a: { op: string; index: string | undefined; id: string | undefined; source?: string }) {
    const id = a.id ?? randomUUID().replaceAll("-", "").slice(0, 20);
    const name = a.index!;
    const fail = (status: number, type: string, reason: string, indexName = name) => ({
      _index: indexName,
      _id: id,
      status,
      error: { type, reason, index: indexName, shard: "0", index_uuid: "fakeUuid" },
    });
    const scripted = this.itemFaults.get(id)?.shift();
    if (scripted) return fail(scripted.status, scripted.type, scripted.reason);

    const invalid = invalidIndexName(name);
    if (invalid) return fail(400, "invalid_index_name_exception", `Invalid index name [${name}], ${invalid}`);
    const index = this.indexFor(name);
    const reported = index.backing ?? index.name;
    if (index.dataStream && a.op !== "create" && a.op !== "delete") {
      return fail(
        400,
        "illegal_argument_exception",
        "only write ops with an op_type of create are allowed in data streams",
        reported,
      );
    }
    if (a.op === "delete") {
      const existed = index.docs.delete(id);
      return {
        _index: reported,
        _id: id,
        _version: 1,
        result: existed ? "deleted" : "not_found",
        status: existed ? 200 : 404,
      };
    }
    let source: unknown;
    try {
      source = JSON.parse(a.source!);
    } catch (error) {
      return fail(400, "mapper_parsing_exception", `failed to parse: ${(error as Error).message}`, reported);
    }
    if (!isObject(source))
      return fail(400, "mapper_parsing_exception", "failed to parse, document is empty", reported);
    const existing = index.docs.get(id);
    if (existing && a.op === "create") {
      return fail(
        409,
        "version_conflict_engine_exception",
        `[${id}]: version conflict, document already exists (current version [${existing.version}])`,
        reported,
      );
    }
    const mapped = this.applyMapping(index, source, id);
    if (mapped) return fail(mapped.status, mapped.type, mapped.reason, reported);
    const version = (existing?.version ?? 0) + 1;
    const seqNo = this.seqNo++;
    index.docs.set(id, { id, source, version, seqNo });
    return {
      _index: reported,
      _id: id,
      _version: version,
      result: existing ? "updated" : "created",
      _shards: { total: 2, successful: 1, failed: 0 },
      _seq_no: seqNo,
      _primary_term: 1,
      status: existing ? 200 : 201,
    };
  }

  private indexFor(name: string): FakeIndex {
    const existing = this.indices.get(name);
    if (existing) return existing;
    const template = this.matchTemplate(name);
    const body = template?.["template"];
    const tpl = isObject(body) ? body : {};
    const mappings = isObject(tpl["mappings"]) ? tpl["mappings"] : {};
    const settings = isObject(tpl["settings"]) ? tpl["settings"] : {};
    const limit = Number(setting(settings, "index.mapping.total_fields.limit") ?? DEFAULT_TOTAL_FIELDS_LIMIT);
    const dataStream = template !== undefined && isObject(template["data_stream"]);
    const index: FakeIndex = {
      name,
      ...(dataStream ? { backing: `.ds-${name}-000001` } : {}),
      dataStream,
      dynamic: parseDynamic(mappings["dynamic"], true),
      properties: structuredClone(
        (isObject(mappings["properties"]) ? mappings["properties"] : {}) as Record<string, FieldMapping>,
      ),
      totalFieldsLimit: Number.isFinite(limit) ? limit : DEFAULT_TOTAL_FIELDS_LIMIT,
      docs: new Map(),
      settings,
    };
    this.indices.set(name, index);
    return index;
  }

  private matchTemplate(name: string): Record<string, unknown> | undefined {
    let best: Record<string, unknown> | undefined;
    let bestPriority = -1;
    for (const template of this.templates.values()) {
      const patterns = template["index_patterns"] as string[];
      const priority = typeof template["priority"] === "number" ? template["priority"] : 0;
      if (patterns.some((p) => globToRegExp(p).test(name)) && priority > bestPriority) {
        best = template;
        bestPriority = priority;
      }
    }
    return best;
  }

  /** Checks a document against the index mapping, adding dynamic fields; an error leaves the mapping as it was. */
  private applyMapping(index: FakeIndex, source: Record<string, unknown>, id: string): ItemFault | undefined {
    const properties = structuredClone(index.properties);
    const problem = mapObject(source, properties, index.dynamic, "", id);
    if (problem) return problem;
    if (countFields(properties) > index.totalFieldsLimit) {
      return {
        status: 400,
        type: "illegal_argument_exception",
        reason: `Limit of total fields [${index.totalFieldsLimit}] has been exceeded`,
      };
    }
    index.properties = properties;
    return undefined;
  }

  // ---- _search ---------------------------------------------------------------------------------

  private search(target: string, query: Record<string, string>, text: string) {
    let body: Record<string, unknown> = {};
    if (text.trim()) {
      const parsed = tryJson(text);
      if (!isObject(parsed))
        throw new HttpError(400, "parsing_exception", "request body is not a JSON object");
      body = parsed;
    }
    const indices = this.resolveTarget(target, query);
    const size = body["size"] === undefined ? 10 : Number(body["size"]);
    const from = body["from"] === undefined ? 0 : Number(body["from"]);
    if (!Number.isInteger(size) || size < 0 || !Number.isInteger(from) || from < 0) {
      throw new HttpError(
        400,
        "illegal_argument_exception",
        "[size] and [from] must be non-negative integers",
      );
    }
    if (from + size > 10_000) {
      throw new HttpError(
        400,
        "illegal_argument_exception",
        `Result window is too large, from + size must be less than or equal to: [10000] but was [${from + size}].`,
      );
    }
    const clause = body["query"] ?? { match_all: {} };
    const sorts = parseSort(body["sort"]);
    let hits: Array<{ index: FakeIndex; doc: StoredDoc; sort: unknown[] }> = [];
    for (const index of indices) {
      for (const doc of index.docs.values()) {
        if (evaluate(clause, doc.source, index)) {
          hits.push({ index, doc, sort: sorts.map((s) => sortValue(index, doc.source, s.field)) });
        }
      }
    }
    hits.sort((a, b) => compareSortTuples(a.sort, b.sort, sorts) || a.doc.seqNo - b.doc.seqNo);
    const after = body["search_after"];
    if (after !== undefined) {
      if (!Array.isArray(after) || after.length !== sorts.length) {
        throw new HttpError(
          400,
          "illegal_argument_exception",
          "search_after has not the same number of values as the sort",
        );
      }
      hits = hits.filter((h) => compareSortTuples(h.sort, after, sorts) > 0);
    }
    const total = hits.length;
    const page = hits.slice(from, from + size);
    return {
      status: 200,
      body: {
        took: 1,
        timed_out: false,
        _shards: { total: indices.length, successful: indices.length, skipped: 0, failed: 0 },
        hits: {
          ...(body["track_total_hits"] === false ? {} : { total: { value: total, relation: "eq" } }),
          max_score: null,
          hits: page.map((h) => ({
            _index: h.index.backing ?? h.index.name,
            _id: h.doc.id,
            _score: null,
            ...(body["_source"] === false ? {} : { _source: h.doc.source }),
            ...(sorts.length > 0 ? { sort: h.sort } : {}),
          })),
        },
      },
    };
  }

  private resolveTarget(target: string, query: Record<string, string>): FakeIndex[] {
    const ignoreUnavailable = query["ignore_unavailable"] === "true";
    const allowNoIndices = query["allow_no_indices"] !== "false";
    const found = new Set<FakeIndex>();
    for (const part of target.split(",")) {
      if (part === "_all" || part.includes("*")) {
        const re = globToRegExp(part === "_all" ? "*" : part);
        const matched = [...this.indices.values()].filter((i) => re.test(i.name));
        if (matched.length === 0 && !allowNoIndices) {
          throw new HttpError(404, "index_not_found_exception", `no such index [${part}]`);
        }
        for (const m of matched) found.add(m);
      } else {
        const index = this.indices.get(part);
        if (index) found.add(index);
        else if (!ignoreUnavailable)
          throw new HttpError(404, "index_not_found_exception", `no such index [${part}]`);
      }
    }
    return [...found];
  }

  // ---- templates and ISM -------------------------------------------------------------------------

  private putTemplate(name: string, text: string) {
    const body = tryJson(text);
    if (!isObject(body)) throw new HttpError(400, "parse_exception", "request body is required");
    const patterns =
      typeof body["index_patterns"] === "string" ? [body["index_patterns"]] : body["index_patterns"];
    if (!Array.isArray(patterns) || patterns.length === 0 || !patterns.every((p) => typeof p === "string")) {
      throw new HttpError(
        400,
        "action_request_validation_exception",
        "Validation Failed: 1: index patterns are missing;",
      );
    }
    const template = body["template"];
    if (template !== undefined && !isObject(template)) {
      throw new HttpError(400, "x_content_parse_exception", "[template] must be an object");
    }
    const mappings = isObject(template) ? template["mappings"] : undefined;
    if (mappings !== undefined) {
      if (!isObject(mappings))
        throw new HttpError(400, "mapper_parsing_exception", "mappings must be an object");
      checkMappingTypes(isObject(mappings["properties"]) ? mappings["properties"] : {}, "");
    }
    this.templates.set(name, { ...body, index_patterns: patterns });
    return { status: 200, body: { acknowledged: true } };
  }

  private getTemplate(name: string) {
    const template = this.templates.get(name);
    if (!template)
      throw new HttpError(404, "resource_not_found_exception", `index template matching [${name}] not found`);
    return { status: 200, body: { index_templates: [{ name, index_template: template }] } };
  }

  private getPolicy(id: string) {
    const stored = this.policies.get(id);
    if (!stored) throw new HttpError(404, "status_exception", "Policy not found");
    return {
      status: 200,
      body: {
        _id: id,
        _version: stored.version,
        _seq_no: stored.seqNo,
        _primary_term: stored.primaryTerm,
        policy: stored.policy,
      },
    };
  }

  private putPolicy(id: string, query: Record<string, string>, text: string) {
    const body = tryJson(text);
    const policy = isObject(body) ? body["policy"] : undefined;
    if (!isObject(policy)) throw new HttpError(400, "illegal_argument_exception", "Required [policy]");
    validatePolicy(policy);
    const existing = this.policies.get(id);
    const guarded = query["if_seq_no"] !== undefined || query["if_primary_term"] !== undefined;
    if (existing && !guarded) {
      throw new HttpError(
        409,
        "version_conflict_engine_exception",
        `[${id}]: version conflict, document already exists (current version [${existing.version}])`,
      );
    }
    if (guarded) {
      if (!existing) throw new HttpError(404, "status_exception", "Policy not found");
      if (
        Number(query["if_seq_no"]) !== existing.seqNo ||
        Number(query["if_primary_term"]) !== existing.primaryTerm
      ) {
        throw new HttpError(
          409,
          "version_conflict_engine_exception",
          `[${id}]: version conflict, required seqNo [${query["if_seq_no"]}], primary term [${query["if_primary_term"]}]. current document has seqNo [${existing.seqNo}] and primary term [${existing.primaryTerm}]`,
        );
      }
    }
    const now = Date.now();
    // What ISM stores: the request plus its defaults (a retry block on every action, timestamps).
    const stored: Record<string, unknown> = {
      policy_id: id,
      last_updated_time: now,
      schema_version: 21,
      error_notification: null,
      ...structuredClone(policy),
      states: (policy["states"] as Array<Record<string, unknown>>).map((state) => ({
        ...state,
        actions: ((state["actions"] as Array<Record<string, unknown>>) ?? []).map((action) => ({
          retry: { count: 3, backoff: "exponential", delay: "1m" },
          ...action,
        })),
      })),
      ...(Array.isArray(policy["ism_template"])
        ? {
            ism_template: (policy["ism_template"] as Array<Record<string, unknown>>).map((t) => ({
              ...t,
              last_updated_time: now,
            })),
          }
        : {}),
    };
    const entry: StoredPolicy = {
      policy: stored,
      seqNo: this.seqNo++,
      primaryTerm: 1,
      version: (existing?.version ?? 0) + 1,
    };
    this.policies.set(id, entry);
    return {
      status: existing ? 200 : 201,
      body: {
        _id: id,
        _version: entry.version,
        _primary_term: 1,
        _seq_no: entry.seqNo,
        policy: { policy: stored },
      },
    };
  }
}

const INFO = {
  name: "fake-node",
  cluster_name: "fake",
  cluster_uuid: "fakeClusterUuid",
  version: {
    distribution: "opensearch",
    number: "2.17.0",
    build_type: "tar",
    lucene_version: "9.11.1",
    minimum_wire_compatibility_version: "7.10.0",
    minimum_index_compatibility_version: "7.0.0",
  },
  tagline: "The OpenSearch Project: https://opensearch.org/",
};

function errorBody(status: number, type: string, reason: string) {
  return { error: { root_cause: [{ type, reason }], type, reason }, status };
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "parse_exception", "request body is not valid JSON");
  }
}

function safeBulkActions(body: string): RecordedRequest["bulk"] {
  const out: NonNullable<RecordedRequest["bulk"]> = [];
  const lines = body.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const action = (() => {
      try {
        return JSON.parse(lines[i]!) as unknown;
      } catch {
        return undefined;
      }
    })();
    if (!isObject(action)) continue;
    const op = Object.keys(action)[0]!;
    const meta = action[op];
    if (!isObject(meta)) continue;
    out.push({
      op,
      index: typeof meta["_index"] === "string" ? meta["_index"] : undefined,
      id: typeof meta["_id"] === "string" ? meta["_id"] : undefined,
    });
    if (op !== "delete") i++;
  }
  return out;
}

function invalidIndexName(name: string): string | undefined {
  if (name !== name.toLowerCase()) return "must be lowercase";
  if (/[\\/*?"<>| ,#:]/.test(name))
    return 'must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?]';
  if (/^[-_+]/.test(name)) return "must not start with '_', '-', or '+'";
  if (name === "." || name === "..") return "must not be '.' or '..'";
  if (Buffer.byteLength(name) > 255) return "index name is too long";
  return undefined;
}

function checkMappingTypes(properties: Record<string, unknown>, prefix: string): void {
  for (const [name, raw] of Object.entries(properties)) {
    if (!isObject(raw))
      throw new HttpError(400, "mapper_parsing_exception", `Expected map for property [${prefix}${name}]`);
    const type = raw["type"] ?? (raw["properties"] ? "object" : undefined);
    if (typeof type !== "string" || !KNOWN_TYPES.has(type)) {
      throw new HttpError(
        400,
        "mapper_parsing_exception",
        `No handler for type [${String(type)}] declared on field [${prefix}${name}]`,
      );
    }
    if (isObject(raw["properties"])) checkMappingTypes(raw["properties"], `${prefix}${name}.`);
    if (isObject(raw["fields"])) checkMappingTypes(raw["fields"], `${prefix}${name}.`);
  }
}

function validatePolicy(policy: Record<string, unknown>): void {
  const states = policy["states"];
  if (!Array.isArray(states) || states.length === 0) {
    throw new HttpError(400, "illegal_argument_exception", "Policy must have at least one state");
  }
  const names = new Set<string>();
  for (const state of states) {
    if (!isObject(state) || typeof state["name"] !== "string" || !Array.isArray(state["actions"] ?? [])) {
      throw new HttpError(400, "illegal_argument_exception", "Invalid state");
    }
    names.add(state["name"]);
  }
  if (typeof policy["default_state"] !== "string" || !names.has(policy["default_state"])) {
    throw new HttpError(400, "illegal_argument_exception", "Policy default state must exist in the states");
  }
  for (const state of states as Array<Record<string, unknown>>) {
    for (const t of (state["transitions"] as unknown[]) ?? []) {
      if (!isObject(t) || typeof t["state_name"] !== "string" || !names.has(t["state_name"])) {
        throw new HttpError(
          400,
          "illegal_argument_exception",
          `Policy transitions must refer to existing states`,
        );
      }
    }
  }
}

// ---- mapping ---------------------------------------------------------------------------------

function inferMapping(
  value: unknown,
  dynamic: Dynamic,
  path: string,
  id: string,
): FieldMapping | ItemFault | undefined {
  const sample = Array.isArray(value) ? value.find((v) => v !== null) : value;
  if (sample === undefined || sample === null) return undefined;
  if (typeof sample === "string") {
    if (dateMs(sample) !== undefined && /^\d{4}-\d{2}-\d{2}/.test(sample)) return { type: "date" };
    return { type: "text", fields: { keyword: { type: "keyword", ignore_above: 256 } } };
  }
  if (typeof sample === "number") return { type: Number.isInteger(sample) ? "long" : "float" };
  if (typeof sample === "boolean") return { type: "boolean" };
  if (isObject(sample)) {
    const properties: Record<string, FieldMapping> = {};
    const problem = mapObject(sample, properties, dynamic, `${path}.`, id);
    if (problem) return problem;
    return { type: "object", properties };
  }
  return undefined;
}

function isFault(value: unknown): value is ItemFault {
  return isObject(value) && typeof value["status"] === "number" && typeof value["type"] === "string";
}

function mapObject(
  source: Record<string, unknown>,
  properties: Record<string, FieldMapping>,
  dynamic: Dynamic,
  prefix: string,
  id: string,
): ItemFault | undefined {
  for (const [key, value] of Object.entries(source)) {
    if (value === null) continue;
    const path = `${prefix}${key}`;
    const mapping = Object.hasOwn(properties, key) ? properties[key] : undefined;
    if (!mapping) {
      if (dynamic === "strict") {
        return {
          status: 400,
          type: "strict_dynamic_mapping_exception",
          reason: `mapping set to strict, dynamic introduction of [${key}] within [${prefix ? prefix.slice(0, -1) : "_doc"}] is not allowed`,
        };
      }
      if (dynamic === false) continue;
      const inferred = inferMapping(value, dynamic, path, id);
      if (isFault(inferred)) return inferred;
      if (inferred) properties[key] = inferred;
      continue;
    }
    const problem = checkValue(value, mapping, dynamic, path, id);
    if (problem) return problem;
  }
  return undefined;
}

function checkValue(
  value: unknown,
  mapping: FieldMapping,
  dynamic: Dynamic,
  path: string,
  id: string,
): ItemFault | undefined {
  const type = mapping.type ?? "object";
  const parseError = (): ItemFault => ({
    status: 400,
    type: "mapper_parsing_exception",
    reason: `failed to parse field [${path}] of type [${type}] in document with id '${id}'. Preview of field's value: '${preview(value)}'`,
  });
  if (type === "object") {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (v === null) continue;
      if (!isObject(v)) {
        return {
          status: 400,
          type: "mapper_parsing_exception",
          reason: `object mapping for [${path}] tried to parse field [${path.split(".").at(-1)}] as object, but found a concrete value`,
        };
      }
      mapping.properties ??= {};
      const problem = mapObject(
        v,
        mapping.properties,
        parseDynamic(mapping.dynamic, dynamic),
        `${path}.`,
        id,
      );
      if (problem) return problem;
    }
    return undefined;
  }
  if (type === "flat_object") return isObject(value) ? undefined : parseError();
  const values = Array.isArray(value) ? value : [value];
  for (const v of values) {
    if (v === null) continue;
    if (isObject(v) || Array.isArray(v)) return parseError();
    switch (type) {
      case "keyword":
      case "text":
        break;
      case "date":
        if (dateMs(v) === undefined) return parseError();
        break;
      case "boolean":
        if (v !== true && v !== false && v !== "true" && v !== "false") return parseError();
        break;
      case "ip":
        if (typeof v !== "string" || !/^[0-9A-Fa-f:.]+$/.test(v) || !/[.:]/.test(v)) return parseError();
        break;
      default: {
        const n =
          typeof v === "number"
            ? v
            : typeof v === "string" && NUMERIC.test(v.trim())
              ? Number(v)
              : Number.NaN;
        if (!Number.isFinite(n)) return parseError();
        const range = INTEGER_RANGES[type];
        if (range && (Math.trunc(n) < range[0] || Math.trunc(n) > range[1])) return parseError();
      }
    }
  }
  return undefined;
}

// ---- query evaluation -------------------------------------------------------------------------

type Resolved =
  | { kind: "leaf"; type: string; mapping: FieldMapping; values: unknown[] }
  | { kind: "object"; mapping: FieldMapping; values: unknown[] }
  | { kind: "flat"; subpath: string; values: unknown[] }
  | { kind: "unmapped" };

function collect(values: unknown[], key: string): unknown[] {
  const out: unknown[] = [];
  for (const v of values) {
    if (!isObject(v)) continue;
    const child = v[key];
    if (child === undefined || child === null) continue;
    if (Array.isArray(child)) out.push(...child.filter((c) => c !== null));
    else out.push(child);
  }
  return out;
}

/** Leaf values of a flat_object, by dotted key (nested objects flattened, as flat_object does). */
function flatten(value: unknown, prefix: string, out: Map<string, string[]>): void {
  if (Array.isArray(value)) {
    for (const v of value) flatten(v, prefix, out);
    return;
  }
  if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    return;
  }
  if (value === null || value === undefined) return;
  out.set(prefix, [...(out.get(prefix) ?? []), String(value)]);
}

function resolveField(index: FakeIndex, source: Record<string, unknown>, path: string): Resolved {
  const segments = path.split(".");
  let properties: Record<string, FieldMapping> | undefined = index.properties;
  let values: unknown[] = [source];
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const mapping: FieldMapping | undefined =
      properties && Object.hasOwn(properties, seg) ? properties[seg] : undefined;
    if (!mapping) return { kind: "unmapped" };
    values = collect(values, seg);
    const type = mapping.type ?? "object";
    const rest = segments.slice(i + 1);
    if (type === "flat_object") {
      const flat = new Map<string, string[]>();
      for (const v of values) flatten(v, "", flat);
      const subpath = rest.join(".");
      return {
        kind: "flat",
        subpath,
        values: subpath ? (flat.get(subpath) ?? []) : [...flat.values()].flat(),
      };
    }
    if (type === "object") {
      if (rest.length === 0) return { kind: "object", mapping, values };
      properties = mapping.properties;
      continue;
    }
    if (rest.length === 0) return { kind: "leaf", type, mapping, values };
    if (rest.length === 1 && mapping.fields && Object.hasOwn(mapping.fields, rest[0]!)) {
      const sub = mapping.fields[rest[0]!]!;
      return { kind: "leaf", type: sub.type ?? "keyword", mapping: sub, values };
    }
    return { kind: "unmapped" };
  }
  return { kind: "unmapped" };
}

/** The terms a leaf value is indexed as, by type; keyword values past `ignore_above` are not indexed. */
function indexedTerms(resolved: Resolved): unknown[] {
  if (resolved.kind === "flat") return resolved.values;
  if (resolved.kind !== "leaf") return [];
  const { type, mapping } = resolved;
  const out: unknown[] = [];
  for (const v of resolved.values) {
    if (isObject(v)) continue;
    switch (type) {
      case "keyword": {
        const s = String(v);
        if (mapping.ignore_above === undefined || s.length <= mapping.ignore_above) out.push(s);
        break;
      }
      case "text":
        out.push(...standardAnalyze(String(v)));
        break;
      case "date": {
        const ms = dateMs(v);
        if (ms !== undefined) out.push(ms);
        break;
      }
      case "ip":
      case "boolean":
        out.push(String(v));
        break;
      default: {
        const n = Number(v);
        if (Number.isFinite(n)) out.push(INTEGER_RANGES[type] ? Math.trunc(n) : n);
      }
    }
  }
  return out;
}

function queryTerm(resolved: Resolved, value: unknown): unknown {
  if (resolved.kind !== "leaf") return String(value);
  switch (resolved.type) {
    case "date":
      return dateMs(value);
    case "keyword":
    case "text":
    case "ip":
    case "boolean":
      return String(value);
    default:
      return Number(value);
  }
}

function objectHasValue(
  index: FakeIndex,
  source: Record<string, unknown>,
  path: string,
  mapping: FieldMapping,
): boolean {
  for (const [name, child] of Object.entries(mapping.properties ?? {})) {
    const childPath = `${path}.${name}`;
    if ((child.type ?? "object") === "object") {
      if (objectHasValue(index, source, childPath, child)) return true;
    } else if (indexedTerms(resolveField(index, source, childPath)).length > 0) return true;
  }
  return false;
}

function fieldAndParams(clause: unknown, name: string): [string, unknown] {
  if (!isObject(clause))
    throw new HttpError(
      400,
      "parsing_exception",
      `[${name}] query malformed, no start_object after query name`,
    );
  const entries = Object.entries(clause);
  if (entries.length !== 1)
    throw new HttpError(400, "parsing_exception", `[${name}] query doesn't support multiple fields`);
  return entries[0]!;
}

function asArray(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function inRange(value: unknown, params: Record<string, unknown>, bound: (v: unknown) => unknown): boolean {
  for (const [op, raw] of Object.entries(params)) {
    if (!["gt", "gte", "lt", "lte"].includes(op)) continue;
    const limit = bound(raw);
    if (limit === undefined || (typeof limit === "number" && Number.isNaN(limit))) return false;
    const c = compareValues(value, limit);
    if (
      (op === "gt" && !(c > 0)) ||
      (op === "gte" && !(c >= 0)) ||
      (op === "lt" && !(c < 0)) ||
      (op === "lte" && !(c <= 0))
    ) {
      return false;
    }
  }
  return true;
}

export function evaluate(query: unknown, source: Record<string, unknown>, index: FakeIndex): boolean {
  if (!isObject(query))
    throw new HttpError(400, "parsing_exception", "query malformed, must start with start_object");
  const entries = Object.entries(query);
  if (entries.length !== 1)
    throw new HttpError(400, "parsing_exception", "query malformed, expected exactly one query type");
  const [type, params] = entries[0]!;
  switch (type) {
    case "match_all":
      return true;
    case "match_none":
      return false;
    case "bool": {
      if (!isObject(params)) throw new HttpError(400, "parsing_exception", "[bool] malformed");
      const must = [...asArray(params["must"]), ...asArray(params["filter"])];
      const should = asArray(params["should"]);
      const mustNot = asArray(params["must_not"]);
      if (!must.every((q) => evaluate(q, source, index))) return false;
      if (mustNot.some((q) => evaluate(q, source, index))) return false;
      const msm = params["minimum_should_match"] ?? (should.length > 0 && must.length === 0 ? 1 : 0);
      const needed = Number(msm);
      if (!Number.isInteger(needed))
        throw new HttpError(400, "parsing_exception", "minimum_should_match must be an integer here");
      return should.filter((q) => evaluate(q, source, index)).length >= needed;
    }
    case "term":
    case "terms": {
      const [field, raw] = fieldAndParams(params, type);
      const wanted = type === "term" ? [isObject(raw) ? raw["value"] : raw] : asArray(raw);
      const resolved = resolveField(index, source, field);
      if (resolved.kind === "unmapped" || resolved.kind === "object") return false;
      const terms = indexedTerms(resolved);
      return wanted.some((w) => {
        const q = queryTerm(resolved, w);
        return terms.some((t) => t === q);
      });
    }
    case "match":
    case "match_phrase": {
      const [field, raw] = fieldAndParams(params, type);
      const text = String(isObject(raw) ? raw["query"] : raw);
      const resolved = resolveField(index, source, field);
      if (resolved.kind === "unmapped" || resolved.kind === "object") return false;
      if (resolved.kind === "flat" || resolved.type !== "text") {
        const q = queryTerm(resolved, text);
        return indexedTerms(resolved).some((t) => t === q);
      }
      const words = standardAnalyze(text);
      if (words.length === 0) return false;
      if (type === "match") {
        const terms = new Set(indexedTerms(resolved));
        const operator = isObject(raw) && raw["operator"] === "and" ? "and" : "or";
        return operator === "and" ? words.every((w) => terms.has(w)) : words.some((w) => terms.has(w));
      }
      return resolved.values.some((v) => {
        const tokens = standardAnalyze(String(v));
        for (let i = 0; i + words.length <= tokens.length; i++) {
          if (words.every((w, j) => tokens[i + j] === w)) return true;
        }
        return false;
      });
    }
    case "wildcard": {
      const [field, raw] = fieldAndParams(params, type);
      const value = isObject(raw) ? (raw["value"] ?? raw["wildcard"]) : raw;
      if (typeof value !== "string")
        throw new HttpError(400, "parsing_exception", "[wildcard] requires a string value");
      const re = wildcardRegExp(value, isObject(raw) && raw["case_insensitive"] === true);
      const resolved = resolveField(index, source, field);
      if (resolved.kind === "unmapped" || resolved.kind === "object") return false;
      return indexedTerms(resolved).some((t) => re.test(String(t)));
    }
    case "exists": {
      if (!isObject(params) || typeof params["field"] !== "string") {
        throw new HttpError(400, "parsing_exception", "[exists] must be provided with a [field]");
      }
      const resolved = resolveField(index, source, params["field"]);
      if (resolved.kind === "unmapped") return false;
      if (resolved.kind === "object") return objectHasValue(index, source, params["field"], resolved.mapping);
      return indexedTerms(resolved).length > 0;
    }
    case "range": {
      const [field, raw] = fieldAndParams(params, type);
      if (!isObject(raw)) throw new HttpError(400, "parsing_exception", "[range] query malformed");
      const resolved = resolveField(index, source, field);
      if (resolved.kind === "unmapped" || resolved.kind === "object") return false;
      return indexedTerms(resolved).some((t) => inRange(t, raw, (b) => queryTerm(resolved, b)));
    }
    default:
      throw new HttpError(400, "parsing_exception", `unknown query [${type}]`);
  }
}

interface SortSpec {
  field: string;
  desc: boolean;
}

function parseSort(raw: unknown): SortSpec[] {
  return asArray(raw).map((s) => {
    if (typeof s === "string") return { field: s, desc: s === "_score" };
    if (!isObject(s)) throw new HttpError(400, "parsing_exception", "malformed sort");
    const [field, spec] = Object.entries(s)[0] ?? [];
    if (field === undefined) throw new HttpError(400, "parsing_exception", "malformed sort");
    const order = isObject(spec) ? spec["order"] : spec;
    return { field, desc: order === "desc" };
  });
}

function sortValue(index: FakeIndex, source: Record<string, unknown>, field: string): unknown {
  if (field === "_doc" || field === "_score") return null;
  const resolved = resolveField(index, source, field);
  if (resolved.kind !== "leaf" || resolved.type === "text") {
    if (resolved.kind === "leaf")
      throw new HttpError(
        400,
        "illegal_argument_exception",
        `Text fields are not optimised for sorting: [${field}]`,
      );
    return null;
  }
  const terms = indexedTerms(resolved);
  return terms.length > 0 ? terms[0] : null;
}

/** Missing values sort last in either direction, as OpenSearch's default `missing: _last`. */
function compareSortTuples(a: unknown[], b: unknown[], sorts: SortSpec[]): number {
  for (let i = 0; i < sorts.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    const c = compareValues(x, y);
    if (c !== 0) return sorts[i]!.desc ? -c : c;
  }
  return 0;
}
