import type { Command } from "commander";
import { ConfigError, configJsonSchema, loadConfigFile } from "../../core/config/index.js";
import { LogpipeConfigSchema } from "../config.js";

export function registerConfigCommand(program: Command): void {
  const config = program
    .command("config")
    .description("Check a config file, or print the config JSON Schema");

  config
    .command("check")
    .description("Validate a config file; prints ok, or one line per problem with file, key path and line")
    .argument("<file>", "config file (YAML)")
    .action(async (file: string) => {
      try {
        await loadConfigFile(file, LogpipeConfigSchema);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        for (const line of error.lines) process.stderr.write(`${line}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write("ok\n");
    });

  config
    .command("schema")
    .description("Print the JSON Schema of the config file (for editor completion and validation)")
    .action(() => {
      const schema = configJsonSchema(LogpipeConfigSchema, "logpipe configuration");
      process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
    });
}
