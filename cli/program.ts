import { Command, CommanderError } from "commander";
import { ConfigError } from "../core/config/index.js";
import { registerCommands } from "./commands/index.js";

/** Exit status for usage errors (unknown command, bad option), as POSIX tools do. */
export const EXIT_USAGE = 2;

export function buildProgram(): Command {
  const program = new Command("logpipe")
    .description("A log pipeline for microservices on AWS that also runs embedded on one machine.")
    .version("0.1.0")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      // One line per usage error: commander's message already names the command or option.
      outputError: (text, write) => write(`${text.trim().split("\n")[0]}\n`),
    });
  registerCommands(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === "commander.helpDisplayed" ||
        error.code === "commander.version" ||
        error.code === "commander.help"
      )
        return 0;
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (error instanceof ConfigError) {
      // Config errors already name the file, the path and the expectation, one per line.
      process.stderr.write(`${error.lines.join("\n")}\n`);
      return 1;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") {
      const { address, port } = error as NodeJS.ErrnoException & { address?: string; port?: number };
      process.stderr.write(
        `logpipe: ${address ?? "the address"}:${port ?? "?"} is already in use; choose another port (0 picks a free one)\n`,
      );
      return 1;
    }
    process.stderr.write(`logpipe: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
