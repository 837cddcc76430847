/**
 * Realistic demo traffic: a request enters through the gateway, fans out to a few services that
 * share its trace id, and each service logs a request line with method, path, status and latency.
 * Payments has periodic error bursts (a flaky card processor) so alarms and searches have something
 * to find. Pure and seeded: the same seed gives the same traffic.
 */
export interface DemoRecord {
  tag: string;
  time: number;
  record: Record<string, unknown>;
}

interface Route {
  service: string;
  method: string;
  path: string;
  /** Median latency, ms. */
  p50: number;
  /** Downstream calls made while serving it. */
  calls: string[];
}

const ROUTES: Record<string, Route> = {
  "gateway:checkout": {
    service: "gateway",
    method: "POST",
    path: "/api/v1/checkout",
    p50: 40,
    calls: ["auth:verify", "checkout:create"],
  },
  "gateway:search": {
    service: "gateway",
    method: "GET",
    path: "/api/v1/search",
    p50: 25,
    calls: ["auth:verify", "search:query"],
  },
  "gateway:health": { service: "gateway", method: "GET", path: "/health", p50: 1, calls: [] },
  "auth:verify": { service: "auth", method: "POST", path: "/internal/verify", p50: 4, calls: [] },
  "checkout:create": {
    service: "checkout",
    method: "POST",
    path: "/orders",
    p50: 30,
    calls: ["inventory:reserve", "payments:charge"],
  },
  "inventory:reserve": { service: "inventory", method: "PUT", path: "/reservations", p50: 8, calls: [] },
  "payments:charge": { service: "payments", method: "POST", path: "/charges", p50: 120, calls: [] },
  "search:query": { service: "search", method: "GET", path: "/query", p50: 15, calls: [] },
};

const ENTRY_POINTS: [string, number][] = [
  ["gateway:search", 0.55],
  ["gateway:checkout", 0.3],
  ["gateway:health", 0.15],
];

const USER_AGENTS = [
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
  "okhttp/4.12.0",
  "kube-probe/1.30",
];

/** mulberry32: small, fast, good enough for demo traffic. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class DemoTraffic {
  private readonly random: () => number;

  constructor(seed = 42) {
    this.random = seededRandom(seed);
  }

  private hex(length: number): string {
    let out = "";
    for (let i = 0; i < length; i++) out += Math.floor(this.random() * 16).toString(16);
    return out;
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  /** Log-normal latency around a median, with a long tail. */
  private latency(p50: number): number {
    const normal = Math.sqrt(-2 * Math.log(this.random() || 1e-9)) * Math.cos(2 * Math.PI * this.random());
    return Math.round(p50 * Math.exp(0.6 * normal) * 100) / 100;
  }

  /** True during the payments error burst: 20 s of every 2 minutes. */
  private inBurst(time: number): boolean {
    return time % 120_000 < 20_000;
  }

  /** All records produced by one user request arriving at `time`. */
  request(time: number): DemoRecord[] {
    let roll = this.random();
    let entry = ENTRY_POINTS[0]![0];
    for (const [name, weight] of ENTRY_POINTS) {
      if (roll < weight) {
        entry = name;
        break;
      }
      roll -= weight;
    }
    const traceId = this.hex(32);
    const requestId = `req-${this.hex(12)}`;
    const clientIp = `203.0.113.${Math.floor(this.random() * 254) + 1}`;
    const userAgent = entry === "gateway:health" ? "kube-probe/1.30" : this.pick(USER_AGENTS);
    const userId = `u-${Math.floor(this.random() * 5000)}`;
    const out: DemoRecord[] = [];
    this.serve(entry, time, { traceId, requestId, clientIp, userAgent, userId }, out);
    return out;
  }

  /** Serves one route (and its downstream calls) and returns its status. */
  private serve(
    name: string,
    time: number,
    ctx: { traceId: string; requestId: string; clientIp: string; userAgent: string; userId: string },
    out: DemoRecord[],
  ): number {
    const route = ROUTES[name]!;
    let status = route.method === "POST" && route.service !== "auth" ? 201 : 200;
    let elapsed = this.latency(route.p50);
    for (const call of route.calls) {
      const downstream = this.serve(call, time + elapsed, ctx, out);
      elapsed += this.latency(2);
      if (downstream >= 500) status = 502;
      else if (downstream === 402) status = 402;
    }
    if (route.service === "payments") {
      const failRate = this.inBurst(time) ? 0.45 : 0.01;
      if (this.random() < failRate) status = 503;
      else if (this.random() < 0.03) status = 402;
    }
    if (route.service === "search" && this.random() < 0.005) status = 500;
    const level =
      status >= 500 ? "error" : status >= 400 ? "warn" : route.path === "/health" ? "debug" : "info";
    const message =
      status === 503 && route.service === "payments"
        ? "card processor unavailable: upstream timeout after 3000ms"
        : status === 402
          ? "payment declined: insufficient funds"
          : status >= 500
            ? `request failed: ${route.method} ${route.path} -> ${status}`
            : `${route.method} ${route.path} ${status}`;
    const record: Record<string, unknown> = {
      service: route.service,
      env: "demo",
      level,
      message,
      trace_id: ctx.traceId,
      span_id: this.hex(16),
      request_id: ctx.requestId,
      http: {
        method: route.method,
        path: route.path,
        status,
        latency_ms: Math.round(elapsed * 100) / 100,
        user_agent: ctx.userAgent,
        client_ip: route.service === "gateway" ? ctx.clientIp : "10.0.0.12",
      },
      user_id: ctx.userId,
    };
    if (route.service === "checkout") record.order_id = `ord-${this.hex(8)}`;
    if (route.service === "payments") {
      record.amount_cents = Math.floor(this.random() * 20000) + 500;
      record.currency = "EUR";
    }
    out.push({ tag: `${route.service}.access`, time: Math.round(time + elapsed), record });
    return status;
  }
}
