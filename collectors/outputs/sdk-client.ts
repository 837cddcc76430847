import { z } from "zod";
import type { Logger } from "../../core/log.js";
import type { MetricsRegistry } from "../../core/metrics.js";
import {
  type Clock,
  type RetryOptions,
  type RetryPolicy,
  retryOptionsFromPolicy,
  systemClock,
} from "../../core/retry.js";

/** What the AWS outputs' configs say about reaching the service. */
interface OutputEndpointConfig {
  region?: string | undefined;
  endpoint?: string | undefined;
  request_timeout_ms: number;
}

/**
 * Settings of an AWS output's SDK client. `maxAttempts: 1` turns the SDK's own retries off: the
 * output retries through the core retry helper, which owns the backoff and the elapsed budget,
 * resends only what failed, and sees every throttling answer so the adaptive concurrency limit
 * can react to it. SDK retries underneath would resend whole calls, multiply attempts and hide
 * that signal. Region and endpoint fall back to the SDK's usual resolution (AWS_REGION, the
 * service's AWS_ENDPOINT_URL_* and AWS_ENDPOINT_URL, profiles).
 */
export function outputClientOptions(config: OutputEndpointConfig) {
  return {
    ...(config.region ? { region: config.region } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    maxAttempts: 1,
    requestHandler: {
      requestTimeout: config.request_timeout_ms,
      connectionTimeout: Math.min(config.request_timeout_ms, 10_000),
    },
  };
}

/** The `request_timeout_ms` setting both AWS outputs have. */
export const RequestTimeoutSchema = z
  .number()
  .int()
  .positive()
  .default(30_000)
  .describe(
    "Time one HTTP request may take before it is abandoned and retried (applies to the built-in client).",
  );

/** What an AWS output is given besides its config. */
export interface AwsOutputDeps<Client> {
  /** SDK client; built from the config (region, endpoint, SDK retries off) when absent. */
  client?: Client;
  metrics: MetricsRegistry;
  /** Clock for time checks and the retry budget, when no `clock` is given. */
  now?: () => number;
  log?: Logger;
  /** Clock and jitter source of the retry loop, so tests need not wait out backoffs. */
  clock?: Clock;
  random?: () => number;
}

/**
 * An AWS output's retry options: its config's policy, the deps' jitter source, and one clock for
 * backoff and budget (`clock`, else one that reads `now`, else the system's). `onRetry` counts.
 */
export function outputRetryOptions(
  policy: RetryPolicy,
  deps: Pick<AwsOutputDeps<unknown>, "now" | "clock" | "random">,
  onRetry: NonNullable<RetryOptions["onRetry"]>,
): Omit<RetryOptions, "classify"> {
  return {
    ...retryOptionsFromPolicy(policy),
    clock: deps.clock ?? (deps.now ? { now: deps.now, sleep: systemClock.sleep } : systemClock),
    ...(deps.random ? { random: deps.random } : {}),
    onRetry,
  };
}
