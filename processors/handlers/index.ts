export { sealEvent, sealedJson } from "../../core/event/sealed.js";
export * from "./aws-events.js";
export {
  createDeadLetterWriter,
  createHandlerS3Client,
  createReingestClient,
  createSinks,
} from "./clients.js";
export {
  createCloudWatchSubscriptionHandler,
  defaultSubscriptionDeps,
  type SubscriptionHandler,
  type SubscriptionHandlerOptions,
} from "./cloudwatch-subscription.js";
export * from "./config.js";
export * from "./dead-letter.js";
export * from "./decode.js";
export * from "./deliver.js";
export * from "./firehose.js";
export {
  createFirehoseTransformer,
  createFirehoseTransformHandler,
  defaultFirehoseDeps,
  type FirehoseHandler,
  type FirehoseHandlerOptions,
  type FirehoseInvocation,
  type FirehoseTransformDeps,
  type FirehoseTransformer,
  type Reingest,
} from "./firehose-transform.js";
export { lambdaLogger } from "./lambda-log.js";
export * from "./log-events.js";
export * from "./reingest.js";
export * from "./s3-dead-letter.js";
export * from "./subscription.js";
export * from "./timing.js";
