import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { z } from "zod";
import { ConfigError, type ConfigIssue, type ConfigPath } from "./errors.js";
import { describeIssues } from "./issues.js";

/**
 * Parses and validates config text. `file` is only used in messages, so callers pass the path
 * as the user typed it. An empty document (or one with only comments) is an empty mapping, so
 * every default applies. Throws {@link ConfigError} listing every problem found.
 */
export function parseConfigText<S extends z.ZodType>(text: string, file: string, schema: S): z.output<S> {
  const lineCounter = new LineCounter();
  let document: Document.Parsed;
  let data: unknown;
  try {
    document = parseDocument(text, { lineCounter, uniqueKeys: true });
    const yamlProblems = [...document.errors, ...document.warnings];
    if (yamlProblems.length > 0) {
      throw new ConfigError(
        file,
        yamlProblems.map((problem) => syntaxIssue(file, problem.code, problem.message, problem.linePos?.[0])),
      );
    }
    data = document.toJS() ?? {};
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    // The parser itself can give up on hostile input (alias bombs, absurd nesting).
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigError(file, [{ kind: "syntax", file, path: [], message }], { cause: error });
  }

  const result = schema.safeParse(data, { reportInput: true });
  if (result.success) return result.data;

  const issues: ConfigIssue[] = describeIssues(result.error.issues, schema).map((described) => {
    const line = lineOf(document, lineCounter, described.path, described.missing);
    return {
      kind: "schema",
      file,
      path: described.path,
      message: described.message,
      ...(line !== undefined ? { line } : {}),
    };
  });
  // Top-to-bottom reads best; problems with no position (missing top-level keys) go last.
  const ordered = issues
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) || a.index - b.index)
    .map(({ issue }) => issue);
  throw new ConfigError(file, ordered, { cause: result.error });
}

function syntaxIssue(
  file: string,
  code: string,
  message: string,
  position: { line: number; col: number } | undefined,
): ConfigIssue {
  const text =
    code === "MULTIPLE_DOCS"
      ? "a config file holds one YAML document, but a second one starts here"
      : message.replace(/ at line \d+, column \d+:[\s\S]*$/, "");
  return {
    kind: "syntax",
    file,
    path: [],
    message: text,
    ...(position ? { line: position.line, column: position.col } : {}),
  };
}

/**
 * The line of the key (or sequence item) at `path`. For a missing key, the line of its nearest
 * present ancestor key, since that is where it has to be added; nothing for the top level.
 */
function lineOf(
  document: Document.Parsed,
  lineCounter: LineCounter,
  path: ConfigPath,
  missing: boolean,
): number | undefined {
  let node: unknown = document.contents;
  let offset: number | undefined;
  let found = 0;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(document);
    let next: { at: number | undefined; node: unknown } | undefined;
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (pair) next = { at: (pair.key as Node).range?.[0], node: pair.value };
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment] as Node | undefined;
      if (item) next = { at: item.range?.[0], node: item };
    }
    if (!next) break;
    offset = next.at;
    node = next.node;
    found++;
  }
  if (offset === undefined) return undefined;
  if (found < path.length && !missing) return undefined;
  return lineCounter.linePos(offset).line;
}
