import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { DurableBuffer } from "../../collectors/buffer/index.js";
import { DeadLetterWriter } from "../../collectors/dead-letter/dead-letter.js";
import { DeliveryPump } from "../../collectors/forwarder/pump.js";
import type { IncomingRecord } from "../../core/event/incoming.js";
import type { Logger } from "../../core/log.js";
import { MetricsRegistry } from "../../core/metrics.js";
import type { Input } from "../../core/stage.js";
import { createTransformer } from "../../processors/transforms/index.js";
import { ApiServer } from "../api/server.js";
import type { LogpipeConfig } from "../config.js";
import { createOutputs } from "./outputs.js";
import { createInputs, drainBuffer } from "./parts.js";

export interface Forwarder {
  readonly dataDir: string;
  readonly metrics: MetricsRegistry;
  readonly inputs: Input[];
  readonly server: ApiServer;
  readonly buffer: DurableBuffer;
  /** One line of totals for the periodic stats log. */
  statsLine(): string;
  shutdown(drainTimeoutMs?: number): Promise<void>;
}

/**
 * `logpipe forward`: inputs → durable buffer → transforms → every configured output. Each
 * output reads the buffer through its own cursor, so a slow or failing output holds back only
 * its own cursor; the buffer's cap is what finally pushes back on the inputs.
 */
export async function startForwarder(config: LogpipeConfig, log: Logger): Promise<Forwarder> {
  const dataDir = resolve(config.data_dir);
  await mkdir(dataDir, { recursive: true });
  const metrics = new MetricsRegistry();

  const outputs = createOutputs(config.outputs, { metrics, log });
  if (outputs.size === 0) {
    throw new Error(
      "no outputs configured: add outputs.cloudwatch_logs and/or outputs.firehose to the config",
    );
  }
  const buffer = await DurableBuffer.open(
    { ...config.buffer, dir: join(dataDir, "buffer") },
    { consumers: [...outputs.keys()], metrics, log },
  );
  const transform = createTransformer(config.transforms, { metrics });
  const deadLetters = new DeadLetterWriter(join(dataDir, "dead-letter"), metrics);
  const pumps = new Map<string, DeliveryPump<{ records: IncomingRecord[] }>>();
  for (const [name, sink] of outputs) {
    await sink.start();
    const pump = new DeliveryPump(buffer.consumer(name), transform, sink, deadLetters, metrics, {
      maxBatch: config.forwarder.batch_events,
      concurrency: config.forwarder.concurrency,
    });
    pump.start();
    pumps.set(name, pump);
  }

  const inputs = createInputs(config.inputs, buffer, { metrics, log });

  const server = new ApiServer(
    { host: config.forwarder.host, port: config.forwarder.port },
    undefined,
    metrics,
    () => ({
      // Ready while the buffer has room: outputs that are down only make it grow until the cap.
      ready: buffer.hasSpace(),
      buffer: buffer.stats(),
      outputs: Object.fromEntries([...pumps].map(([name, pump]) => [name, pump.status()])),
    }),
  );

  const stopAll = async () => {
    for (const input of inputs) await input.shutdown();
    await server.shutdown();
    for (const pump of pumps.values()) await pump.shutdown();
    for (const sink of outputs.values()) await sink.shutdown();
    await buffer.close();
  };
  try {
    for (const input of inputs) await input.start();
    await server.start();
  } catch (error) {
    await stopAll();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    dataDir,
    metrics,
    inputs,
    server,
    buffer,
    statsLine() {
      const stats = buffer.stats();
      const snapshot = metrics.snapshot();
      // A counter summed over all its label sets.
      const sum = (name: string) =>
        Object.entries(snapshot)
          .filter(([key]) => key === name || key.startsWith(`${name}{`))
          .reduce((total, [, value]) => total + value, 0);
      const perOutput = [...outputs]
        .map(
          ([name, sink]) => `${name}=${snapshot[`logpipe_output_events_total{output="${sink.name}"}`] ?? 0}`,
        )
        .join(" ");
      return [
        `in=${sum("logpipe_forward_events_total") + sum("logpipe_http_input_events_accepted_total")}`,
        `out{${perOutput}}`,
        `retried=${sum("logpipe_output_retried_total")}`,
        `dead_lettered=${sum("logpipe_dead_letters_total")}`,
        `buffer_bytes=${stats.bytes}`,
        `pending=${JSON.stringify(stats.pending)}`,
      ].join(" ");
    },
    shutdown(drainTimeoutMs = 10_000) {
      stopping ??= (async () => {
        for (const input of inputs) await input.shutdown();
        await drainBuffer(buffer, drainTimeoutMs);
        await stopAll();
      })();
      return stopping;
    },
  };
}
