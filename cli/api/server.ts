import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { MetricsRegistry } from "../../core/metrics.js";
import { type QueryBackend, QueryInputError } from "./backend.js";

const MAX_REQUEST_BYTES = 1024 * 1024;

export interface ApiServerOptions {
  host: string;
  port: number;
}

/**
 * The small HTTP API that `logpipe up` serves on loopback so the CLI can search and query
 * while the stack owns the database: POST /search, POST /sql, GET /tail, GET /health, GET /metrics.
 */
export class ApiServer {
  private server: Server | undefined;

  constructor(
    private readonly options: ApiServerOptions,
    private readonly backend: QueryBackend | undefined,
    private readonly metrics: MetricsRegistry,
    /** `ready: false` answers 503, so orchestrators stop sending while the buffer is full. */
    private readonly health: () => { ready: boolean } & Record<string, unknown>,
  ) {}

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => {
      this.route(req, res).catch((error) => send(res, 500, { error: String(error) }));
    });
    server.requestTimeout = 60_000;
    server.headersTimeout = 10_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  }

  address(): string | undefined {
    const address = this.server?.address() as AddressInfo | null | undefined;
    return address ? `http://${address.address}:${address.port}` : undefined;
  }

  async shutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const route = `${req.method} ${url.pathname}`;
    const backend = this.backend;
    try {
      switch (route) {
        case "GET /health": {
          const health = this.health();
          return send(res, health.ready ? 200 : 503, {
            status: health.ready ? "ok" : "unavailable",
            ...health,
          });
        }
        case "GET /metrics":
          res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
          res.end(this.metrics.render());
          return;
        case "POST /search": {
          if (!backend) return send(res, 404, { error: "this process has no store to search" });
          const body = await readJson(req);
          const events = await backend.search({
            query: stringField(body, "query") ?? "",
            since: stringField(body, "since"),
            until: stringField(body, "until"),
            limit: numberField(body, "limit") ?? 100,
          });
          return send(res, 200, { events });
        }
        case "POST /sql": {
          if (!backend) return send(res, 404, { error: "this process has no store to query" });
          const body = await readJson(req);
          const query = stringField(body, "query");
          if (!query) throw new QueryInputError("body needs a `query` string");
          return send(res, 200, await backend.sql(query));
        }
        case "GET /tail": {
          if (!backend) return send(res, 404, { error: "this process has no store to tail" });
          const result = await backend.tail({
            query: url.searchParams.get("query") ?? "",
            after: url.searchParams.get("after") ?? undefined,
            limit: Number(url.searchParams.get("limit") ?? 500),
          });
          return send(res, 200, result);
        }
        default:
          return send(res, 404, { error: `no route ${route}` });
      }
    } catch (error) {
      if (error instanceof QueryInputError) return send(res, 400, { error: error.message, ...error.details });
      throw error;
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) throw new QueryInputError("request body too large");
    chunks.push(chunk as Buffer);
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new Error("not an object");
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new QueryInputError(`request body must be a JSON object: ${(error as Error).message}`);
  }
}

function stringField(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new QueryInputError(`\`${key}\` must be a string`);
  return value;
}

function numberField(body: Record<string, unknown>, key: string): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new QueryInputError(`\`${key}\` must be a number`);
  return value;
}
