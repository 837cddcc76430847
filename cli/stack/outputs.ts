import { createCloudWatchLogsOutput } from "../../collectors/outputs/cloudwatch-logs/index.js";
import type { OutputsConfig } from "../../collectors/outputs/config.js";
import { createFirehoseOutput } from "../../collectors/outputs/firehose/index.js";
import type { LogEvent } from "../../core/event/schema.js";
import type { Logger } from "../../core/log.js";
import type { MetricsRegistry } from "../../core/metrics.js";
import type { Sink } from "../../core/stage.js";

/** Builds every configured output, keyed by the name used for buffer cursors and dead letters. */
export function createOutputs(
  config: OutputsConfig,
  deps: { metrics: MetricsRegistry; log: Logger },
): Map<string, Sink<LogEvent>> {
  const outputs = new Map<string, Sink<LogEvent>>();
  const { log } = deps;
  if (config.cloudwatch_logs) {
    outputs.set(
      "cloudwatch_logs",
      createCloudWatchLogsOutput(config.cloudwatch_logs, { metrics: deps.metrics, log }),
    );
  }
  if (config.firehose) {
    outputs.set("firehose", createFirehoseOutput(config.firehose, { metrics: deps.metrics, log }));
  }
  return outputs;
}
