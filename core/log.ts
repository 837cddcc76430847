/** Severity of a diagnostic line the pipeline writes about itself (not of the events it carries). */
export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * How components report about themselves: injected, never a global, and never called per event
 * on the hot path (count in a metric instead).
 */
export type Logger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;
