import { resolve } from "node:path";
import { LocalStore } from "../../stores/local/index.js";
import type { QueryBackend } from "../api/backend.js";
import { HttpQueryBackend } from "../api/client.js";
import { readRunState } from "../run-state.js";
import { DirectQueryBackend } from "./direct-backend.js";

/**
 * Picks where a query goes: an explicit `--server`, else the `logpipe up` that owns the data
 * directory (it holds the database), else the data directory opened read-only.
 */
export async function openQueryBackend(options: {
  server?: string;
  dataDir?: string;
}): Promise<QueryBackend> {
  if (options.server) return new HttpQueryBackend(options.server);
  const dataDir = resolve(options.dataDir ?? ".logpipe");
  const running = await readRunState(dataDir);
  if (running) return new HttpQueryBackend(running.api);
  return new DirectQueryBackend(await LocalStore.openReadOnly(dataDir), true);
}
