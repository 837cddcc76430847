import {
  FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchCommandInput,
  type PutRecordBatchCommandOutput,
} from "@aws-sdk/client-firehose";
import { REPLACE_BODY, replaceBody } from "../prebuilt-body.js";
import type { FirehoseOutputConfig } from "./config.js";

/**
 * The Firehose SDK client for this output. `maxAttempts: 1` turns the SDK's own retries off: the
 * output retries through the core retry helper, which owns backoff and the elapsed budget, resends
 * only the records that failed, and sees every throttling answer so the adaptive concurrency
 * limit can react to it. SDK retries underneath would resend whole calls, multiply attempts and
 * hide that signal. Region and endpoint fall back to the SDK's usual resolution (AWS_REGION,
 * AWS_ENDPOINT_URL_FIREHOSE, AWS_ENDPOINT_URL, profiles).
 */
export function createFirehoseClient(config: FirehoseOutputConfig): FirehoseClient {
  return new FirehoseClient({
    ...(config.region ? { region: config.region } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    maxAttempts: 1,
    requestHandler: {
      requestTimeout: config.request_timeout_ms,
      connectionTimeout: Math.min(config.request_timeout_ms, 10_000),
    },
  });
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
  constructor(private readonly client: FirehoseClient) {}

  async putRecordBatch(
    deliveryStream: string,
    records: readonly Uint8Array[],
    signal?: AbortSignal,
  ): Promise<PutRecordBatchAnswer> {
    const placeholder = { DeliveryStreamName: deliveryStream, Records: [] };
    const command = new PutRecordBatchCommand(placeholder);
    const body = putRecordBatchBody(deliveryStream, records);
    command.middlewareStack.add(
      replaceBody<PutRecordBatchCommandInput, PutRecordBatchCommandOutput>(body),
      REPLACE_BODY,
    );
    const response = await this.client.send(command, { abortSignal: signal });
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
 * The JSON body of a PutRecordBatch request (AWS JSON 1.1) as UTF-8 bytes, each record's data
 * base64-encoded natively and copied once into place.
 */
export function putRecordBatchBody(deliveryStream: string, records: readonly Uint8Array[]): Buffer {
  const head = `{"DeliveryStreamName":${JSON.stringify(deliveryStream)},"Records":[`;
  const encoded = records.map((data) =>
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64"),
  );
  let size = Buffer.byteLength(head) + 2;
  for (const text of encoded) size += RECORD_OPEN.length + text.length + RECORD_CLOSE.length + 1;
  const body = Buffer.allocUnsafe(size);
  let at = body.write(head, 0, "utf8");
  encoded.forEach((text, i) => {
    if (i > 0) body[at++] = 0x2c;
    at += body.write(RECORD_OPEN, at, "latin1");
    at += body.write(text, at, "latin1");
    at += body.write(RECORD_CLOSE, at, "latin1");
  });
  at += body.write("]}", at, "latin1");
  return body.subarray(0, at);
}

const RECORD_OPEN = '{"Data":"';
const RECORD_CLOSE = '"}';
