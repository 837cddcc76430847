import type { RedactConfig, RedactionKind } from "./config.js";

/**
 * Redaction of secrets and personal data in free text and attribute values. Each kind has a
 * cheap pre-check (a substring test) so the common string that holds nothing sensitive costs a
 * few `includes` calls, not a regular expression run per kind.
 *
 * Kinds, in the order they run:
 * - `jwt`: `eyJ<header>.eyJ<payload>.<signature>` (runs first so `Bearer eyJ…` counts as a JWT);
 * - `bearer`: the token after `Bearer ` (case-insensitive) when it looks like a credential: it
 *   holds a digit or one of `-._~+/`, or is 24+ characters, so prose like "Bearer authentication"
 *   stays;
 * - `aws_secret_key`: 40 base64 characters assigned to a secret-access-key name
 *   (`aws_secret_access_key=…`, `"secretAccessKey": "…"`, `AWS_SECRET_ACCESS_KEY: …`); only the
 *   value is replaced. In attrs, a value of that shape under such a key is redacted too;
 * - `aws_access_key`: `AKIA`/`ASIA` followed by 16 upper-case letters or digits;
 * - `card`: 13–19 digits, single spaces or dashes allowed between them, first digit 2–6 (every
 *   card network; epoch-millisecond timestamps start with 1), passing the Luhn check;
 * - `email`: `local@domain.tld` with an alphabetic top-level domain (`pkg@1.2.3` and
 *   `user@localhost` stay);
 * - `sensitive_field` (attrs only): the whole value of a key named like a credential;
 * - then each configured extra pattern.
 *
 * Replacements read `[REDACTED:<kind>]`; they contain no digits, `@` or base64 runs, so a later
 * kind never matches an earlier replacement.
 */

/** Redactions per kind, accumulated across calls. */
export class RedactionTally {
  counts: Record<string, number> = {};
  total = 0;
  add(kind: string, n = 1): void {
    this.counts[kind] = (this.counts[kind] ?? 0) + n;
    this.total += n;
  }
  reset(): void {
    if (this.total === 0) return;
    this.counts = {};
    this.total = 0;
  }
}

interface Rule {
  kind: string;
  /** Cheap test that must pass before the expression runs. */
  mayMatch: (s: string) => boolean;
  regex: RegExp;
  /** Builds the replacement of one match; returns the match itself to keep it. */
  replace: (tally: RedactionTally, match: string, groups: string[]) => string;
}

export function replacement(kind: string): string {
  return `[REDACTED:${kind}]`;
}

/** Luhn checksum of a digit string. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

const BEARER_CREDENTIAL = /[0-9\-._~+/]/;
const AWS_SECRET_VALUE = /^[A-Za-z0-9/+]{40}$/;
const AWS_SECRET_NAMES = new Set(["awssecretaccesskey", "secretaccesskey", "awssecretkey"]);

function simple(kind: string): Rule["replace"] {
  const text = replacement(kind);
  return (tally) => {
    tally.add(kind);
    return text;
  };
}

/**
 * One expression that matches wherever any enabled built-in kind could: strings it rejects (most
 * of them) skip every per-kind test. A card number needs 13 digits from a leading 2–6 on.
 */
function builtinGate(kinds: ReadonlySet<RedactionKind>): RegExp | undefined {
  const parts: string[] = [];
  if (kinds.has("jwt")) parts.push("eyj");
  if (kinds.has("bearer")) parts.push("bearer");
  if (kinds.has("aws_secret_key")) parts.push("secret");
  if (kinds.has("aws_access_key")) parts.push("akia", "asia");
  if (kinds.has("card")) parts.push("[2-6](?:[ -]?\\d){12}");
  if (kinds.has("email")) parts.push("@");
  return parts.length === 0 ? undefined : new RegExp(parts.join("|"), "i");
}

