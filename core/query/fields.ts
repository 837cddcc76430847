import { type FieldKind, SCHEMA_FIELDS, type SchemaField } from "../event/schema.js";
import { QueryFieldError } from "./errors.js";

/**
 * What a field name in a query refers to, read from the LogEvent schema (never a hand-kept
 * list). Rules, in order:
 *
 * 1. A bare value (no field) searches the default full-text field, `message`.
 * 2. Aliases: `timestamp` is `@timestamp`.
 * 3. A schema field by its dotted path: `level`, `http.status`; a group alone (`http`) names
 *    the whole group (only `http:*` makes sense for it).
 * 3b. A group member by its own name, when no other field has that name: `status` is
 *    `http.status`, `path` is `http.path` (what people type in Dashboards; an attrs key of
 *    the same name is still `attrs.path`).
 * 4. `attrs.<key>` is the key `<key>` of the flat attrs map. Keys are dotted strings, so
 *    `attrs.user.id` is the key `user.id`. `attrs` alone is the whole map.
 * 5. Any other name is an attrs key as typed: `user_id:42` means `attrs.user_id:42`, because
 *    unknown fields of an event are kept in attrs and users search them without knowing that.
 *    `http.foo` (not in the schema) is therefore the attrs key `http.foo`.
 */

export type ScalarKind = Exclude<FieldKind, "group" | "flat_map">;

/** A real column (or struct member): `level`, `@timestamp`, `http.status`. */
export interface ColumnField {
  type: "column";
  /** Dotted path, as OpenSearch names it. */
  path: string;
  /** Path segments, as SQL addresses the column and its struct members. */
  segments: string[];
  kind: ScalarKind;
  /** False only for fields every event has, so SQL can skip NULL handling. */
  nullable: boolean;
}

/** One key of the attrs map; values are always strings. */
export interface AttrField {
  type: "attr";
  /** The attrs column, e.g. `attrs`. */
  column: string;
  /** The map key, e.g. `user.id`. */
  key: string;
  /** `attrs.user.id`, the OpenSearch flat_object sub-path. */
  path: string;
}

/** The attrs map as a whole. */
export interface AttrsMapField {
  type: "attrs";
  column: string;
}

/** A group of fields, e.g. `http`. */
export interface GroupField {
  type: "group";
  path: string;
  children: ColumnField[];
}

export type ResolvedField = ColumnField | AttrField | AttrsMapField | GroupField;

/** The field a bare value searches. */
export const DEFAULT_FIELD = "message";

/** Names users type out of habit, mapped to the schema's. */
export const FIELD_ALIASES: Readonly<Record<string, string>> = { timestamp: "@timestamp" };

interface FieldIndex {
  columns: Map<string, ColumnField>;
  groups: Map<string, GroupField>;
  /** Unique member names of groups: `status` → `http.status`. */
  shortNames: Map<string, string>;
  attrs: string;
}

function buildIndex(): FieldIndex {
  const columns = new Map<string, ColumnField>();
  const groups = new Map<string, GroupField>();
  let attrs: string | undefined;
  const add = (field: SchemaField, parents: string[], parentNullable: boolean) => {
    const nullable = parentNullable || !field.required;
    if (field.kind === "group") {
      const group: GroupField = { type: "group", path: field.path, children: [] };
      for (const child of field.children ?? []) {
        add(child, [...parents, field.name], nullable);
        const resolved = columns.get(child.path);
        if (resolved) group.children.push(resolved);
      }
      groups.set(field.path, group);
      return;
    }
    if (field.kind === "flat_map") {
      if (parents.length > 0) throw new Error(`flat_map field ${field.path} must be top-level`);
      attrs = field.name;
      return;
    }
    columns.set(field.path, {
      type: "column",
      path: field.path,
      segments: [...parents, field.name],
      kind: field.kind,
      nullable,
    });
  };
  for (const field of SCHEMA_FIELDS) add(field, [], false);
  if (attrs === undefined) throw new Error("the event schema has no flat_map field for attrs");
  if (columns.get(DEFAULT_FIELD)?.kind !== "text") {
    throw new Error(`the event schema has no text field ${DEFAULT_FIELD}`);
  }
  const named = new Map<string, string[]>();
  for (const c of columns.values()) {
    const name = c.segments.at(-1)!;
    named.set(name, [...(named.get(name) ?? []), c.path]);
  }
  const shortNames = new Map<string, string>();
  for (const [name, paths] of named) {
    const taken =
      columns.has(name) || groups.has(name) || name === attrs || Object.hasOwn(FIELD_ALIASES, name);
    if (paths.length === 1 && !taken) shortNames.set(name, paths[0]!);
  }
  return { columns, groups, shortNames, attrs };
}

const INDEX = buildIndex();

/** The attrs column name, from the schema. */
export const ATTRS_FIELD = INDEX.attrs;

export function resolveField(name: string | null): ResolvedField {
  // hasOwn: a field named `constructor` or `__proto__` is an attrs key, not an Object member.
  const alias = name !== null && Object.hasOwn(FIELD_ALIASES, name) ? FIELD_ALIASES[name] : undefined;
  const path = name === null ? DEFAULT_FIELD : (alias ?? INDEX.shortNames.get(name) ?? name);
  const column = INDEX.columns.get(path);
  if (column) return column;
  const group = INDEX.groups.get(path);
  if (group) return group;
  if (path === ATTRS_FIELD) return { type: "attrs", column: ATTRS_FIELD };
  const key = path.startsWith(`${ATTRS_FIELD}.`) ? path.slice(ATTRS_FIELD.length + 1) : path;
  if (key.length === 0) throw new QueryFieldError(name, `"${path}" names no attrs key`);
  return { type: "attr", column: ATTRS_FIELD, key, path: `${ATTRS_FIELD}.${key}` };
}

/** Every field a query can name directly, for help text and completion. */
export function queryableFields(): Array<{ path: string; kind: ScalarKind }> {
  return [...INDEX.columns.values()].map((c) => ({ path: c.path, kind: c.kind }));
}
