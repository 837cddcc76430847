import type { DurableBuffer } from "../../collectors/buffer/index.js";
import { ForwardInput } from "../../collectors/inputs/forward/index.js";
import { HttpInput } from "../../collectors/inputs/http/index.js";
import type { Logger } from "../../core/log.js";
import type { MetricsRegistry } from "../../core/metrics.js";
import type { Input } from "../../core/stage.js";
import type { LogpipeConfig } from "../config.js";

/** The enabled inputs, each appending to the durable buffer; the same for `up` and `forward`. */
export function createInputs(
  config: LogpipeConfig["inputs"],
  buffer: DurableBuffer,
  deps: { metrics: MetricsRegistry; log: Logger },
): Input[] {
  const inputs: Input[] = [];
  if (config.forward.enabled) inputs.push(new ForwardInput(config.forward, buffer, deps));
  if (config.http.enabled) inputs.push(new HttpInput(config.http, buffer, deps));
  return inputs;
}

/**
 * Waits, at most `timeoutMs`, until every output has committed what the buffer holds: on shutdown
 * the inputs are already closed, so what is buffered is delivered now rather than on next start.
 */
export async function drainBuffer(buffer: DurableBuffer, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = () => Object.values(buffer.stats().pending).reduce((a, b) => a + b, 0);
  while (pending() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}