function builtinRules(kinds: ReadonlySet<RedactionKind>): Rule[] {
  const rules: Rule[] = [];
  if (kinds.has("jwt")) {
    rules.push({
      kind: "jwt",
      mayMatch: (s) => s.includes("eyJ"),
      regex: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g,
      replace: simple("jwt"),
    });
  }
  if (kinds.has("bearer")) {
    const text = replacement("bearer");
    rules.push({
      kind: "bearer",
      mayMatch: (s) => s.includes("earer") || s.includes("EARER"),
      regex: /(?<![A-Za-z0-9])(bearer\s+)([A-Za-z0-9\-._~+/]{8,}=*)/gi,
      replace: (tally, match, [prefix, token]) => {
        if (!BEARER_CREDENTIAL.test(token!) && token!.length < 24) return match;
        tally.add("bearer");
        return prefix + text;
      },
    });
  }
  if (kinds.has("aws_secret_key")) {
    const text = replacement("aws_secret_key");
    rules.push({
      kind: "aws_secret_key",
      mayMatch: (s) => s.includes("ecret") || s.includes("ECRET"),
      regex:
        /((?:aws_?)?secret_?access_?key|aws_?secret_?key)(\\?["']?\s*[:=]\s*\\?["']?)([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi,
      replace: (tally, _match, [name, sep]) => {
        tally.add("aws_secret_key");
        return name! + sep! + text;
      },
    });
  }
  if (kinds.has("aws_access_key")) {
    rules.push({
      kind: "aws_access_key",
      mayMatch: (s) => s.includes("AKIA") || s.includes("ASIA"),
      regex: /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g,
      replace: simple("aws_access_key"),
    });
  }
  if (kinds.has("card")) {
    const text = replacement("card");
    rules.push({
      kind: "card",
      mayMatch: (s) => s.length >= 13,
      regex: /(?<![0-9])[2-6](?:[ -]?[0-9]){12,18}(?![0-9])/g,
      replace: (tally, match) => {
        const digits = match.replace(/[ -]/g, "");
        if (!luhnValid(digits)) return match;
        tally.add("card");
        return text;
      },
    });
  }
  if (kinds.has("email")) {
    rules.push({
      kind: "email",
      mayMatch: (s) => s.includes("@"),
      regex: /[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9-])/g,
      replace: simple("email"),
    });
  }
  return rules;
}

/** Compiled redaction settings; build once with `compileRedactor`, reuse for every event. */
export interface Redactor {
  readonly enabled: boolean;
  /** `text` with every enabled kind replaced; counts go to `tally`. */
  redactText(text: string, tally: RedactionTally): string;
  /** An attribute value, also checked against its key (sensitive names, AWS secret names). */
  redactAttr(key: string, value: string, tally: RedactionTally): string;
}

function normaliseKeyName(key: string): string {
  const dot = key.lastIndexOf(".");
  return (dot >= 0 ? key.slice(dot + 1) : key).toLowerCase().replace(/[-_]/g, "");
}

/** Key classes, as bit flags; memoised because the same keys repeat in every event. */
const SENSITIVE_KEY = 1;
const AWS_SECRET_KEY = 2;

const KEY_MEMO_LIMIT = 10_000;
const MAX_PASSES = 4;

export function compileRedactor(config: RedactConfig): Redactor {
  const kinds = new Set(config.kinds);
  const rules = config.enabled ? builtinRules(kinds) : [];
  const gate = config.enabled ? builtinGate(kinds) : undefined;
  const extras: Rule[] = [];
  if (config.enabled) {
    for (const extra of config.extra_patterns) {
      const needle = extra.contains;
      extras.push({
        kind: extra.name,
        mayMatch: needle === undefined ? () => true : (s) => s.includes(needle),
        regex: new RegExp(extra.pattern, `${extra.flags}g`),
        replace: simple(extra.name),
      });
    }
  }
  const sensitive = new Set(
    config.enabled && kinds.has("sensitive_field") ? config.sensitive_fields.map(normaliseKeyName) : [],
  );
  const awsSecretByKey = config.enabled && kinds.has("aws_secret_key");
  const keyMemo = new Map<string, number>();

  const classify = (key: string): number => {
    let cls = keyMemo.get(key);
    if (cls !== undefined) return cls;
    const name = normaliseKeyName(key);
    cls =
      (sensitive.has(name) ? SENSITIVE_KEY : 0) |
      (awsSecretByKey && AWS_SECRET_NAMES.has(name) ? AWS_SECRET_KEY : 0);
    if (keyMemo.size >= KEY_MEMO_LIMIT) keyMemo.clear();
    keyMemo.set(key, cls);
    return cls;
  };

  const apply = (rule: Rule, text: string, tally: RedactionTally): string => {
    if (!rule.mayMatch(text)) return text;
    return text.replace(rule.regex, (match: string, ...rest: unknown[]) => {
      const groups: string[] = [];
      for (const g of rest) {
        if (typeof g !== "string" && g !== undefined) break;
        groups.push(g ?? "");
      }
      return rule.replace(tally, match, groups);
    });
  };

  const redactText = (text: string, tally: RedactionTally): string => {
    let out = text;
    // A replacement can uncover a neighbour that its context hid (`4111…1111Bearer x` only reads
    // as a bearer token once the card number is gone), so passes repeat while they find
    // something; the result is then stable when redacted again.
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const before = tally.total;
      if (gate?.test(out)) for (const rule of rules) out = apply(rule, out, tally);
      for (const rule of extras) out = apply(rule, out, tally);
      if (tally.total === before) break;
    }
    return out;
  };

  const enabled = rules.length > 0 || extras.length > 0 || sensitive.size > 0;
  return {
    enabled,
    redactText: enabled ? redactText : (text) => text,
    redactAttr(key, value, tally) {
      if (!enabled) return value;
      if (value.length > 0 && (sensitive.size > 0 || awsSecretByKey)) {
        const cls = classify(key);
        if ((cls & AWS_SECRET_KEY) !== 0 && AWS_SECRET_VALUE.test(value)) {
          tally.add("aws_secret_key");
          return replacement("aws_secret_key");
        }
        if ((cls & SENSITIVE_KEY) !== 0) {
          tally.add("sensitive_field");
          return replacement("sensitive_field");
        }
      }
      return redactText(value, tally);
    },
  };
}

/** One-off redaction of `text` with its counts (convenience outside the hot path). */
export function redact(text: string, redactor: Redactor): { text: string; counts: Record<string, number> } {
  const tally = new RedactionTally();
  const out = redactor.redactText(text, tally);
  return { text: out, counts: tally.counts };
}
