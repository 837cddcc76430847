import type { Level } from "../../core/event/schema.js";

/**
 * Level normalisation. Every spelling maps onto the six schema levels:
 *
 * | level | spellings (case-insensitive, trimmed) |
 * |---|---|
 * | trace | trace, trc, finest, finer, verbose, v, t |
 * | debug | debug, dbg, fine, config, d |
 * | info  | info, inf, information, informational, notice, log, i, n |
 * | warn  | warn, warning, wrn, w |
 * | error | error, err, eror, severe, dpanic, e |
 * | fatal | fatal, crit, critical, alert, emerg, emergency, panic, f, c, a |
 *
 * `crit`, `alert` and `emerg` are fatal: they are the syslog severities above error, and the
 * schema has only one level above error. `dpanic` (zap) logs at error in production builds.
 *
 * Numbers (or numeric strings): 0–7 are syslog severities (0 emerg … 7 debug); 10 and up follow
 * pino/bunyan (10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal; values in between round
 * down, anything ≥ 60 is fatal). Python's numeric levels (10 DEBUG, 20 INFO, …) are one step off
 * on that scale; Python loggers emit `levelname` strings, which map exactly.
 *
 * Anything else is unknown: `normaliseLevel` returns undefined, and the transform records the
 * event as info and keeps the original value in `attrs.level_raw`.
 */
const SPELLINGS: ReadonlyMap<string, Level> = new Map<string, Level>([
  ...(["trace", "trc", "finest", "finer", "verbose", "v", "t"] as const).map((s) => [s, "trace"] as const),
  ...(["debug", "dbg", "fine", "config", "d"] as const).map((s) => [s, "debug"] as const),
  ...(["info", "inf", "information", "informational", "notice", "log", "i", "n"] as const).map(
    (s) => [s, "info"] as const,
  ),
  ...(["warn", "warning", "wrn", "w"] as const).map((s) => [s, "warn"] as const),
  ...(["error", "err", "eror", "severe", "dpanic", "e"] as const).map((s) => [s, "error"] as const),
  ...(["fatal", "crit", "critical", "alert", "emerg", "emergency", "panic", "f", "c", "a"] as const).map(
    (s) => [s, "fatal"] as const,
  ),
]);

/** Levels as they are usually written, looked up before lower-casing (the common case). */
const EXACT: ReadonlyMap<string, Level> = new Map<string, Level>(
  [...SPELLINGS].flatMap(([s, level]) => [
    [s, level],
    [s.toUpperCase(), level],
    [s[0]!.toUpperCase() + s.slice(1), level],
  ]),
);

const SYSLOG: readonly Level[] = ["fatal", "fatal", "fatal", "error", "warn", "info", "info", "debug"];
const PINO: readonly Level[] = ["trace", "debug", "info", "warn", "error", "fatal"];

function fromNumber(n: number): Level | undefined {
  if (!Number.isFinite(n) || n < 0) return undefined;
  if (n < 8) return Number.isInteger(n) ? SYSLOG[n] : undefined;
  if (n < 10) return undefined;
  return PINO[Math.min(5, Math.floor(n / 10) - 1)];
}

/** The schema level for a raw level value, or undefined when it is not a known spelling. */
export function normaliseLevel(raw: unknown): Level | undefined {
  if (typeof raw === "string") {
    const exact = EXACT.get(raw);
    if (exact !== undefined) return exact;
    const key = raw.trim().toLowerCase();
    const named = SPELLINGS.get(key);
    if (named !== undefined) return named;
    if (key.length > 0 && key.length <= 6 && /^\d+$/.test(key)) return fromNumber(Number(key));
    return undefined;
  }
  if (typeof raw === "number") return fromNumber(raw);
  return undefined;
}
