import { Client } from "@opensearch-project/opensearch";
import type { LogEvent } from "../../../core/event/schema.js";
import { MetricsRegistry } from "../../../core/metrics.js";
import type { Clock } from "../../../core/retry.js";
import {
  type OpenSearchStoreConfig,
  OpenSearchStoreConfigSchema,
} from "../../../stores/opensearch/config.js";
import { OpenSearchStore } from "../../../stores/opensearch/store.js";
import type { FakeOpenSearch } from "../../support/fake-opensearch.js";

/** A valid event; `n` makes the id and message unique. */
export function makeEvent(n: number, overrides: Partial<LogEvent> = {}): LogEvent {
  return {
    id: `ev-${String(n).padStart(5, "0")}`,
    "@timestamp": "2026-01-05T10:00:00.000Z",
    service: "checkout",
    level: "info",
    message: `event number ${n}`,
    ...overrides,
  };
}

export function makeEvents(count: number, overrides: Partial<LogEvent> = {}): LogEvent[] {
  return Array.from({ length: count }, (_, i) => makeEvent(i, overrides));
}

/** A clock whose sleeps return at once and advance its time, so backoff costs no wall time. */
export function instantClock(): Clock & { slept: number[] } {
  let t = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
    },
  };
}

export function storeConfig(
  endpoint: string,
  overrides: Record<string, unknown> = {},
): OpenSearchStoreConfig {
  return OpenSearchStoreConfigSchema.parse({ endpoint, ...overrides });
}

/** A client with the store's settings (no client-side retries) pointed at the fake. */
export function fakeClient(fake: FakeOpenSearch): Client {
  return new Client({ node: fake.endpoint, maxRetries: 0, requestTimeout: 10_000 });
}

export interface StoreHarness {
  store: OpenSearchStore;
  metrics: MetricsRegistry;
  clock: ReturnType<typeof instantClock>;
  logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }>;
}

export function makeStore(fake: FakeOpenSearch, overrides: Record<string, unknown> = {}): StoreHarness {
  const metrics = new MetricsRegistry();
  const clock = instantClock();
  const logs: StoreHarness["logs"] = [];
  const store = new OpenSearchStore(storeConfig(fake.endpoint, overrides), {
    metrics,
    clock,
    random: () => 0.5,
    log: (level, message, fields) => logs.push({ level, message, ...(fields ? { fields } : {}) }),
  });
  return { store, metrics, clock, logs };
}
