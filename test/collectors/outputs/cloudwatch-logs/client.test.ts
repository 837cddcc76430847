import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createCloudWatchLogsClient } from "../../../../collectors/outputs/cloudwatch-logs/client.js";
import { CloudWatchLogsOutputConfigSchema } from "../../../../collectors/outputs/cloudwatch-logs/config.js";
import { createCloudWatchLogsOutput } from "../../../../collectors/outputs/cloudwatch-logs/sink.js";
import { MetricsRegistry } from "../../../../core/metrics.js";
import { FakeCloudWatchLogs } from "../../../support/fake-cloudwatch-logs.js";
import { instantClock, makeEvent, T0 } from "./helpers.js";

const ENV_KEYS = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_PROFILE",
  "AWS_ENDPOINT_URL",
  "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
] as const;

describe("createCloudWatchLogsClient", () => {
  let fake: FakeCloudWatchLogs;
  const saved: Partial<Record<(typeof ENV_KEYS)[number], string | undefined>> = {};

  beforeEach(async () => {
    for (const key of ENV_KEYS) saved[key] = process.env[key];
    for (const key of ENV_KEYS) delete process.env[key];
    // Static credentials from the environment keep the SDK's provider chain off the network.
    process.env.AWS_ACCESS_KEY_ID = "AKIDFAKE";
    process.env.AWS_SECRET_ACCESS_KEY = "fake-secret";
    fake = await FakeCloudWatchLogs.start({ now: () => T0 });
  });

  afterEach(async () => {
    for (const key of ENV_KEYS) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await fake.close();
  });

  function output(config: Record<string, unknown>) {
    const parsed = CloudWatchLogsOutputConfigSchema.parse({
      region: "us-east-1",
      retry: { max_attempts: 1 },
      ...config,
    });
    const client = createCloudWatchLogsClient(parsed);
    const sink = createCloudWatchLogsOutput(parsed, {
      client,
      metrics: new MetricsRegistry(),
      now: () => T0,
      clock: instantClock(),
    });
    return { sink, client };
  }

  it("talks to the configured endpoint", async () => {
    const { sink, client } = output({ endpoint: fake.endpoint });
    expect(await sink.write([makeEvent()])).toEqual([{ status: "accepted" }]);
    expect(fake.getLogEvents("/logpipe/checkout", "web-1")).toHaveLength(1);
    client.destroy();
  });

  it("leaves retrying to the output: the SDK makes one attempt per call", async () => {
    const { sink, client } = output({ endpoint: fake.endpoint });
    fake.throttleNext(1);
    const [outcome] = await sink.write([makeEvent()]);
    expect(outcome).toMatchObject({ status: "retryable", throttled: true });
    expect(fake.callsOf("PutLogEvents")).toHaveLength(1);
    client.destroy();
  });

  it("honours AWS_ENDPOINT_URL_CLOUDWATCH_LOGS when no endpoint is configured", async () => {
    process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS = fake.endpoint;
    const { sink, client } = output({});
    expect(await sink.write([makeEvent()])).toEqual([{ status: "accepted" }]);
    expect(fake.callsOf("PutLogEvents")).toHaveLength(1);
    client.destroy();
  });
});
