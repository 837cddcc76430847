/** A key path inside a config document: mapping keys and sequence indexes. */
export type ConfigPath = ReadonlyArray<string | number>;

/**
 * One problem found in a config file.
 * - `file`: the file cannot be read at all (missing, a directory, too large).
 * - `syntax`: the text is not valid YAML.
 * - `schema`: valid YAML that does not match the config schema.
 */
export interface ConfigIssue {
  kind: "file" | "syntax" | "schema";
  file: string;
  /** Empty for `file` and `syntax` issues, and for a problem with the document as a whole. */
  path: ConfigPath;
  /** What is wrong, without file, path or position, e.g. `expected number, got string "abc"`. */
  message: string;
  /** 1-based, when the position is known. */
  line?: number;
  /** 1-based, when the position is known. */
  column?: number;
}

/**
 * Renders a path the way a user reads it in YAML: `inputs.forward.port`, `outputs[0].type`,
 * with keys that are not plain identifiers quoted (`attrs["a.b"]`).
 */
export function formatConfigPath(path: ConfigPath): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) text += text === "" ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/**
 * One line per issue, the format every config error uses:
 * `FILE: path.to.key: expected X, got Y (line N)` for schema issues,
 * `FILE:LINE:COL: YAML syntax error: …` for syntax issues, `FILE: …` for unreadable files.
 */
export function formatConfigIssue(issue: ConfigIssue): string {
  if (issue.kind === "syntax") {
    const position = issue.line !== undefined ? `:${issue.line}:${issue.column ?? 1}` : "";
    return `${issue.file}${position}: YAML syntax error: ${issue.message}`;
  }
  const path = issue.path.length > 0 ? `${formatConfigPath(issue.path)}: ` : "";
  const line = issue.line !== undefined ? ` (line ${issue.line})` : "";
  return `${issue.file}: ${path}${issue.message}${line}`;
}

/** A config file that cannot be used; `issues` says every reason found, `message` has one per line. */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly file: string;
  readonly issues: readonly ConfigIssue[];
  constructor(file: string, issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    super(issues.map(formatConfigIssue).join("\n"), options);
    this.file = file;
    this.issues = issues;
  }

  /** The formatted issues, one line each, as printed by `logpipe config check`. */
  get lines(): string[] {
    return this.issues.map(formatConfigIssue);
  }
}
