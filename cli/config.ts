import { z } from "zod";
import { BufferSettingsSchema } from "../collectors/buffer/config.js";
import { ForwardInputConfigSchema } from "../collectors/inputs/forward/config.js";
import { HttpInputConfigSchema } from "../collectors/inputs/http/config.js";
import { OutputsConfigSchema } from "../collectors/outputs/config.js";
import { loadConfigFile } from "../core/config/index.js";
import { RetryPolicySchema } from "../core/retry.js";
import { TransformsConfigSchema } from "../processors/transforms/config.js";
import { LocalStoreSettingsSchema } from "../stores/local/config.js";
import { ApiConfigSchema } from "./api/config.js";
import { ForwarderConfigSchema } from "./stack/forwarder-config.js";

const InputsConfigSchema = z
  .object({
    forward: ForwardInputConfigSchema.prefault({}),
    http: HttpInputConfigSchema.prefault({}),
  })
  .strict()
  .describe("Listeners that receive logs from services.");

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
    inputs: InputsConfigSchema.prefault({}),
    buffer: BufferSettingsSchema.prefault({}),
    transforms: TransformsConfigSchema.prefault({}).describe(
      "How records become events: parsing, level normalisation, enrichment, PII redaction and size bounds.",
    ),
    store: LocalStoreSettingsSchema.prefault({}),
    api: ApiConfigSchema.prefault({}),
    outputs: OutputsConfigSchema.prefault({}),
    forwarder: ForwarderConfigSchema.prefault({}),
  })
  .strict()
  .describe("Configuration of logpipe: the forwarder, the processors and the embedded stack.");

export type LogpipeConfig = z.output<typeof LogpipeConfigSchema>;

/** Parses the config file at `path`; without one, every default applies. */
export async function loadLogpipeConfig(path?: string): Promise<LogpipeConfig> {
  if (path === undefined) return LogpipeConfigSchema.parse({});
  return loadConfigFile(path, LogpipeConfigSchema);
}
