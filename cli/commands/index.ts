import type { Command } from "commander";

/** Every subcommand registers itself here; `cli/main.ts` stays free of command details. */
export function registerCommands(program: Command): void {
  void program;
}
