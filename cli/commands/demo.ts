import type { Command } from "commander";
import { portOption, positiveIntOption } from "../options.js";

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("Send realistic demo traffic to a forward input (e.g. a running `logpipe up`)")
    .option("--host <host>", "forward input host", "127.0.0.1")
    .option("--port <port>", "forward input port", portOption, 24224)
    .option("--rate <n>", "requests per second (each logs 2-5 events)", positiveIntOption, 20)
    .option("--requests <n>", "stop after this many requests (default: run until Ctrl-C)", positiveIntOption)
    .option("--shared-key <key>", "shared key, when the input requires the handshake")
    .action(
      async (options: {
        host: string;
        port: number;
        rate: number;
        requests?: number;
        sharedKey?: string;
      }) => {
        const { DemoSender } = await import("../demo/sender.js");
        const sender = new DemoSender({
          host: options.host,
          port: options.port,
          rate: options.rate,
          ...(options.requests === undefined ? {} : { maxRequests: options.requests }),
          ...(options.sharedKey === undefined ? {} : { sharedKey: options.sharedKey }),
        });
        sender.start();
        process.stdout.write(`sending demo traffic to ${options.host}:${options.port} (Ctrl-C stops)\n`);
        await new Promise<void>((resolve) => {
          const timer = setInterval(() => {
            if (options.requests !== undefined && sender.finished) {
              clearInterval(timer);
              resolve();
            }
          }, 200);
          process.once("SIGINT", () => {
            clearInterval(timer);
            resolve();
          });
        });
        await sender.shutdown();
        process.stdout.write(`sent ${sender.sent} events: ${sender.acked} acked, ${sender.failed} failed\n`);
        if (sender.failed > 0) process.exitCode = 1;
      },
    );
}
