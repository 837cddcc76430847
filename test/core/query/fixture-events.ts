import type { LogEvent } from "../../../core/event/schema.js";

type Extra = Omit<LogEvent, "id" | "@timestamp" | "service" | "level" | "message">;

function event(
  id: string,
  timestamp: string,
  level: LogEvent["level"],
  service: string,
  message: string,
  extra: Extra = {},
): LogEvent {
  return { id, "@timestamp": timestamp, service, level, message, ...extra };
}

/**
 * Twenty varied events for running compiled queries: missing fields (NULL columns), partial
 * http structs, attrs maps (also empty), day boundaries, non-ASCII text and hostile values.
 */
export const FIXTURE_EVENTS: LogEvent[] = [
  event("e01", "2026-01-05T10:00:00.000Z", "error", "checkout", "Order placed for user alice", {
    env: "prod",
    http: { method: "POST", path: "/api/orders", status: 201, latency_ms: 12.5 },
    attrs: { "user.id": "42", tenant: "acme" },
  }),
  event("e02", "2026-01-05T10:05:00.000Z", "warn", "checkout", "Payment timed out after 30s", {
    env: "prod",
    http: { method: "GET", path: "/health", status: 200, latency_ms: 30000 },
    attrs: { duration_ms: "1500" },
  }),
  event("e03", "2026-01-05T11:00:00.000Z", "info", "cart", "GET /health 200", {
    env: "staging",
    http: { method: "GET", path: "/healthz", status: 200, latency_ms: 1 },
  }),
  event("e04", "2026-01-05T12:00:00.000Z", "error", "checkout-v2", "Connection to db.internal:5432 refused"),
  event("e05", "2026-01-05T13:00:00.000Z", "debug", "cart", "reorder scheduled", {
    attrs: { duration_ms: "900" },
  }),
  event("e06", "2026-01-05T14:00:00.000Z", "info", "auth", "user alice@example.com logged in", {
    env: "prod",
    attrs: { "user.id": "7" },
  }),
  event("e07", "2026-01-05T15:00:00.000Z", "info", "50%_off", "it's 100% done_now", {
    attrs: { "weird'key": 'x"y' },
  }),
  event("e08", "2026-01-05T16:00:00.000Z", "warn", `O'Reilly "quoted"`, "Robert'); DROP TABLE events;--"),
  event("e09", "2026-01-05T17:00:00.000Z", "info", "back\\slash", "path C:\\temp\\file.txt"),
  event("e10", "2026-01-05T18:00:00.000Z", "fatal", "checkout", "ORDER PLACED twice", {
    http: { status: 503, latency_ms: 2500 },
  }),
  event("e11", "2026-01-05T19:00:00.000Z", "info", "orders", "order-placed event"),
  event("e12", "2026-01-05T20:00:00.000Z", "info", "orders", "placed order"),
  event("e13", "2026-01-05T21:00:00.000Z", "warn", "edge", "not found", {
    http: { method: "GET", path: "/missing", status: 404, client_ip: "10.0.0.1" },
  }),
  event("e14", "2026-01-06T00:00:00.000Z", "info", "cron", "midnight job"),
  event("e15", "2026-01-05T23:59:59.999Z", "info", "cron", "last job of the day"),
  event("e16", "2026-01-04T08:00:00.000Z", "warn", "disk", "Disk usage 91.5 percent", {
    attrs: { duration_ms: "abc" },
  }),
  event("e17", "2026-01-04T09:00:00.000Z", "error", "ümlaut", "Ünïcode ÉCHEC détecté"),
  event("e18", "2026-01-04T10:00:00.000Z", "info", "checkout", "retrying 3 times", {
    http: { method: "GET" },
    attrs: { "user.id": "42", duration_ms: "20000" },
  }),
  event("e19", "2026-01-04T11:00:00.000Z", "debug", "cart_service", "cache miss"),
  event("e20", "2026-01-04T12:00:00.000Z", "debug", "cartXservice", "cache hit", { attrs: {} }),
];

export const ALL_IDS = FIXTURE_EVENTS.map((e) => e.id);

/** Every fixture id except the given ones. */
export function allBut(...ids: string[]): string[] {
  return ALL_IDS.filter((id) => !ids.includes(id));
}
