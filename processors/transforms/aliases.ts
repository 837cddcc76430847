/**
 * Where record fields land in the schema. Keys are dotted paths into the record after JSON
 * lifting (`{"http":{"status":201}}` is `http.status`; an ECS `"log.level"` key is the same path
 * as `{"log":{"level":…}}`). Within one target, earlier aliases win over later ones; the values
 * that lose, or that cannot be coerced, stay in attrs under their own keys.
 *
 * HTTP aliases come in three strengths, because top-level names such as `status`, `path` or
 * `duration_ms` also appear in logs that have nothing to do with HTTP:
 * - `strong`: nested under `http.`/`req.`/`res.`/`url.`, or unmistakable (`status_code`,
 *   `request_method`, a `method` whose value is an HTTP method). A coerced strong alias marks the
 *   event as an HTTP event.
 * - `always`: names used only for HTTP (`user_agent`, `client_ip`, `latency_ms`, `remote_addr`):
 *   mapped whenever present, without marking the event.
 * - `weak`: ambiguous top-level names (`path`, `url`, `status`, `ip`, `duration_ms`,
 *   `responseTime`, `elapsed_ms`, `request_time`, `request_uri`): mapped only in an HTTP event,
 *   otherwise kept in attrs. A weak `status` must also be a real status code (100–599).
 *
 * `source`, `log_group` and `log_stream` are taken from the record only when it also carries
 * `ingest_time`, i.e. when it is an event logpipe already transformed once (shipped through
 * CloudWatch Logs, replayed from the lake); in any other record they are the application's own
 * fields (Docker's fluentd driver writes `source: stdout`) and stay in attrs.
 */

export const T = {
  message: 0,
  level: 1,
  time: 2,
  trace_id: 3,
  span_id: 4,
  request_id: 5,
  service: 6,
  env: 7,
  region: 8,
  host: 9,
  id: 10,
  ingest_time: 11,
  method: 12,
  path: 13,
  status: 14,
  latency_ms: 15,
  user_agent: 16,
  client_ip: 17,
  source: 18,
  log_group: 19,
  log_stream: 20,
} as const;
export type Target = (typeof T)[keyof typeof T];
export const TARGET_COUNT = 21;

export type Strength = "strong" | "always" | "weak";

export interface Alias {
  target: Target;
  /** Lower wins. */
  priority: number;
  strength: Strength;
  /** Multiplier to milliseconds for durations given in other units. */
  scale: number;
  /** The value may be an object (kept as JSON text) instead of being walked into. */
  acceptsObject: boolean;
}

type Spec = string | [path: string, strength: Strength, scale?: number];

