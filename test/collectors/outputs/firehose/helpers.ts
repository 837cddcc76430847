import { FirehoseClient } from "@aws-sdk/client-firehose";
import type { LogEvent } from "../../../../core/event/schema.js";
import { makeEvent } from "../../../support/aws-output.js";
import type { FakeFirehose } from "../../../support/fake-firehose.js";

export { instantClock, makeEvent } from "../../../support/aws-output.js";

export function makeEvents(count: number, overrides: Partial<LogEvent> = {}): LogEvent[] {
  return Array.from({ length: count }, () => makeEvent(overrides));
}

/**
 * The real SDK client pointed at the fake. `maxAttempts: 1` as in production (client.ts): the
 * output's retry loop does the retrying, so the tests see exactly the calls the output makes.
 */
export function sdkClient(fake: FakeFirehose): FirehoseClient {
  return new FirehoseClient({
    endpoint: fake.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake-secret" },
    maxAttempts: 1,
  });
}
