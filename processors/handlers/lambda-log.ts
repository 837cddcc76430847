import type { Logger } from "./timing.js";

/**
 * The handlers' log in Lambda: one JSON object per line on stdout, which Lambda sends to the
 * function's log group and Logs Insights parses without a pattern. Used for per-invocation
 * lines only, never per event.
 */
export function lambdaLogger(
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Logger {
  return (level, message, fields) => {
    let line: string;
    try {
      line = JSON.stringify({ level, message, ...fields });
    } catch {
      line = JSON.stringify({ level, message });
    }
    write(line);
  };
}
