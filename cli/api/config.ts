import { z } from "zod";

export const ApiConfigSchema = z
  .object({
    host: z.string().default("127.0.0.1").describe("Address the local API listens on; keep it on loopback."),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(8089)
      .describe("Port of the local API (search, sql, tail, health, metrics); 0 picks a free one."),
  })
  .strict()
  .describe("The loopback HTTP API that `logpipe up` serves for the CLI.");

export type ApiConfig = z.output<typeof ApiConfigSchema>;
