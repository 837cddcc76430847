import { resolve } from "node:path";
import type { OpenSearchAuth } from "../../stores/opensearch/config.js";
import type { QueryBackend } from "../api/backend.js";
import { HttpQueryBackend } from "../api/client.js";
import { readRunState } from "../run-state.js";

/** Where `search`, `sql` and `tail` send their query, from the command's options. */
export interface TargetOptions {
  target?: "local" | "opensearch" | "athena";
  server?: string;
  dataDir?: string;
  endpoint?: string;
  auth?: "none" | "basic" | "sigv4";
  region?: string;
  service?: "es" | "aoss";
  username?: string;
  indexPrefix?: string;
  database?: string;
  workgroup?: string;
  outputLocation?: string;
}

function openSearchAuth(options: TargetOptions): OpenSearchAuth {
  switch (options.auth ?? "none") {
    case "basic": {
      const password = process.env.LOGPIPE_OPENSEARCH_PASSWORD;
      if (!options.username || !password) {
        throw new Error("--auth basic needs --username and the password in LOGPIPE_OPENSEARCH_PASSWORD");
      }
      return { type: "basic", username: options.username, password };
    }
    case "sigv4": {
      const region = options.region ?? process.env.AWS_REGION;
      if (!region) throw new Error("--auth sigv4 needs --region (or AWS_REGION)");
      return { type: "sigv4", region, service: options.service ?? "es" };
    }
    default:
      return { type: "none" };
  }
}

/**
 * Picks where a query goes. Local (default): an explicit `--server`, else the `logpipe up` that
 * owns the data directory (it holds the database), else the data directory opened read-only.
 * `--target opensearch` and `--target athena` ask the AWS back ends with the same query language.
 */
export async function openQueryBackend(options: TargetOptions): Promise<QueryBackend> {
  if (options.target === "opensearch") {
    if (!options.endpoint) throw new Error("--target opensearch needs --endpoint URL");
    const { openSearchSearchBackend } = await import("../commands/opensearch.js");
    return openSearchSearchBackend({
      endpoint: options.endpoint,
      auth: openSearchAuth(options),
      ...(options.indexPrefix ? { indexPrefix: options.indexPrefix } : {}),
    });
  }
  if (options.target === "athena") {
    const { athenaQueryBackend } = await import("../commands/lake.js");
    return athenaQueryBackend({
      database: options.database ?? "logpipe",
      workgroup: options.workgroup,
      outputLocation: options.outputLocation,
      region: options.region,
      endpoint: options.endpoint,
    });
  }
  if (options.server) return new HttpQueryBackend(options.server);
  const dataDir = resolve(options.dataDir ?? ".logpipe");
  const running = await readRunState(dataDir);
  if (running) return new HttpQueryBackend(running.api);
  // Each back end is loaded only when asked for: DuckDB and the AWS SDKs are slow to load.
  const [{ LocalStore }, { DirectQueryBackend }] = await Promise.all([
    import("../../stores/local/index.js"),
    import("./direct-backend.js"),
  ]);
  return new DirectQueryBackend(await LocalStore.openReadOnly(dataDir), true);
}
