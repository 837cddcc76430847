import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  type PutLogEventsCommandInput,
  type PutLogEventsCommandOutput,
  PutRetentionPolicyCommand,
  type RejectedLogEventsInfo,
} from "@aws-sdk/client-cloudwatch-logs";
import { BodyWriter, REPLACE_BODY, replaceBody } from "../prebuilt-body.js";
import type { CloudWatchLogsOutputConfig } from "./config.js";

export type { RejectedLogEventsInfo };

/**
 * The CloudWatch Logs SDK client for this output. `maxAttempts: 1` turns the SDK's own retries
 * off: the output retries through the core retry helper, which owns the backoff and the elapsed
 * budget, and sees every throttling answer so the adaptive concurrency limit can react to it.
 * SDK retries underneath would multiply attempts and hide that signal. Region and endpoint fall
 * back to the SDK's usual resolution (AWS_REGION, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, profiles).
 */
export function createCloudWatchLogsClient(config: CloudWatchLogsOutputConfig): CloudWatchLogsClient {
  return new CloudWatchLogsClient({
    ...(config.region ? { region: config.region } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    maxAttempts: 1,
    requestHandler: {
      requestTimeout: config.request_timeout_ms,
      connectionTimeout: Math.min(config.request_timeout_ms, 10_000),
    },
  });
}

/** The calls the output makes; the only place the SDK is touched. */
export class CloudWatchLogsApi {
  constructor(private readonly client: CloudWatchLogsClient) {}

  async createLogGroup(name: string, tags: Record<string, string>, signal?: AbortSignal): Promise<void> {
    await this.client.send(
      new CreateLogGroupCommand({ logGroupName: name, ...(Object.keys(tags).length > 0 ? { tags } : {}) }),
      { abortSignal: signal },
    );
  }

  async createLogStream(group: string, stream: string, signal?: AbortSignal): Promise<void> {
    await this.client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }), {
      abortSignal: signal,
    });
  }

  async putRetentionPolicy(group: string, days: number, signal?: AbortSignal): Promise<void> {
    await this.client.send(new PutRetentionPolicyCommand({ logGroupName: group, retentionInDays: days }), {
      abortSignal: signal,
    });
  }

  /** Resolves with what the service refused per event, if anything. */
  putLogEvents(
    group: string,
    stream: string,
    events: ReadonlyArray<{ timestamp: number; message: string }>,
    signal?: AbortSignal,
  ): Promise<RejectedLogEventsInfo | undefined> {
    return this.sendPutLogEvents(putLogEventsBody(group, stream, events), signal);
  }

  /** PutLogEvents with a body written by `putLogEventsBody` (see `prebuilt-body.ts`). */
  async sendPutLogEvents(body: Uint8Array, signal?: AbortSignal): Promise<RejectedLogEventsInfo | undefined> {
    const placeholder = { logGroupName: "-", logStreamName: "-", logEvents: [] };
    const command = new PutLogEventsCommand(placeholder);
    command.middlewareStack.add(
      replaceBody<PutLogEventsCommandInput, PutLogEventsCommandOutput>(body),
      REPLACE_BODY,
    );
    const response = await this.client.send(command, { abortSignal: signal });
    return response.rejectedLogEventsInfo;
  }
}

/**
 * The JSON body of a PutLogEvents request (AWS JSON 1.1), written into `writer` (a fresh one by
 * default) and returned as its bytes. Each message is escaped by the engine's `JSON.stringify`.
 */
export function putLogEventsBody(
  group: string,
  stream: string,
  events: ReadonlyArray<{ timestamp: number; message: string }>,
  writer = new BodyWriter(Buffer.allocUnsafe(0)),
): Buffer {
  writer.write(
    `{"logGroupName":${JSON.stringify(group)},"logStreamName":${JSON.stringify(stream)},"logEvents":[`,
  );
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    writer.write(
      `${i === 0 ? "" : ","}{"timestamp":${event.timestamp},"message":${JSON.stringify(event.message)}}`,
    );
  }
  writer.write("]}");
  return writer.bytes();
}
