import { newEventId } from "../../core/event/incoming.js";
import { MetricsRegistry } from "../../core/metrics.js";
import { createTransformer } from "../transforms/index.js";
import type { CloudWatchLogsEvent, LambdaContext } from "./aws-events.js";
import { createDeadLetterWriter, createHandlerS3Client, createSinks } from "./clients.js";
import { type HandlerConfig, loadHandlerConfig } from "./config.js";
import { lambdaLogger } from "./lambda-log.js";
import {
  createSubscriptionProcessor,
  type SubscriptionProcessor,
  type SubscriptionProcessorDeps,
  type SubscriptionSummary,
} from "./subscription.js";
import type { Logger } from "./timing.js";

/**
 * Lambda entry point for a CloudWatch Logs subscription filter. Thin: configuration is read and
 * the clients are built once, on the first invocation of a container, then every invocation
 * hands the event to the subscription processor. A thrown error fails the invocation, and
 * Lambda runs it again with the same payload (see `subscription.ts` for why that is safe).
 */

export interface SubscriptionHandlerOptions {
  /** Read on the first invocation; `process.env` by default. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Builds the processor's dependencies from the config; real clients by default. */
  build?: (
    config: HandlerConfig,
    shared: { metrics: MetricsRegistry; log: Logger },
  ) => SubscriptionProcessorDeps;
  log?: Logger;
}

export type SubscriptionHandler = (
  event: CloudWatchLogsEvent,
  context: LambdaContext,
) => Promise<SubscriptionSummary>;

/** The production wiring: transforms from the config, OpenSearch and lake sinks, S3 dead letters. */
export function defaultSubscriptionDeps(
  config: HandlerConfig,
  shared: { metrics: MetricsRegistry; log: Logger },
): SubscriptionProcessorDeps {
  return {
    transform: createTransformer(config.transforms, { metrics: shared.metrics }),
    sinks: createSinks(config, shared),
    deadLetter: createDeadLetterWriter(config, createHandlerS3Client(config)),
    serviceFromLogGroup: config.serviceFromLogGroup,
    metrics: shared.metrics,
    log: shared.log,
  };
}

export function createCloudWatchSubscriptionHandler(
  options: SubscriptionHandlerOptions = {},
): SubscriptionHandler {
  const log = options.log ?? lambdaLogger();
  let processor: SubscriptionProcessor | undefined;
  return async (event, context) => {
    if (processor === undefined) {
      const config = loadHandlerConfig(options.env ?? process.env);
      const shared = { metrics: new MetricsRegistry(), log };
      processor = createSubscriptionProcessor((options.build ?? defaultSubscriptionDeps)(config, shared));
    }
    const requestId = context.awsRequestId ?? newEventId();
    const summary = await processor.process(event, {
      remainingMs: context.getRemainingTimeInMillis(),
      requestId,
    });
    log("info", "subscription payload processed", { requestId, ...summary });
    return summary;
  };
}

/** The function's handler (`processors/handlers/cloudwatch-subscription.handler`). */
export const handler: SubscriptionHandler = createCloudWatchSubscriptionHandler();
