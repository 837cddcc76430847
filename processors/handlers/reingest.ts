import { type FirehoseClient, PutRecordBatchCommand } from "@aws-sdk/client-firehose";
import { PipelineError } from "../../core/errors.js";
import { FIREHOSE } from "../../core/limits.js";
import { type ErrorClass, retry } from "../../core/retry.js";
import { type DeliveryTiming, PendingItemsError, retryUntilDeadline } from "./deliver.js";

/**
 * Putting records back into the delivery stream (what a transformation answer could not carry).
 * Only records Firehose answered with an error are sent again, through the core retry helper,
 * within the invocation's time; the planning of calls is pure.
 */

/** `arn:aws:firehose:<region>:<account>:deliverystream/<name>` → `<name>`. */
export function streamNameFromArn(arn: unknown): string | undefined {
  if (typeof arn !== "string") return undefined;
  const match = /^arn:[^:]+:firehose:[^:]*:[^:]*:deliverystream\/([A-Za-z0-9_.-]{1,64})$/.exec(arn);
  return match?.[1];
}

/** Records in order, cut into PutRecordBatch calls within the record and byte caps. */
export function planReingestCalls(
  records: readonly Uint8Array[],
  maxRecords: number = FIREHOSE.PUT_BATCH_MAX_RECORDS,
  maxBytes: number = FIREHOSE.PUT_BATCH_MAX_BYTES,
): Uint8Array[][] {
  const calls: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  let size = 0;
  for (const record of records) {
    if (current.length > 0 && (current.length >= maxRecords || size + record.length > maxBytes)) {
      calls.push(current);
      current = [];
      size = 0;
    }
    current.push(record);
    size += record.length;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}

/** Records could not be put back in time; the handler fails the invocation so Firehose retries it. */
export class ReingestError extends PipelineError {
  override name = "ReingestError";
  constructor(
    readonly pending: number,
    cause: unknown,
  ) {
    super(
      "sending",
      "reingest_failed",
      `${pending} record${pending === 1 ? "" : "s"} could not be put back into the delivery stream: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

const THROTTLED = new Set(["ServiceUnavailableException", "ThrottlingException", "LimitExceededException"]);

interface SdkError {
  name?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  code?: unknown;
}

function classifyCallError(error: unknown): ErrorClass {
  if (error instanceof PendingItemsError)
    return error.throttled ? { kind: "throttled" } : { kind: "retryable" };
  const e = (error ?? {}) as SdkError;
  const name = typeof e.name === "string" ? e.name : "";
  if (THROTTLED.has(name)) return { kind: "throttled" };
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === "number")
    return status >= 500 || status === 429 ? { kind: "retryable" } : { kind: "permanent" };
  // No HTTP answer: the network failed (Node errors carry a string code) or the request timed out.
  return typeof e.code === "string" || name === "TimeoutError"
    ? { kind: "retryable" }
    : { kind: "permanent" };
}

/** Puts `records` into `stream`, resending only what failed, until done or out of time. */
export async function reingestRecords(
  client: FirehoseClient,
  stream: string,
  records: readonly Uint8Array[],
  timing: DeliveryTiming,
): Promise<void> {
  for (const call of planReingestCalls(records)) {
    let pending = call;
    try {
      await retry(
        async (_n, signal) => {
          const response = await client.send(
            new PutRecordBatchCommand({
              DeliveryStreamName: stream,
              Records: pending.map((Data) => ({ Data })),
            }),
            { abortSignal: signal },
          );
          const answers = response.RequestResponses;
          if (!Array.isArray(answers) || answers.length !== pending.length) {
            // Answers that do not line up say nothing reliable about any record.
            if (response.FailedPutCount === 0) return;
            throw new PendingItemsError(
              pending.length,
              false,
              undefined,
              "PutRecordBatch answers do not match the records",
            );
          }
          const failed: Uint8Array[] = [];
          let throttled = false;
          let sample = "";
          answers.forEach((answer, i) => {
            if (answer?.ErrorCode) {
              failed.push(pending[i]!);
              throttled ||= THROTTLED.has(answer.ErrorCode);
              sample ||= `${answer.ErrorCode}: ${answer.ErrorMessage ?? ""}`;
            }
          });
          pending = failed;
          if (failed.length > 0) throw new PendingItemsError(failed.length, throttled, undefined, sample);
        },
        retryUntilDeadline(timing, classifyCallError),
      );
    } catch (error) {
      throw new ReingestError(pending.length, error);
    }
  }
}
