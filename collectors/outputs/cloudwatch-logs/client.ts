import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
  type RejectedLogEventsInfo,
} from "@aws-sdk/client-cloudwatch-logs";
import { ByteWriter } from "../../../core/bytes.js";
import { withBody } from "../prebuilt-body.js";
import { outputClientOptions } from "../sdk-client.js";
import type { CloudWatchLogsOutputConfig } from "./config.js";

export type { RejectedLogEventsInfo };

/** The SDK client for this output (see `outputClientOptions`). */
export function createCloudWatchLogsClient(config: CloudWatchLogsOutputConfig): CloudWatchLogsClient {
  return new CloudWatchLogsClient(outputClientOptions(config));
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

  /**
   * PutLogEvents with a body written by `putLogEventsBody` (see `prebuilt-body.ts`); resolves
   * with what the service refused per event, if anything.
   */
  async putLogEvents(body: Uint8Array, signal?: AbortSignal): Promise<RejectedLogEventsInfo | undefined> {
    const placeholder = { logGroupName: "-", logStreamName: "-", logEvents: [] };
    const command = new PutLogEventsCommand(placeholder);
    withBody(command, body);
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
  writer = new ByteWriter(),
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
