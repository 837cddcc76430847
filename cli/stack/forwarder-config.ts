import { z } from "zod";

export const ForwarderConfigSchema = z
  .object({
    host: z
      .string()
      .default("127.0.0.1")
      .describe("Address of the forwarder's /health and /metrics listener."),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(2020)
      .describe("Port of /health and /metrics; 0 picks a free one."),
    stats_interval_s: z
      .number()
      .int()
      .min(0)
      .default(60)
      .describe("Seconds between one-line stats logs; 0 turns them off."),
    batch_events: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(5_000)
      .describe("Records each output reads from the buffer per delivery."),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(4)
      .describe("Deliveries in flight per output; the buffer still commits in order."),
  })
  .strict()
  .describe("The `logpipe forward` agent: delivery and its health/metrics listener.");

export type ForwarderConfig = z.output<typeof ForwarderConfigSchema>;
