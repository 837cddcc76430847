import type { LogEvent } from "../../../core/event/schema.js";
import { CLOUDWATCH_LOGS } from "../../../core/limits.js";
import type { TemplateField } from "./config.js";

export type NameKind = "group" | "stream";
export type TemplateDefaults = Partial<Record<Exclude<TemplateField, "date">, string>>;

type Part = string | { field: TemplateField };

/** A compiled name template: renders a sanitized log group or stream name for an event. */
export type NameTemplate = (event: LogEvent) => string;

function parse(template: string): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const match of template.matchAll(/\{([^{}]*)\}/g)) {
    if (match.index > last) parts.push(template.slice(last, match.index));
    parts.push({ field: match[1] as TemplateField });
    last = match.index + match[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  return parts;
}

function fieldValue(event: LogEvent, field: TemplateField, defaults: TemplateDefaults): string {
  if (field === "date") {
    const time = event["@timestamp"];
    return typeof time === "string" && /^\d{4}-\d{2}-\d{2}/.test(time) ? time.slice(0, 10) : "unknown";
  }
  const value = event[field];
  if (typeof value === "string" && value.length > 0) return value;
  return defaults[field] ?? "unknown";
}

/** Cuts to `max` UTF-16 units without splitting a surrogate pair. */
function cut(value: string, max: number): string {
  if (value.length <= max) return value;
  const code = value.charCodeAt(max - 1);
  return value.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/**
 * Makes a name CloudWatch Logs accepts. Group names allow only `[A-Za-z0-9._/#-]` and may not start
 * with the reserved `aws/`; stream names allow anything but `:` and `*`. Both are 1–512 characters.
 * Each disallowed character becomes `_`, so different sources stay distinguishable.
 */
export function sanitizeName(kind: NameKind, raw: string): string {
  let name =
    kind === "group"
      ? raw.replace(/[^A-Za-z0-9._/#-]/gu, "_")
      : // Lone surrogates cannot be encoded in the request; control characters only cause trouble.
        raw.replace(/[:*\p{Cc}]|\p{Cs}/gu, "_");
  if (kind === "group" && name.toLowerCase().startsWith("aws/")) name = `_${name}`;
  name = cut(
    name,
    kind === "group" ? CLOUDWATCH_LOGS.LOG_GROUP_NAME_MAX_LENGTH : CLOUDWATCH_LOGS.LOG_STREAM_NAME_MAX_LENGTH,
  );
  return name.length === 0 ? "_" : name;
}

export function compileTemplate(kind: NameKind, template: string, defaults: TemplateDefaults): NameTemplate {
  const parts = parse(template);
  if (parts.every((p) => typeof p === "string")) {
    const fixed = sanitizeName(kind, parts.join(""));
    return () => fixed;
  }
  return (event) => {
    let out = "";
    for (const part of parts)
      out += typeof part === "string" ? part : fieldValue(event, part.field, defaults);
    return sanitizeName(kind, out);
  };
}
