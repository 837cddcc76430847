import type { Command } from "commander";
import { registerConfigCommand } from "./config.js";
import { registerDemoCommand } from "./demo.js";
import { registerDlqCommands } from "./dlq.js";
import { registerForwardCommand } from "./forward.js";
import { registerLakeCommands } from "./lake.js";
import { registerOpenSearchCommands } from "./opensearch.js";
import { registerQueryCommands } from "./query.js";
import { registerUpCommand } from "./up.js";

/** Every subcommand registers itself here; `cli/main.ts` stays free of command details. */
export function registerCommands(program: Command): void {
  registerUpCommand(program);
  registerQueryCommands(program);
  registerForwardCommand(program);
  registerDlqCommands(program);
  registerDemoCommand(program);
  registerOpenSearchCommands(program);
  registerLakeCommands(program);
  registerConfigCommand(program);
}
