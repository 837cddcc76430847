const UNITS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses `500ms`, `15m`, `24h`, `7d`, `1h30m` into milliseconds; throws on anything else. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const pattern = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let matched = 0;
  for (const match of trimmed.matchAll(pattern)) {
    total += Number(match[1]) * UNITS[match[2]!]!;
    matched += match[0].length;
  }
  if (trimmed.length === 0 || matched !== trimmed.length) {
    throw new Error(
      `invalid duration "${text}": use a number and a unit (ms, s, m, h, d, w), e.g. 15m or 7d`,
    );
  }
  return total;
}

/**
 * A point in time from the CLI: a duration back from now (`15m`), or an ISO date/time.
 */
export function parseTimeBound(text: string, now = Date.now()): Date {
  if (/^\d/.test(text) && /[-T:]/.test(text)) {
    const date = new Date(text);
    if (Number.isNaN(date.getTime())) throw new Error(`invalid time "${text}"`);
    return date;
  }
  return new Date(now - parseDuration(text));
}
