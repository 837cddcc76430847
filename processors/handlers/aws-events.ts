import type { FirehoseTransformResult } from "../../core/limits.js";

/**
 * The shapes AWS hands the handlers and expects back, as documented (and as the `aws-lambda`
 * type definitions spell them). Inputs are typed loosely where AWS may add fields; everything is
 * still validated at run time, because a handler is an input path like any other.
 */

/** What Lambda passes as the second argument; only what the handlers use. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
  awsRequestId?: string;
}

/** A CloudWatch Logs subscription invocation: the payload is base64 of gzip of JSON. */
export interface CloudWatchLogsEvent {
  awslogs: { data: string };
}

/** One log event of a decoded subscription payload. */
export interface SubscriptionLogEvent {
  id: string;
  /** Epoch milliseconds. */
  timestamp: number;
  message: string;
  /** Present when the subscription filter pattern names fields (space-delimited patterns). */
  extractedFields?: Record<string, string>;
}

/** The decoded subscription payload. */
export interface SubscriptionMessage {
  messageType: string;
  owner: string;
  logGroup: string;
  logStream: string;
  subscriptionFilters: string[];
  logEvents: SubscriptionLogEvent[];
  /** Account-level subscription policies add this. */
  policyLevel?: string;
}

/** A record Firehose hands the transformation function. */
export interface FirehoseTransformationRecord {
  recordId: string;
  /** Epoch milliseconds. */
  approximateArrivalTimestamp: number;
  /** Base64 of the record as the producer sent it. */
  data: string;
  /** Present when the stream's source is a Kinesis data stream. */
  kinesisRecordMetadata?: Record<string, unknown>;
}

export interface FirehoseTransformationEvent {
  invocationId: string;
  deliveryStreamArn: string;
  /** Present when the stream's source is a Kinesis data stream. */
  sourceKinesisStreamArn?: string;
  region: string;
  records: FirehoseTransformationRecord[];
}

export interface FirehoseRecordMetadata {
  partitionKeys: Record<string, string>;
}

export interface FirehoseTransformationResultRecord {
  recordId: string;
  result: FirehoseTransformResult;
  /**
   * Base64. The documentation requires it on every record; Dropped and ProcessingFailed answers
   * carry an empty one (Firehose writes the original record to its error output, not this).
   */
  data: string;
  metadata?: FirehoseRecordMetadata;
}

export interface FirehoseTransformationResult {
  records: FirehoseTransformationResultRecord[];
}
