import { LEVELS, type Level } from "../../core/event/schema.js";
import type { Threshold } from "./config.js";

export type { Level } from "../../core/event/schema.js";

/** pino's numbers, which the ranks follow so a threshold compares the same way in both. */
export const LEVEL_RANK: Readonly<Record<Threshold, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

const KNOWN: ReadonlySet<string> = new Set(LEVELS);

export function isLevel(value: unknown): value is Level {
  return typeof value === "string" && KNOWN.has(value);
}

/**
 * A pino record's level: the numbers 10–60 (values in between round down, anything at or above
 * 60 is fatal, anything below 20 is trace), or a label when the application's formatter writes
 * labels. Undefined for anything else.
 */
export function levelFromPino(value: unknown): Level | undefined {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return undefined;
    if (value >= 60) return "fatal";
    if (value < 20) return "trace";
    return LEVELS[Math.floor(value / 10) - 1];
  }
  if (typeof value === "string") {
    const lower = value.trim().toLowerCase();
    if (KNOWN.has(lower)) return lower as Level;
    if (lower === "warning") return "warn";
    if (lower === "err") return "error";
  }
  return undefined;
}
