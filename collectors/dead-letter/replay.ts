import { mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { IncomingRecord } from "../../core/event/incoming.js";
import type { LogEvent } from "../../core/event/schema.js";
import { retry } from "../../core/retry.js";
import type { Sink } from "../../core/stage.js";
import type { TransformResult } from "../../processors/transforms/index.js";
import type { DeadLetter, DeadLetterWriter } from "./dead-letter.js";

export interface ReplaySummary {
  files: number;
  letters: number;
  delivered: number;
  /** Refused again: written back as new dead letters with the new reason. */
  deadLetteredAgain: number;
  /** Records the transforms now drop on purpose (e.g. a level filter): counted, as the pump does, not written back. */
  droppedOnPurpose: number;
  /** Still retryable when the time budget ran out: written back unchanged. */
  keptForLater: number;
  /** Lines that were not dead letters at all (kept in the `unreadable` report). */
  unreadable: number;
}

class PendingError extends Error {
  override name = "PendingError";
}

function parseLetter(line: string): DeadLetter | undefined {
  try {
    const value = JSON.parse(line) as DeadLetter;
    if (typeof value !== "object" || value === null || typeof value.output !== "string") return undefined;
    return value;
  } catch {
    return undefined;
  }
}

/**
 * Sends the dead letters of one output again. Each file is first moved aside, so a crash
 * mid-replay leaves it in `replaying/` to be picked up by the next run rather than lost;
 * whatever is refused again, or is still failing when the budget ends, is written back as
 * dead letters before the moved file is removed.
 */
export async function replayDeadLetters(options: {
  dir: string;
  output: string;
  sink: Sink<LogEvent>;
  transform: (record: IncomingRecord) => TransformResult;
  writer: DeadLetterWriter;
  maxElapsedMs?: number;
  batchSize?: number;
}): Promise<ReplaySummary> {
  const summary: ReplaySummary = {
    files: 0,
    letters: 0,
    delivered: 0,
    deadLetteredAgain: 0,
    droppedOnPurpose: 0,
    keptForLater: 0,
    unreadable: 0,
  };
  const aside = join(options.dir, "replaying");
  await mkdir(aside, { recursive: true });
  const safeName = options.output.replace(/[^A-Za-z0-9_.-]/g, "_");
  const fresh = (await readdir(options.dir)).filter(
    (f) => f.startsWith(`${safeName}-`) && f.endsWith(".ndjson"),
  );
  for (const file of fresh) await rename(join(options.dir, file), join(aside, `${Date.now()}-${file}`));
  const files = (await readdir(aside)).filter((f) => f.includes(`${safeName}-`) && f.endsWith(".ndjson"));

  for (const file of files) {
    summary.files++;
    const path = join(aside, file);
    const lines = (await readFile(path, "utf8")).split("\n").filter((l) => l.trim());
    const letters: DeadLetter[] = [];
    const unreadable: Omit<DeadLetter, "time">[] = [];
    for (const line of lines) {
      const letter = parseLetter(line);
      if (letter) letters.push(letter);
      else {
        summary.unreadable++;
        unreadable.push({
          output: options.output,
          stage: "sending",
          code: "unreadable_dead_letter",
          reason: "not a dead-letter line",
          event: line,
        });
      }
    }
    summary.letters += letters.length;

    const writeBack: Omit<DeadLetter, "time">[] = [...unreadable];
    const events: { event: LogEvent; letter: DeadLetter }[] = [];
    for (const letter of letters) {
      if (letter.stage === "processing") {
        const outcome = options.transform(letter.event as IncomingRecord);
        if (outcome.ok) events.push({ event: outcome.event, letter });
        else if (outcome.intentional) summary.droppedOnPurpose++;
        else writeBack.push({ ...letter, code: outcome.code, reason: outcome.reason });
      } else {
        events.push({ event: letter.event as LogEvent, letter });
      }
    }
    summary.deadLetteredAgain += writeBack.length - unreadable.length;

    const batchSize = options.batchSize ?? 1_000;
    for (let start = 0; start < events.length; start += batchSize) {
      let pending = events.slice(start, start + batchSize);
      try {
        await retry(
          async () => {
            const outcomes = await options.sink.write(pending.map((p) => p.event));
            const again: typeof pending = [];
            pending.forEach((item, i) => {
              const outcome = outcomes[i];
              if (outcome?.status === "accepted") summary.delivered++;
              else if (outcome?.status === "rejected") {
                summary.deadLetteredAgain++;
                writeBack.push({
                  ...item.letter,
                  stage: "sending",
                  event: item.event,
                  code: outcome.code,
                  reason: outcome.reason,
                });
              } else again.push(item);
            });
            pending = again;
            if (pending.length > 0) throw new PendingError(`${pending.length} events still failing`);
          },
          {
            classify: () => ({ kind: "retryable" }),
            maxElapsedMs: options.maxElapsedMs ?? 60_000,
            maxAttempts: Number.POSITIVE_INFINITY,
          },
        );
      } catch {
        for (const item of pending) {
          summary.keptForLater++;
          writeBack.push({ ...item.letter, event: item.event });
        }
      }
    }
    await options.writer.write(writeBack);
    await rm(path);
  }
  return summary;
}
