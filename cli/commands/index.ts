import type { Command } from "commander";
import { registerConfigCommand } from "./config.js";

/** Every subcommand registers itself here; `cli/main.ts` stays free of command details. */
export function registerCommands(program: Command): void {
  registerConfigCommand(program);
}
