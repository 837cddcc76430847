import type { Command } from "commander";
import { loadLogpipeConfig } from "../config.js";
import { portOption } from "../options.js";
import { logLine, waitForStopSignal } from "../signals.js";

interface UpOptions {
  config?: string;
  dataDir?: string;
  forwardPort?: number;
  httpPort?: number;
  apiPort?: number;
  demo?: boolean;
  demoRate: number;
}

export function registerUpCommand(program: Command): void {
  program
    .command("up")
    .description(
      "Run the embedded pipeline: forward + HTTP inputs → durable buffer → transforms → local store",
    )
    .option("-c, --config <file>", "config file (YAML)")
    .option("-d, --data-dir <dir>", "where the buffer, store and lake files live (default: .logpipe)")
    .option("--forward-port <port>", "Fluent forward input port (0 picks a free port)", portOption)
    .option("--http-port <port>", "HTTP input port (0 picks a free port)", portOption)
    .option("--api-port <port>", "local API port (0 picks a free port)", portOption)
    .option("--demo", "also send realistic demo traffic from several services")
    .option("--demo-rate <n>", "demo requests per second", (v) => Number(v), 20)
    .action(async (options: UpOptions) => {
      const config = await loadLogpipeConfig(options.config);
      if (options.dataDir) config.data_dir = options.dataDir;
      if (options.forwardPort !== undefined) config.inputs.forward.port = options.forwardPort;
      if (options.httpPort !== undefined) config.inputs.http.port = options.httpPort;
      if (options.apiPort !== undefined) config.api.port = options.apiPort;

      // Loaded here, not at start-up, so every other command starts fast.
      const { startEmbeddedStack } = await import("../stack/embedded.js");
      const stack = await startEmbeddedStack(config, logLine);
      const lines = ["logpipe is up"];
      for (const input of stack.inputs) {
        // The HTTP input is shown with its path: that is the URL clients POST to.
        const where =
          input.name === "http" ? `${input.address()}${config.inputs.http.path}` : input.address();
        lines.push(`  ${input.name.padEnd(14)} ${where}`);
      }
      lines.push(`  ${"api".padEnd(14)} ${stack.api.address()}`, `  ${"data".padEnd(14)} ${stack.dataDir}`);
      process.stdout.write(`${lines.join("\n")}\n`);

      let demo: import("../demo/sender.js").DemoSender | undefined;
      if (options.demo) {
        const forward = stack.inputs.find((i) => i.name === "forward")?.address();
        if (!forward) throw new Error("--demo needs the forward input enabled");
        const url = new URL(forward);
        const { DemoSender } = await import("../demo/sender.js");
        demo = new DemoSender({
          host: url.hostname,
          port: Number(url.port),
          rate: options.demoRate,
          ...(config.inputs.forward.shared_key ? { sharedKey: config.inputs.forward.shared_key } : {}),
        });
        demo.start();
        process.stdout.write(
          [
            `  demo traffic   ~${options.demoRate} requests/s from gateway, auth, checkout, inventory, payments, search`,
            "",
            "Try, in another terminal:",
            `  ./logpipe search 'level:error' --since 15m`,
            `  ./logpipe search 'service:payments and http.status >= 500'`,
            `  ./logpipe sql "SELECT service, level, count(*) AS n FROM logs GROUP BY ALL ORDER BY n DESC"`,
            "  ./logpipe tail 'service:checkout'",
            "",
          ].join("\n"),
        );
      }
      process.stdout.write("Ctrl-C stops it (what is buffered is flushed first).\n");

      const signal = await waitForStopSignal();
      process.stderr.write(`${signal}: flushing and stopping\n`);
      await demo?.shutdown(2_000);
      await stack.shutdown();
      process.stdout.write("logpipe stopped\n");
    });
}
