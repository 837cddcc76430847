/** What the AWS outputs' configs say about reaching the service. */
export interface OutputEndpointConfig {
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