const TABLE: ReadonlyArray<[Target, readonly Spec[]]> = [
  [T.message, ["message", "msg", "log", "text"]],
  [
    T.level,
    [
      "level",
      "log.level",
      "severity",
      "severity_text",
      "severityText",
      "lvl",
      "levelname",
      "loglevel",
      "log_level",
    ],
  ],
  [T.time, ["@timestamp", "timestamp", "time", "ts"]],
  [T.trace_id, ["trace_id", "traceId", "traceid", "traceID", "trace.id", "dd.trace_id"]],
  [T.span_id, ["span_id", "spanId", "spanid", "spanID", "span.id", "dd.span_id"]],
  [T.request_id, ["request_id", "requestId", "requestid", "req_id", "reqId", "x_request_id", "req.id"]],
  [T.service, ["service", "service.name", "service_name"]],
  [T.env, ["env", "environment", "deployment.environment", "service.environment"]],
  [T.region, ["region", "aws_region", "aws.region", "cloud.region"]],
  [T.host, ["host", "hostname", "host.name", "host.hostname"]],
  [T.ingest_time, ["ingest_time"]],
  [T.source, ["source"]],
  [T.log_group, ["log_group"]],
  [T.log_stream, ["log_stream"]],
  [
    T.method,
    [
      ["http.method", "strong"],
      ["http.request.method", "strong"],
      ["req.method", "strong"],
      ["request_method", "strong"],
      ["method", "strong"],
    ],
  ],
  [
    T.path,
    [
      ["http.path", "strong"],
      ["http.url", "strong"],
      ["http.target", "strong"],
      ["url.path", "strong"],
      ["url.original", "strong"],
      ["req.url", "strong"],
      ["path", "weak"],
      ["url", "weak"],
      ["request_uri", "weak"],
    ],
  ],
  [
    T.status,
    [
      ["http.status", "strong"],
      ["http.status_code", "strong"],
      ["http.statusCode", "strong"],
      ["http.response.status_code", "strong"],
      ["res.statusCode", "strong"],
      ["status_code", "strong"],
      ["statusCode", "strong"],
      ["status", "weak"],
    ],
  ],
  [
    T.latency_ms,
    [
      ["http.latency_ms", "strong"],
      ["http.duration_ms", "strong"],
      ["http.responseTime", "strong"],
      ["http.response_time_ms", "strong"],
      ["http.elapsed_ms", "strong"],
      ["latency_ms", "always"],
      ["responseTime", "weak"],
      ["response_time_ms", "weak"],
      ["duration_ms", "weak"],
      ["elapsed_ms", "weak"],
      ["request_time", "weak", 1000],
    ],
  ],
  [
    T.user_agent,
    [
      ["http.user_agent", "strong"],
      ["http.userAgent", "strong"],
      ["user_agent.original", "strong"],
      ["req.headers.user-agent", "strong"],
      ["user_agent", "always"],
      ["userAgent", "always"],
      ["http_user_agent", "always"],
    ],
  ],
  [
    T.client_ip,
    [
      ["http.client_ip", "strong"],
      ["http.remote_addr", "strong"],
      ["http.ip", "strong"],
      ["client.ip", "strong"],
      ["client.address", "strong"],
      ["req.remoteAddress", "strong"],
      ["client_ip", "always"],
      ["remote_addr", "always"],
      ["ip", "weak"],
      ["remoteAddress", "weak"],
    ],
  ],
];

/** A node of the alias trie: walking a record follows it key by key without building paths. */
export interface AliasNode {
  alias: Alias | undefined;
  children: Map<string, AliasNode> | undefined;
  /** The dotted path from the root (keys joined by `.`), so walking need not build it per record. */
  path: string;
}

function insert(root: AliasNode, segments: readonly string[], alias: Alias): void {
  // Every grouping of the segments, so `{"log":{"level":…}}` and a literal `"log.level"` key
  // (ECS writes dotted keys) both reach the alias.
  const place = (node: AliasNode, rest: readonly string[]): void => {
    if (rest.length === 0) {
      node.alias = alias;
      return;
    }
    for (let take = 1; take <= rest.length; take++) {
      const key = rest.slice(0, take).join(".");
      node.children ??= new Map();
      let child = node.children.get(key);
      if (child === undefined) {
        child = {
          alias: undefined,
          children: undefined,
          path: node.path === "" ? key : `${node.path}.${key}`,
        };
        node.children.set(key, child);
      }
      place(child, rest.slice(take));
    }
  };
  place(root, segments);
}

/** The alias trie of an alias map. */
export function buildAliasTrie(aliases: ReadonlyMap<string, Alias>): AliasNode {
  const root: AliasNode = { alias: undefined, children: undefined, path: "" };
  for (const [path, alias] of aliases) insert(root, path.split("."), alias);
  return root;
}

/**
 * The alias map for one configuration. `idField` is the top-level field whose string value is an
 * event id assigned upstream (null: none).
 */
export function buildAliases(idField: string | null): ReadonlyMap<string, Alias> {
  const map = new Map<string, Alias>();
  for (const [target, specs] of TABLE) {
    specs.forEach((spec, priority) => {
      const [path, strength, scale] = typeof spec === "string" ? [spec, "always" as const, 1] : spec;
      map.set(path, { target, priority, strength, scale: scale ?? 1, acceptsObject: path === "message" });
    });
  }
  if (idField !== null) {
    map.set(idField, { target: T.id, priority: 0, strength: "always", scale: 1, acceptsObject: false });
  }
  return map;
}
