import { z } from "zod";
import { CloudWatchLogsOutputConfigSchema } from "./cloudwatch-logs/config.js";
import { FirehoseOutputConfigSchema } from "./firehose/config.js";

/** The forwarder's outputs; each configured one receives every event. */
export const OutputsConfigSchema = z
  .object({
    cloudwatch_logs: CloudWatchLogsOutputConfigSchema.optional().describe(
      "Ship events to CloudWatch Logs (PutLogEvents).",
    ),
    firehose: FirehoseOutputConfigSchema.optional().describe(
      "Ship events to an Amazon Data Firehose delivery stream (PutRecordBatch).",
    ),
  })
  .strict()
  .describe("Where `logpipe forward` sends events. Events leave the buffer once every output accepted them.");

export type OutputsConfig = z.output<typeof OutputsConfigSchema>;
