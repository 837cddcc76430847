import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { DurableBuffer } from "../../collectors/buffer/index.js";
import { DeadLetterWriter } from "../../collectors/dead-letter/dead-letter.js";
import { DeliveryPump } from "../../collectors/forwarder/pump.js";
import type { Logger } from "../../core/log.js";
import { MetricsRegistry } from "../../core/metrics.js";
import type { Input } from "../../core/stage.js";
import { createTransformer } from "../../processors/transforms/index.js";
import { LocalStore } from "../../stores/local/index.js";
import { ApiServer } from "../api/server.js";
import type { LogpipeConfig } from "../config.js";
import { clearRunState, writeRunState } from "../run-state.js";
import { DirectQueryBackend } from "./direct-backend.js";
import { createInputs, drainBuffer } from "./parts.js";

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
    { consumers: [LOCAL_OUTPUT], metrics, log },
  );
  const deadLetters = new DeadLetterWriter(join(dataDir, "dead-letter"), metrics);
  const store = await LocalStore.open(
    { ...config.store, dir: join(dataDir, "store") },
    {
      metrics,
      log,
      // Named as the pump names this sink's letters, so both go to one file.
      deadLetter: (rejections) =>
        deadLetters.write(rejections.map((r) => ({ ...r, output: store.name, stage: "sending" }))),
    },
  );
  await store.start();
  const transform = createTransformer(config.transforms, { metrics });
  const pump = new DeliveryPump(buffer.consumer(LOCAL_OUTPUT), transform, store, deadLetters, metrics, {
    maxBatch: 5_000,
    concurrency: 1,
  });
  pump.start();

  const inputs = createInputs(config.inputs, buffer, { metrics, log });
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
        await drainBuffer(buffer, drainTimeoutMs);
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
