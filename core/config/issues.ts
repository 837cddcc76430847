import type { z } from "zod";
import type { ConfigPath } from "./errors.js";

type ZodIssue = z.core.$ZodIssue;

/** A schema problem in words, before it is placed in a file. */
export interface DescribedIssue {
  path: ConfigPath;
  message: string;
  /** The key is absent: the nearest present ancestor is the best position to point at. */
  missing: boolean;
}

/**
 * Turns zod issues (parsed with `reportInput: true`, so each carries the offending value) into
 * messages that say what was expected and what was found. `schema` is the schema that was
 * parsed; it supplies the allowed keys for unknown-key messages, which zod does not report.
 */
export function describeIssues(issues: readonly ZodIssue[], schema: z.core.$ZodType): DescribedIssue[] {
  const described: DescribedIssue[] = [];
  for (const issue of issues) describeIssue(issue, toPath(issue.path), schema, described);
  return described;
}

function describeIssue(
  issue: ZodIssue,
  path: ConfigPath,
  root: z.core.$ZodType,
  out: DescribedIssue[],
): void {
  switch (issue.code) {
    case "invalid_type": {
      const expected = typeName(issue.expected);
      if (issue.input === undefined)
        out.push({ path, message: `missing required key (expected ${expected})`, missing: true });
      else
        out.push({
          path,
          message: `expected ${expected}, got ${describeValue(issue.input)}`,
          missing: false,
        });
      return;
    }
    case "unrecognized_keys": {
      const allowed = allowedKeys(root, path, issue.input);
      const hint = allowed.length > 0 ? ` (expected one of: ${allowed.join(", ")})` : "";
      for (const key of issue.keys)
        out.push({ path: [...path, key], message: `unknown key${hint}`, missing: false });
      return;
    }
    case "invalid_value": {
      out.push(withInput(path, `expected ${oneOf(issue.values)}`, issue.input));
      return;
    }
    case "too_big":
    case "too_small": {
      out.push(withInput(path, boundMessage(issue), issue.input, measure(issue.origin, issue.input)));
      return;
    }
    case "invalid_format": {
      out.push(withInput(path, `expected ${formatName(issue)}`, issue.input));
      return;
    }
    case "not_multiple_of": {
      out.push(withInput(path, `expected a multiple of ${issue.divisor}`, issue.input));
      return;
    }
    case "invalid_union": {
      describeUnion(issue, path, root, out);
      return;
    }
    case "invalid_key": {
      const first = issue.issues[0];
      const detail = first ? describeNested(first, root) : issue.message;
      out.push({ path, message: `invalid key: ${detail}`, missing: false });
      return;
    }
    case "invalid_element": {
      for (const nested of issue.issues) describeIssue(nested, [...path, ...toPath(nested.path)], root, out);
      return;
    }
    default:
      // Refinements: their authors wrote the message for people already.
      out.push({ path, message: issue.message, missing: false });
  }
}

function describeNested(issue: ZodIssue, root: z.core.$ZodType): string {
  const nested: DescribedIssue[] = [];
  describeIssue(issue, [], root, nested);
  return nested[0]?.message ?? issue.message;
}

