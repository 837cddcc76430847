import { mkdir, open } from "node:fs/promises";
import { join } from "node:path";
import type { Counter, MetricsRegistry } from "../../core/metrics.js";

/** One undeliverable event, as it is written to the dead-letter files. */
export interface DeadLetter {
  /** Output that gave up on the event (or whose transforms could not make one). */
  output: string;
  /** `processing`: the transforms refused the raw record; `sending`: the output refused the event. */
  stage: "processing" | "sending";
  /** Short stable code, e.g. `too_old`, `mapping_conflict`, `invalid_record`. */
  code: string;
  /** Human-readable reason, as precise as the service or transform gave it. */
  reason: string;
  /** ISO time the event was dead-lettered. */
  time: string;
  /** The event (or the raw record when it never became an event). */
  event: unknown;
}

/**
 * Appends dead letters as JSON lines to `<dir>/<output>-<YYYY-MM-DD>.ndjson`, fsync'd before
 * `write` resolves: a dead letter is the last copy of an event, so it must be durable before the
 * buffer lets go of the original.
 */
export class DeadLetterWriter {
  private readonly counter: Counter;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    metrics: MetricsRegistry,
    private readonly now: () => number = Date.now,
  ) {
    this.counter = metrics.counter("logpipe_dead_letters_total", "Events written to the dead-letter files");
  }

  write(letters: readonly Omit<DeadLetter, "time">[]): Promise<void> {
    if (letters.length === 0) return Promise.resolve();
    const time = new Date(this.now()).toISOString();
    const byFile = new Map<string, string[]>();
    for (const letter of letters) {
      const file = `${letter.output.replace(/[^A-Za-z0-9_.-]/g, "_")}-${time.slice(0, 10)}.ndjson`;
      const lines = byFile.get(file) ?? [];
      lines.push(JSON.stringify({ ...letter, time }));
      byFile.set(file, lines);
    }
    // Serialised so concurrent writers never interleave partial lines.
    const run = this.chain.then(async () => {
      await mkdir(this.dir, { recursive: true });
      for (const [file, lines] of byFile) {
        const handle = await open(join(this.dir, file), "a");
        try {
          await handle.write(`${lines.join("\n")}\n`);
          await handle.sync();
        } finally {
          await handle.close();
        }
      }
      for (const letter of letters) this.counter.inc({ output: letter.output, code: letter.code });
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}
