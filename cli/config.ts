import { z } from "zod";
import { loadConfigFile } from "../core/config/index.js";
import { RetryPolicySchema } from "../core/retry.js";

/**
 * The root of a logpipe config file, composed from the schemas that live beside each
 * component. One line per section; a new component adds its line here.
 */
export const LogpipeConfigSchema = z
  .object({
    data_dir: z
      .string()
      .min(1)
      .default(".logpipe")
      .describe(
        "Directory for the durable buffer, the local store and lake files; relative to the working directory.",
      ),
    retry: RetryPolicySchema.prefault({}).describe(
      "Default retry policy for outputs and sinks that do not set their own.",
    ),
  })
  .strict()
  .describe("Configuration of logpipe: the forwarder, the processors and the embedded stack.");

export type LogpipeConfig = z.output<typeof LogpipeConfigSchema>;

/** Parses the config file at `path`; without one, every default applies. */
export async function loadLogpipeConfig(path?: string): Promise<LogpipeConfig> {
  if (path === undefined) return LogpipeConfigSchema.parse({});
  return loadConfigFile(path, LogpipeConfigSchema);
}
