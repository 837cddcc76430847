import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CloudWatchLogsApi,
  createCloudWatchLogsClient,
  putLogEventsBody,
} from "../../../../collectors/outputs/cloudwatch-logs/client.js";
import { CloudWatchLogsOutputConfigSchema } from "../../../../collectors/outputs/cloudwatch-logs/config.js";
import { createCloudWatchLogsOutput } from "../../../../collectors/outputs/cloudwatch-logs/sink.js";
import { MetricsRegistry } from "../../../../core/metrics.js";
import { isolateAwsEnvironment } from "../../../support/aws-output.js";
import { FakeCloudWatchLogs } from "../../../support/fake-cloudwatch-logs.js";
import { instantClock, makeEvent, T0 } from "./helpers.js";

describe("createCloudWatchLogsClient", () => {
  let fake: FakeCloudWatchLogs;
  isolateAwsEnvironment(["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"]);

  beforeEach(async () => {
    fake = await FakeCloudWatchLogs.start({ now: () => T0 });
  });

  afterEach(async () => {
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

  it("sends the body it writes itself, signed and framed by the SDK, byte for byte", async () => {
    const { client } = output({ endpoint: fake.endpoint });
    const api = new CloudWatchLogsApi(client);
    await api.createLogGroup("/logpipe/awkward", {});
    await api.createLogStream("/logpipe/awkward", "s");
    const messages = ['{"q":"\\"quoted\\""}', "tab\tnew\nline", "ünïcödé ✓ 🚀", "nul \u0000 and \u2028"];
    const events = messages.map((message, i) => ({ timestamp: T0 + i, message }));
    expect(await api.putLogEvents(putLogEventsBody("/logpipe/awkward", "s", events))).toBeUndefined();
    const stored = fake.getLogEvents("/logpipe/awkward", "s");
    expect(stored.map((e) => [e.timestamp, e.message])).toEqual(events.map((e) => [e.timestamp, e.message]));
    const call = fake.callsOf("PutLogEvents")[0]!;
    expect(call.body).toEqual({ logGroupName: "/logpipe/awkward", logStreamName: "s", logEvents: events });
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

describe("putLogEventsBody", () => {
  it("is the JSON of the request, whatever the messages hold", () => {
    const events = [
      { timestamp: 1, message: 'say "hi"\\' },
      { timestamp: 2, message: "\ud800 lone surrogate" },
    ];
    expect(JSON.parse(putLogEventsBody("g", 'st"ream', events).toString("utf8"))).toEqual({
      logGroupName: "g",
      logStreamName: 'st"ream',
      logEvents: events,
    });
  });
});
