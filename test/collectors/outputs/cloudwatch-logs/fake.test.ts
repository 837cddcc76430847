import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeCloudWatchLogs } from "../../../support/fake-cloudwatch-logs.js";
import { T0 } from "./helpers.js";

// The fake's own validation must work, or the output's tests proving it never trips it would
// prove nothing.
describe("FakeCloudWatchLogs", () => {
  let fake: FakeCloudWatchLogs;
  let client: CloudWatchLogsClient;

  beforeEach(async () => {
    fake = await FakeCloudWatchLogs.start({ now: () => T0 });
    client = new CloudWatchLogsClient({
      endpoint: fake.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake-secret" },
      maxAttempts: 1,
    });
    await client.send(new CreateLogGroupCommand({ logGroupName: "/g" }));
    await client.send(new CreateLogStreamCommand({ logGroupName: "/g", logStreamName: "s" }));
  });

  afterEach(async () => {
    client.destroy();
    await fake.close();
  });

  const put = (logEvents: Array<{ timestamp: number; message: string }>) =>
    client.send(new PutLogEventsCommand({ logGroupName: "/g", logStreamName: "s", logEvents }));

  it("refuses events out of chronological order with InvalidParameterException", async () => {
    await expect(
      put([
        { timestamp: T0, message: "b" },
        { timestamp: T0 - 1, message: "a" },
      ]),
    ).rejects.toMatchObject({
      name: "InvalidParameterException",
    });
  });

  it("refuses a request spanning more than 24 hours", async () => {
    await expect(
      put([
        { timestamp: T0 - 86_400_001, message: "a" },
        { timestamp: T0, message: "b" },
      ]),
    ).rejects.toMatchObject({ name: "InvalidParameterException" });
  });

  it("refuses more than 10,000 events", async () => {
    const events = Array.from({ length: 10_001 }, () => ({ timestamp: T0, message: "x" }));
    await expect(put(events)).rejects.toMatchObject({ name: "InvalidParameterException" });
  });

  it("refuses a request over 1,048,576 bytes counting 26 per event", async () => {
    // 2 × (524,262 + 26) = 1,048,576 fits; one byte more does not.
    const fits = [
      { timestamp: T0, message: "a".repeat(524_262) },
      { timestamp: T0, message: "b".repeat(524_262) },
    ];
    await expect(put(fits)).resolves.toBeDefined();
    const over = [
      { timestamp: T0, message: "a".repeat(524_263) },
      { timestamp: T0, message: "b".repeat(524_262) },
    ];
    await expect(put(over)).rejects.toMatchObject({ name: "InvalidParameterException" });
  });

  it("reports leading too-old events with an exclusive end index and does not store them", async () => {
    fake.now = () => T0 + 14 * 86_400_000 + 1_800_000;
    const response = await put([
      { timestamp: T0, message: "old" },
      { timestamp: T0 + 3_600_000, message: "ok" },
    ]);
    expect(response.rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 1 });
    expect(fake.getLogEvents("/g", "s").map((e) => e.message)).toEqual(["ok"]);
  });

  it("reports events older than the group's retention as expired", async () => {
    fake.groups.get("/g")!.retentionInDays = 1;
    const response = await put([
      { timestamp: T0 - 25 * 3_600_000, message: "expired" },
      { timestamp: T0 - 23 * 3_600_000, message: "ok" },
    ]);
    expect(response.rejectedLogEventsInfo).toEqual({ expiredLogEventEndIndex: 1 });
    expect(fake.getLogEvents("/g", "s").map((e) => e.message)).toEqual(["ok"]);
  });

  it("reports trailing too-new events with an inclusive start index", async () => {
    const response = await put([
      { timestamp: T0, message: "ok" },
      { timestamp: T0 + 2 * 3_600_000 + 1, message: "new" },
      { timestamp: T0 + 3 * 3_600_000, message: "newer" },
    ]);
    expect(response.rejectedLogEventsInfo).toEqual({ tooNewLogEventStartIndex: 1 });
    expect(fake.getLogEvents("/g", "s").map((e) => e.message)).toEqual(["ok"]);
  });

  it("answers a write to a missing stream with ResourceNotFoundException", async () => {
    await expect(
      client.send(
        new PutLogEventsCommand({
          logGroupName: "/g",
          logStreamName: "nope",
          logEvents: [{ timestamp: T0, message: "x" }],
        }),
      ),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("answers a second CreateLogGroup with ResourceAlreadyExistsException", async () => {
    await expect(client.send(new CreateLogGroupCommand({ logGroupName: "/g" }))).rejects.toMatchObject({
      name: "ResourceAlreadyExistsException",
    });
  });

  it("throttles in a way the SDK reports as ThrottlingException", async () => {
    fake.throttleNext(1);
    await expect(put([{ timestamp: T0, message: "x" }])).rejects.toMatchObject({
      name: "ThrottlingException",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(put([{ timestamp: T0, message: "x" }])).resolves.toBeDefined();
  });

  it("fails with a 5xx whose body is not JSON", async () => {
    fake.failNext(1, 502);
    await expect(put([{ timestamp: T0, message: "x" }])).rejects.toMatchObject({
      $metadata: { httpStatusCode: 502 },
    });
  });

  it("drops the connection mid-request", async () => {
    fake.dropNext(1);
    await expect(put([{ timestamp: T0, message: "x" }])).rejects.toThrow();
    expect(fake.getLogEvents("/g", "s")).toEqual([]);
  });
});
