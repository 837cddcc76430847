import type { Logger } from "../core/log.js";

/** Resolves on the first SIGINT or SIGTERM, naming it; later signals are left to the default. */
export function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      resolve(signal);
    };
    const onInt = () => stop("SIGINT");
    const onTerm = () => stop("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
  });
}

/** The CLI's `Logger`: one line per message on stderr, for every component it wires. */
export const logLine: Logger = (level, message, fields) => {
  const extra = fields ? ` ${JSON.stringify(fields)}` : "";
  process.stderr.write(`${new Date().toISOString()} ${level} ${message}${extra}\n`);
};
