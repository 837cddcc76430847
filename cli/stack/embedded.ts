import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { DurableBuffer } from "../../collectors/buffer/index.js";
import { DeadLetterWriter } from "../../collectors/dead-letter/dead-letter.js";
import { DeliveryPump } from "../../collectors/forwarder/pump.js";
import { ForwardInput } from "../../collectors/inputs/forward/index.js";
import { HttpInput } from "../../collectors/inputs/http/index.js";
import type { Logger } from "../../core/log.js";
import { MetricsRegistry } from "../../core/metrics.js";
import type { Input } from "../../core/stage.js";
import { createTransformer } from "../../processors/transforms/index.js";
import { LocalStore } from "../../stores/local/index.js";
import { ApiServer } from "../api/server.js";
import type { LogpipeConfig } from "../config.js";
import { clearRunState, writeRunState } from "../run-state.js";
import { DirectQueryBackend } from "./direct-backend.js";

/** Everything `logpipe up` runs: inputs → buffer → transforms → local store, plus the API. */
export interface EmbeddedStack {
  readonly dataDir: string;
  readonly metrics: MetricsRegistry;
  readonly inputs: Input[];
  readonly api: ApiServer;
  readonly buffer: DurableBuffer;
  readonly store: LocalStore;
  /** Stops inputs first, lets the buffer drain into the store (bounded), then closes sinks. */
  shutdown(drainTimeoutMs?: number): Promise<void>;
}

const LOCAL_OUTPUT = "local";

export async function startEmbeddedStack(config: LogpipeConfig, log: Logger): Promise<EmbeddedStack> {
  const dataDir = resolve(config.data_dir);
  await mkdir(dataDir, { recursive: true });
  const metrics = new MetricsRegistry();

  // Sinks first, sources last: nothing is accepted before it has somewhere to go.
  const buffer = await DurableBuffer.open(
    { ...config.buffer, dir: join(dataDir, "buffer") },
    { consumers: [LOCAL_OUTPUT], metrics, log: log },
  );
  const store = await LocalStore.open(
    { ...config.store, dir: join(dataDir, "store") },
    { metrics, log: log },
  );
  await store.start();
  const transform = createTransformer(config.transforms, { metrics });
  const deadLetters = new DeadLetterWriter(join(dataDir, "dead-letter"), metrics);
  const pump = new DeliveryPump(
    buffer.consumer(LOCAL_OUTPUT),
    (r) => transform(r),
    store,
    deadLetters,
    metrics,
    {
      maxBatch: 5_000,
      concurrency: 1,
    },
  );
  pump.start();

  const inputs: Input[] = [];
  if (config.inputs.forward.enabled) {
    inputs.push(new ForwardInput(config.inputs.forward, buffer, { metrics, log: log }));
  }
  if (config.inputs.http.enabled) {
    inputs.push(new HttpInput(config.inputs.http, buffer, { metrics, log: log }));
  }
  const backend = new DirectQueryBackend(store);
  const api = new ApiServer(config.api, backend, metrics, () => ({
    ready: buffer.hasSpace(),
    buffer: buffer.stats(),
    store: store.stats(),
  }));
  try {
    for (const input of inputs) await input.start();
    await api.start();
  } catch (error) {
    for (const input of inputs) await input.shutdown();
    await pump.shutdown();
    await store.shutdown();
    await buffer.close();
    throw error;
  }
  await writeRunState(dataDir, {
    pid: process.pid,
    api: api.address()!,
    startedAt: new Date().toISOString(),
  });

  let stopping: Promise<void> | undefined;
  return {
    dataDir,
    metrics,
    inputs,
    api,
    buffer,
    store,
    shutdown(drainTimeoutMs = 10_000) {
      stopping ??= (async () => {
        for (const input of inputs) await input.shutdown();
        const deadline = Date.now() + drainTimeoutMs;
        while ((buffer.stats().pending[LOCAL_OUTPUT] ?? 0) > 0 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 50));
        }
        await pump.shutdown();
        await api.shutdown();
        await store.shutdown();
        await buffer.close();
        await clearRunState(dataDir);
      })();
      return stopping;
    },
  };
}
