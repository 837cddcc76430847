import { FirehoseClient } from "@aws-sdk/client-firehose";
import type { S3Client } from "@aws-sdk/client-s3";
import type { LogEvent } from "../../core/event/schema.js";
import type { MetricsRegistry } from "../../core/metrics.js";
import type { Sink } from "../../core/stage.js";
import { createLakeS3Client, createS3LakeWriter } from "../../stores/lake/index.js";
import { createOpenSearchStore } from "../../stores/opensearch/index.js";
import type { HandlerConfig } from "./config.js";
import { createS3DeadLetterWriter, type S3DeadLetterWriter } from "./s3-dead-letter.js";
import type { Logger } from "./timing.js";

/**
 * The only place the handlers build SDK clients and stores. No `endpoint` is ever passed unless
 * configured, so the SDK's own `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_S3` /
 * `AWS_ENDPOINT_URL_FIREHOSE` keep working; SDK-level retries are off (`maxAttempts: 1`) because
 * the handlers' retry loop owns backoff and the invocation's deadline.
 */

export interface ClientDeps {
  metrics: MetricsRegistry;
  log?: Logger | undefined;
}

/** The S3 client for dead letters (and anything else the handler writes to S3 itself). */
export function createHandlerS3Client(config: HandlerConfig): S3Client {
  return createLakeS3Client({
    region: config.s3.region,
    forcePathStyle: config.s3.forcePathStyle,
    maxAttempts: 1,
  });
}

export function createDeadLetterWriter(config: HandlerConfig, client: S3Client): S3DeadLetterWriter {
  return createS3DeadLetterWriter({
    bucket: config.deadLetter.bucket,
    prefix: config.deadLetter.prefix,
    client,
  });
}

/** The sinks the subscription handler fans out to: OpenSearch and the lake, each when configured. */
export function createSinks(config: HandlerConfig, deps: ClientDeps): Sink<LogEvent>[] {
  const sinks: Sink<LogEvent>[] = [];
  const log = deps.log ? { log: deps.log } : {};
  if (config.opensearch !== undefined)
    sinks.push(createOpenSearchStore(config.opensearch, { metrics: deps.metrics, ...log }));
  if (config.lake !== undefined)
    sinks.push(createS3LakeWriter(config.lake, { metrics: deps.metrics, ...log }));
  return sinks;
}

/** A Firehose client for re-ingesting into a stream of `region` (the event's own region). */
export function createReingestClient(region: string | undefined): FirehoseClient {
  return new FirehoseClient({ ...(region ? { region } : {}), maxAttempts: 1 });
}
