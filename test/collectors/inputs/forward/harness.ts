import { afterEach, vi } from "vitest";
import {
  type ForwardInputConfig,
  ForwardInputConfigSchema,
} from "../../../../collectors/inputs/forward/config.js";
import { ForwardInput } from "../../../../collectors/inputs/forward/input.js";
import { MetricsRegistry } from "../../../../core/metrics.js";
import { ForwardTestClient } from "../../../support/forward-client.js";
import { MemoryIngestTarget } from "../../../support/memory-ingest-target.js";

export interface Harness {
  input: ForwardInput;
  target: MemoryIngestTarget;
  metrics: MetricsRegistry;
  logs: { level: string; message: string; fields?: Record<string, unknown> }[];
  address: string;
  connect(): Promise<ForwardTestClient>;
  /** A metric series from the registry snapshot, 0 when absent. */
  metric(series: string): number;
}

const running: { input: ForwardInput; clients: ForwardTestClient[] }[] = [];

afterEach(async () => {
  const all = running.splice(0);
  for (const { input, clients } of all) {
    for (const client of clients) client.destroy();
    await input.shutdown();
  }
});

/** Starts a forward input on 127.0.0.1, port 0, shut down after the test. */
export async function startForward(
  config: Partial<Record<keyof ForwardInputConfig, unknown>> = {},
  target = new MemoryIngestTarget(),
): Promise<Harness> {
  const metrics = new MetricsRegistry();
  const logs: Harness["logs"] = [];
  const parsed = ForwardInputConfigSchema.parse({ port: 0, host: "127.0.0.1", ...config });
  const input = new ForwardInput(parsed, target, {
    metrics,
    log: (level, message, fields) => logs.push(fields ? { level, message, fields } : { level, message }),
  });
  await input.start();
  const entry = { input, clients: [] as ForwardTestClient[] };
  running.push(entry);
  const address = input.address()!;
  return {
    input,
    target,
    metrics,
    logs,
    address,
    async connect() {
      const client = await ForwardTestClient.connect(address);
      entry.clients.push(client);
      return client;
    },
    metric(series: string) {
      return metrics.snapshot()[series] ?? 0;
    },
  };
}

/** Waits (polling, generous timeout) until `check` stops throwing. */
export function eventually<T>(check: () => T, timeout = 10_000): Promise<T> {
  return vi.waitFor(check, { timeout, interval: 10 });
}