function describeUnion(
  issue: Extract<ZodIssue, { code: "invalid_union" }>,
  path: ConfigPath,
  root: z.core.$ZodType,
  out: DescribedIssue[],
): void {
  // Discriminated union with an unknown tag: zod already points the path at the tag.
  if (issue.discriminator !== undefined && "options" in issue && issue.options) {
    const input = isRecord(issue.input) ? issue.input[issue.discriminator] : undefined;
    const expected = `expected ${oneOf(issue.options)}`;
    if (input === undefined) out.push({ path, message: `missing required key (${expected})`, missing: true });
    else out.push({ path, message: `${expected}, got ${describeValue(input)}`, missing: false });
    return;
  }
  if (issue.errors.length === 0) {
    out.push({ path, message: issue.message, missing: false });
    return;
  }
  // Report the option the value came closest to: one whose type and tag matched, with the
  // fewest remaining problems. If none matched even in shape, list what would have.
  const candidates = issue.errors.filter((errors) => !errors.some(isShapeMismatch));
  if (candidates.length > 0) {
    const best = candidates.reduce((a, b) => (b.length < a.length ? b : a));
    for (const nested of best) describeIssue(nested, [...path, ...toPath(nested.path)], root, out);
    return;
  }
  const kinds = new Set<string>();
  const values: z.core.util.Primitive[] = [];
  for (const errors of issue.errors) {
    for (const nested of errors) {
      if (nested.path.length > 0) continue;
      if (nested.code === "invalid_type") kinds.add(typeName(nested.expected));
      else if (nested.code === "invalid_value") values.push(...nested.values);
    }
  }
  const expected = [...kinds, ...(values.length > 0 ? [oneOf(values)] : [])].join(" or ");
  if (expected === "") out.push({ path, message: issue.message, missing: false });
  else if (issue.input === undefined)
    out.push({ path, message: `missing required key (expected ${expected})`, missing: true });
  else out.push({ path, message: `expected ${expected}, got ${describeValue(issue.input)}`, missing: false });
}

/** The value is not even the kind of thing this union option describes. */
function isShapeMismatch(issue: ZodIssue): boolean {
  if (issue.path.length === 0) return issue.code === "invalid_type" || issue.code === "invalid_value";
  // A literal tag field (`type: a`) that does not match means a different option was meant.
  return issue.path.length === 1 && issue.code === "invalid_value" && issue.values.length === 1;
}

function withInput(path: ConfigPath, expected: string, input: unknown, got?: string): DescribedIssue {
  if (input === undefined) return { path, message: expected, missing: false };
  return { path, message: `${expected}, got ${got ?? describeValue(input)}`, missing: false };
}

function boundMessage(issue: Extract<ZodIssue, { code: "too_big" | "too_small" }>): string {
  const big = issue.code === "too_big";
  const bound = big ? issue.maximum : issue.minimum;
  const relation = issue.exact
    ? "exactly"
    : big
      ? issue.inclusive === false
        ? "less than"
        : "at most"
      : issue.inclusive === false
        ? "more than"
        : "at least";
  switch (issue.origin) {
    case "string":
      return `expected ${relation} ${bound} character${bound === 1 ? "" : "s"}`;
    case "array":
    case "set":
      return `expected ${relation} ${bound} item${bound === 1 ? "" : "s"}`;
    case "number":
    case "int":
    case "bigint":
      return `expected a number ${relation} ${bound}`;
    default:
      return `expected ${relation} ${String(bound)}`;
  }
}

function measure(origin: string, input: unknown): string | undefined {
  if (origin === "string" && typeof input === "string") return `${input.length}`;
  if ((origin === "array" || origin === "set") && Array.isArray(input)) return `${input.length}`;
  return undefined;
}

function formatName(issue: Extract<ZodIssue, { code: "invalid_format" }>): string {
  const extra = issue as { prefix?: string; suffix?: string; includes?: string };
  switch (issue.format) {
    case "regex":
      return `a string matching ${issue.pattern ?? "the pattern"}`;
    case "starts_with":
      return `a string starting with ${JSON.stringify(extra.prefix)}`;
    case "ends_with":
      return `a string ending with ${JSON.stringify(extra.suffix)}`;
    case "includes":
      return `a string containing ${JSON.stringify(extra.includes)}`;
    default:
      return `a valid ${issue.format}`;
  }
}

function typeName(expected: string): string {
  switch (expected) {
    case "int":
      return "integer";
    case "record":
      return "object";
    default:
      return expected;
  }
}

function oneOf(values: readonly z.core.util.Primitive[]): string {
  const shown = values.map((value) => (typeof value === "string" ? JSON.stringify(value) : String(value)));
  return shown.length === 1 ? (shown[0] ?? "") : `one of ${shown.join(", ")}`;
}

const MAX_SHOWN_STRING = 60;

