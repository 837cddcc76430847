import type { z } from "zod";
import { ConfigError, type ConfigIssue } from "../../core/config/errors.js";
import { describeIssues } from "../../core/config/issues.js";
import { PipelineError } from "../../core/errors.js";

/** Why a chunk was not acknowledged. Every one of them is retried (within `maxRetries`). */
export type ForwarderErrorCode =
  | "connect_failed"
  | "connection_closed"
  | "handshake_failed"
  | "ack_timeout"
  | "ack_mismatch"
  | "closed";

/** A chunk the forwarder did not acknowledge. */
export class ForwarderError extends PipelineError {
  override name = "ForwarderError";
  declare readonly code: ForwarderErrorCode;
  constructor(code: ForwarderErrorCode, message: string, options?: { cause?: unknown }) {
    super("sending", code, message, options);
  }
}

/** The source named in option errors, e.g. `logger options: forwarder.port: expected number, got string "x"`. */
export const OPTIONS_SOURCE = "logger options";

/** Parses options, turning schema problems into one {@link ConfigError} that lists each of them. */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  input: unknown,
  source = OPTIONS_SOURCE,
): z.output<S> {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const issues: ConfigIssue[] = describeIssues(result.error.issues, schema).map((issue) => ({
    kind: "schema",
    file: source,
    path: issue.path,
    message: issue.message,
  }));
  throw new ConfigError(source, issues, { cause: result.error });
}
