import { readFile, stat } from "node:fs/promises";
import type { z } from "zod";
import { ConfigError } from "./errors.js";
import { parseConfigText } from "./parse.js";

/** Far above any real config; a larger file is a mistake (wrong path) or hostile. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/**
 * Reads, parses and validates a YAML config file. Every failure, including an unreadable file,
 * is a {@link ConfigError} whose lines name the file as given.
 */
export async function loadConfigFile<S extends z.ZodType>(path: string, schema: S): Promise<z.output<S>> {
  let text: string;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw fileProblem(path, "is a directory, not a config file");
    if (info.size > MAX_CONFIG_FILE_BYTES) {
      throw fileProblem(
        path,
        `config file is too large (${info.size} bytes; at most ${MAX_CONFIG_FILE_BYTES} bytes)`,
      );
    }
    text = await readFile(path, "utf8");
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw fileProblem(path, readFailure(error), error);
  }
  return parseConfigText(text, path, schema);
}

function fileProblem(file: string, message: string, cause?: unknown): ConfigError {
  return new ConfigError(file, [{ kind: "file", file, path: [], message }], cause ? { cause } : undefined);
}

function readFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      return "config file not found";
    case "EACCES":
    case "EPERM":
      return "cannot read config file: permission denied";
    default:
      return `cannot read config file: ${error instanceof Error ? error.message : String(error)}`;
  }
}