/** The kind of value found, and the value itself when it is short enough to quote. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  switch (typeof value) {
    case "string": {
      const shown = value.length > MAX_SHOWN_STRING ? `${value.slice(0, MAX_SHOWN_STRING)}…` : value;
      return `string ${JSON.stringify(shown)}`;
    }
    case "number":
    case "bigint":
      return `number ${String(value)}`;
    case "boolean":
      return `boolean ${String(value)}`;
    case "object":
      return "object";
    default:
      return typeof value;
  }
}

function toPath(path: readonly PropertyKey[]): ConfigPath {
  return path.map((segment) => (typeof segment === "symbol" ? String(segment) : segment));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

interface LooseDef {
  type: string;
  [key: string]: unknown;
}

function defOf(schema: z.core.$ZodType): LooseDef {
  return schema._zod.def as unknown as LooseDef;
}

const WRAPPERS = new Set(["default", "prefault", "optional", "nullable", "catch", "readonly", "nonoptional"]);

/** The schemas that can describe the value at `path`, looking through wrappers and unions. */
function schemasAt(schema: z.core.$ZodType, path: ConfigPath, depth = 0): z.core.$ZodType[] {
  if (depth > 64) return [];
  const def = defOf(schema);
  if (WRAPPERS.has(def.type)) return schemasAt(def["innerType"] as z.core.$ZodType, path, depth + 1);
  if (def.type === "pipe") return schemasAt(def["in"] as z.core.$ZodType, path, depth + 1);
  if (def.type === "lazy") return schemasAt((def["getter"] as () => z.core.$ZodType)(), path, depth + 1);
  if (def.type === "union") {
    return (def["options"] as z.core.$ZodType[]).flatMap((option) => schemasAt(option, path, depth + 1));
  }
  if (def.type === "intersection") {
    return [def["left"], def["right"]].flatMap((side) => schemasAt(side as z.core.$ZodType, path, depth + 1));
  }
  const [head, ...rest] = path;
  if (head === undefined) return [schema];
  switch (def.type) {
    case "object": {
      const shape = def["shape"] as Record<string, z.core.$ZodType>;
      const child = typeof head === "string" && Object.hasOwn(shape, head) ? shape[head] : undefined;
      return child ? schemasAt(child, rest, depth + 1) : [];
    }
    case "array":
      return schemasAt(def["element"] as z.core.$ZodType, rest, depth + 1);
    case "record":
      return schemasAt(def["valueType"] as z.core.$ZodType, rest, depth + 1);
    case "tuple": {
      const items = def["items"] as z.core.$ZodType[];
      const item = typeof head === "number" ? (items[head] ?? (def["rest"] as z.core.$ZodType | null)) : null;
      return item ? schemasAt(item, rest, depth + 1) : [];
    }
    default:
      return [];
  }
}

/**
 * Keys the object schema(s) at `path` accept, in declaration order. When a union offers several
 * objects, those whose literal tag fields contradict `input` are left out, so a `type: a` entry
 * is told the keys of option `a` only.
 */
export function allowedKeys(schema: z.core.$ZodType, path: ConfigPath, input?: unknown): string[] {
  const shapes = schemasAt(schema, path)
    .map(defOf)
    .filter((def) => def.type === "object")
    .map((def) => def["shape"] as Record<string, z.core.$ZodType>);
  const matching = shapes.filter((shape) => tagsMatch(shape, input));
  const keys = new Set<string>();
  for (const shape of matching.length > 0 ? matching : shapes)
    for (const key of Object.keys(shape)) keys.add(key);
  return [...keys];
}

function tagsMatch(shape: Record<string, z.core.$ZodType>, input: unknown): boolean {
  if (!isRecord(input)) return true;
  for (const [key, field] of Object.entries(shape)) {
    const def = defOf(field);
    if (def.type !== "literal" || !Object.hasOwn(input, key)) continue;
    if (!(def["values"] as unknown[]).includes(input[key])) return false;
  }
  return true;
}
