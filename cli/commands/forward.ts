import type { Command } from "commander";
import { loadLogpipeConfig } from "../config.js";
import { portOption } from "../options.js";
import { logLine, waitForStopSignal } from "../signals.js";

interface ForwardOptions {
  config: string;
  dataDir?: string;
  forwardPort?: number;
  httpPort?: number;
  metricsPort?: number;
}

export function registerForwardCommand(program: Command): void {
  program
    .command("forward")
    .description("Run the forwarder agent: inputs → durable buffer → CloudWatch Logs / Firehose outputs")
    .requiredOption("-c, --config <file>", "config file (YAML) with an `outputs` section")
    .option("-d, --data-dir <dir>", "where the buffer and dead-letter files live")
    .option("--forward-port <port>", "Fluent forward input port (0 picks a free port)", portOption)
    .option("--http-port <port>", "HTTP input port (0 picks a free port)", portOption)
    .option("--metrics-port <port>", "/health and /metrics port (0 picks a free port)", portOption)
    .action(async (options: ForwardOptions) => {
      const config = await loadLogpipeConfig(options.config);
      if (options.dataDir) config.data_dir = options.dataDir;
      if (options.forwardPort !== undefined) config.inputs.forward.port = options.forwardPort;
      if (options.httpPort !== undefined) config.inputs.http.port = options.httpPort;
      if (options.metricsPort !== undefined) config.forwarder.port = options.metricsPort;

      const { startForwarder } = await import("../stack/forwarder.js");
      const forwarder = await startForwarder(config, logLine);
      const lines = ["logpipe forwarder is up"];
      for (const input of forwarder.inputs) {
        // The HTTP input is shown with its path: that is the URL clients POST to.
        const where =
          input.name === "http" ? `${input.address()}${config.inputs.http.path}` : input.address();
        lines.push(`  ${input.name.padEnd(14)} ${where}`);
      }
      lines.push(
        `  ${"metrics".padEnd(14)} ${forwarder.server.address()}`,
        `  ${"data".padEnd(14)} ${forwarder.dataDir}`,
      );
      process.stdout.write(`${lines.join("\n")}\n`);

      const interval = config.forwarder.stats_interval_s;
      const timer =
        interval > 0
          ? setInterval(() => logLine("info", `stats ${forwarder.statsLine()}`), interval * 1000)
          : undefined;
      const signal = await waitForStopSignal();
      process.stderr.write(`${signal}: flushing and stopping\n`);
      if (timer) clearInterval(timer);
      await forwarder.shutdown();
      logLine("info", `stats ${forwarder.statsLine()}`);
      process.stdout.write("logpipe forwarder stopped\n");
    });
}
