import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { loadLogpipeConfig } from "../config.js";
import { logLine } from "../signals.js";

export function registerDlqCommands(program: Command): void {
  const dlq = program.command("dlq").description("Inspect and replay dead-lettered events");

  dlq
    .command("list")
    .description("List dead-letter files and how many events each holds")
    .option("-d, --data-dir <dir>", "data directory", ".logpipe")
    .action(async (options: { dataDir: string }) => {
      const dir = join(resolve(options.dataDir), "dead-letter");
      const files = await readdir(dir).catch(() => [] as string[]);
      for (const file of files.filter((f) => f.endsWith(".ndjson")).sort()) {
        const lines = (await readFile(join(dir, file), "utf8")).split("\n").filter(Boolean).length;
        process.stdout.write(`${file}\t${lines}\n`);
      }
    });

  dlq
    .command("replay")
    .description("Send dead-lettered events to their output again (after fixing what refused them)")
    .requiredOption("-c, --config <file>", "config file with the `outputs` section")
    .option("-d, --data-dir <dir>", "data directory (default: the config's data_dir)")
    .option("--output <name>", "only this output (cloudwatch_logs, firehose)")
    .option(
      "--max-elapsed-ms <ms>",
      "how long to keep retrying events that fail again",
      (v) => Number(v),
      60_000,
    )
    .action(async (options: { config: string; dataDir?: string; output?: string; maxElapsedMs: number }) => {
      const config = await loadLogpipeConfig(options.config);
      const [
        { DeadLetterWriter },
        { replayDeadLetters },
        { MetricsRegistry },
        { createTransformer },
        { createOutputs },
      ] = await Promise.all([
        import("../../collectors/dead-letter/dead-letter.js"),
        import("../../collectors/dead-letter/replay.js"),
        import("../../core/metrics.js"),
        import("../../processors/transforms/index.js"),
        import("../stack/outputs.js"),
      ]);
      const dataDir = resolve(options.dataDir ?? config.data_dir);
      const metrics = new MetricsRegistry();
      const outputs = createOutputs(config.outputs, { metrics, log: logLine });
      const names = options.output ? [options.output] : [...outputs.keys()];
      const writer = new DeadLetterWriter(join(dataDir, "dead-letter"), metrics);
      const transform = createTransformer(config.transforms, { metrics });
      for (const name of names) {
        const sink = outputs.get(name);
        if (!sink)
          throw new Error(
            `no output "${name}" in ${options.config} (have: ${[...outputs.keys()].join(", ")})`,
          );
        await sink.start();
        try {
          const summary = await replayDeadLetters({
            dir: join(dataDir, "dead-letter"),
            output: sink.name,
            sink,
            transform: (r) => transform(r),
            writer,
            maxElapsedMs: options.maxElapsedMs,
          });
          process.stdout.write(`${JSON.stringify({ output: name, ...summary })}\n`);
          if (summary.keptForLater > 0 || summary.deadLetteredAgain > 0) process.exitCode = 1;
        } finally {
          await sink.shutdown();
        }
      }
    });
}
