import {
  FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchCommandOutput,
} from "@aws-sdk/client-firehose";
import { ByteWriter, ByteWriterPool } from "../../../core/bytes.js";
import { withBody } from "../prebuilt-body.js";
import { outputClientOptions } from "../sdk-client.js";
import type { FirehoseOutputConfig } from "./config.js";

/** The SDK client for this output (see `outputClientOptions`). */
export function createFirehoseClient(config: FirehoseOutputConfig): FirehoseClient {
  return new FirehoseClient(outputClientOptions(config));
}

/** The answer for one record of a call, in request order. */
export type RecordAnswer =
  | { ok: true; recordId: string }
  | { ok: false; errorCode: string; errorMessage?: string };

export interface PutRecordBatchAnswer {
  /** One entry per record sent, or `undefined` when the response's list does not line up with the request. */
  records: RecordAnswer[] | undefined;
  /** The service's own count of failed records. */
  failedPutCount: number | undefined;
}

/** The calls the output makes; the only place the SDK is touched. */
export class FirehoseApi {
  private readonly bodies = new ByteWriterPool();

  constructor(private readonly client: FirehoseClient) {}

  async putRecordBatch(
    deliveryStream: string,
    records: readonly Uint8Array[],
    signal?: AbortSignal,
  ): Promise<PutRecordBatchAnswer> {
    const placeholder = { DeliveryStreamName: deliveryStream, Records: [] };
    const command = new PutRecordBatchCommand(placeholder);
    const writer = this.bodies.writer();
    const body = putRecordBatchBody(deliveryStream, records, writer);
    withBody(command, body);
    let response: PutRecordBatchCommandOutput;
    try {
      response = await this.client.send(command, { abortSignal: signal });
    } finally {
      this.bodies.release(writer);
    }
    const entries = response.RequestResponses;
    const failedPutCount = typeof response.FailedPutCount === "number" ? response.FailedPutCount : undefined;
    if (!Array.isArray(entries) || entries.length !== records.length) {
      return { records: undefined, failedPutCount };
    }
    return {
      records: entries.map((entry): RecordAnswer => {
        if (entry?.ErrorCode) {
          return {
            ok: false,
            errorCode: entry.ErrorCode,
            ...(entry.ErrorMessage ? { errorMessage: entry.ErrorMessage } : {}),
          };
        }
        if (entry?.RecordId) return { ok: true, recordId: entry.RecordId };
        // Neither an id nor an error: nothing says the record was stored, so it is not counted as sent.
        return { ok: false, errorCode: "MissingRecordId", errorMessage: "the response named no record id" };
      }),
      failedPutCount,
    };
  }
}

/**
 * The JSON body of a PutRecordBatch request (AWS JSON 1.1), written into `writer` (a fresh one by
 * default) and returned as its bytes; each record's data is base64-encoded natively.
 */
export function putRecordBatchBody(
  deliveryStream: string,
  records: readonly Uint8Array[],
  writer = new ByteWriter(),
): Buffer {
  writer.write(`{"DeliveryStreamName":${JSON.stringify(deliveryStream)},"Records":[`);
  records.forEach((data, i) => {
    writer.write(i === 0 ? '{"Data":"' : ',{"Data":"');
    writer.writeBase64(data);
    writer.write('"}');
  });
  writer.write("]}");
  return writer.bytes();
}
