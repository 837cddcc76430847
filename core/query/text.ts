/**
 * Full-text matching on `message`, made to agree with OpenSearch's `standard` analyzer.
 *
 * OpenSearch splits a text field into lower-cased words (Unicode word boundaries, UAX #29)
 * and `match` / `match_phrase` / `wildcard` compare whole words. The local store reproduces
 * that instead of a substring test, so `message:order` does not match "reorder" on one back
 * end only. The word model, close to UAX #29 for log text:
 *
 * - a word is a run of letters, digits and `_` (`user_id`, `a1`, `x86_64`);
 * - `.` `:` `'` `’` between two letters join them (`db.internal`, `it's`, `foo:bar`);
 * - `.` `,` `;` `'` `’` between two digits join them (`3.14`, `1,000`, `10.0.0.1`);
 * - anything else separates words (`order-42` is `order`, `42`; `/health` is `health`;
 *   `alice@example.com` is `alice`, `example.com`).
 *
 * Known differences from Lucene: CJK ideographs form one word per run here (Lucene emits one
 * per character), and Lucene's 255-character word cap is not applied.
 *
 * The same model is written twice: as a JavaScript RegExp to split query values, and as RE2
 * (DuckDB's regex engine) to split or test stored messages.
 */

const TOKEN_JS = /(?:\p{L}(?:[.:'\u2019]\p{L})*|\p{N}(?:[.,;'\u2019]\p{N})*|_)+/gu;

/** The word pattern in RE2 syntax; no quote characters, so it is safe as a SQL literal. */
export const TOKEN_RE2 = String.raw`(?:\pL(?:[.:\x27\x{2019}]\pL)*|\pN(?:[.,;\x27\x{2019}]\pN)*|_)+`;

/** Splits text into lower-cased words, as the standard analyzer would index it. */
export function analyze(text: string): string[] {
  return (text.match(TOKEN_JS) ?? []).map((t) => t.toLowerCase());
}

/** Characters that can appear inside a word. */
const WORD_CHARS_JS = /^[\p{L}\p{N}_.:,;'\u2019]*$/u;

export function isWordText(text: string): boolean {
  return WORD_CHARS_JS.test(text);
}

type CharClass = "letter" | "digit" | "other";

const firstChar = (word: string) => String.fromCodePoint(word.codePointAt(0)!);
const lastChar = (word: string) => Array.from(word).at(-1)!;

function classOf(ch: string): CharClass {
  if (/\p{L}/u.test(ch)) return "letter";
  if (/\p{N}/u.test(ch)) return "digit";
  return "other";
}

const WORD = String.raw`\pL\pN_`;
/** Joiners by the class of the characters on both sides. */
const JOINERS: Record<CharClass, string> = {
  letter: String.raw`.:\x27\x{2019}`,
  digit: String.raw`.,;\x27\x{2019}`,
  other: "",
};
const SAME_CLASS: Record<CharClass, string> = { letter: String.raw`\pL`, digit: String.raw`\pN`, other: "" };

/** Escapes ASCII punctuation for RE2; words hold no other special characters. */
export function escapeRe2(text: string): string {
  return text.replace(/[!-/:-@[-`{-~]/g, "\\$&");
}

/** Start of a word beginning with `first`: nothing before it would join onto it. */
function leftBoundary(first: string): string {
  const cls = classOf(first);
  const j = JOINERS[cls];
  if (!j) return `(?:^|[^${WORD}])`;
  return `(?:^|[^${WORD}${j}]|(?:^|[^${SAME_CLASS[cls]}])[${j}])`;
}

/** End of a word ending with `last`: nothing after it would join onto it. */
function rightBoundary(last: string): string {
  const cls = classOf(last);
  const j = JOINERS[cls];
  if (!j) return `(?:$|[^${WORD}])`;
  return `(?:$|[^${WORD}${j}]|[${j}](?:$|[^${SAME_CLASS[cls]}]))`;
}

/** Between two consecutive words: non-word characters, but not a lone joiner that would fuse them. */
function separator(last: string, first: string): string {
  const a = classOf(last);
  const j = a === classOf(first) ? JOINERS[a] : "";
  if (!j) return `[^${WORD}]+`;
  return `(?:[^${WORD}${j}][^${WORD}]*|[${j}][^${WORD}]+)`;
}

/**
 * RE2 pattern that matches a text containing `words` as consecutive whole words, case
 * insensitively (`match_phrase`; a single word is `match` of that word). `words` must come
 * from `analyze`.
 */
export function phrasePattern(words: readonly string[]): string {
  if (words.length === 0) throw new Error("phrasePattern needs at least one word");
  let pattern = `(?i)${leftBoundary(firstChar(words[0]!))}`;
  words.forEach((word, i) => {
    if (i > 0) pattern += separator(lastChar(words[i - 1]!), firstChar(word));
    pattern += escapeRe2(word);
  });
  return pattern + rightBoundary(lastChar(words.at(-1)!));
}

/**
 * A word wildcard is decided exactly by splitting the message into words (`TOKEN_RE2`) and
 * testing each; that costs about ten times a single regex, so two single-regex tests on the
 * raw text go first: `fast` only matches where the exact test would (a subset) and `approx`
 * matches wherever it could (a superset). `fast OR (approx AND exact)` is exactly `exact`,
 * and the split runs only for the rare texts the two cannot decide.
 */
export interface WordWildcardPatterns {
  /** Subset test, or undefined when the pattern has a joiner at a piece's edge. */
  fast: string | undefined;
  approx: string;
  /** Over the lower-cased words of the text joined by single spaces. */
  exact: string;
}

/** The joiners of each class, as characters. */
const JOINS: Record<"letter" | "digit", string> = { letter: ".:'\u2019", digit: ".,;'\u2019" };
const ALL_JOINERS = String.raw`.:,;\x27\x{2019}`;
const JOINER_JS = /^[.:,;'\u2019]$/u;

type Joined = "letter" | "digit";

/**
 * How a piece's edges meet the `*` beside them: `null` when the edge is a word character,
 * the class the `*` must supply when the edge is a joiner (`db.` needs a letter after it),
 * and `false` when a joiner in the piece can never join (`a.1`, `..`): the piece then spans
 * two words and only the exact test can tell.
 */
function pieceEdges(piece: string): { start: Joined | null; end: Joined | null } | false {
  const chars = Array.from(piece);
  const edges: { start: Joined | null; end: Joined | null } = { start: null, end: null };
  for (const [i, ch] of chars.entries()) {
    if (!JOINER_JS.test(ch)) continue;
    const before = chars[i - 1] === undefined ? undefined : classOf(chars[i - 1]!);
    const after = chars[i + 1] === undefined ? undefined : classOf(chars[i + 1]!);
    const inner = before ?? after;
    if (inner === undefined || inner === "other" || (before && after && before !== after)) return false;
    if (!JOINS[inner].includes(ch)) return false;
    if (before === undefined) edges.start = inner;
    if (after === undefined) edges.end = inner;
  }
  return edges;
}

const CLASS_RE2: Record<Joined, string> = { letter: String.raw`\pL`, digit: String.raw`\pN` };

/** What a `*` may match between a piece ending in `after` and one starting in `before`. */
function starBetween(after: Joined | null, before: Joined | null): string {
  const any = `[${WORD}]*`;
  if (after && before) {
    const a = CLASS_RE2[after];
    const b = CLASS_RE2[before];
    return after === before ? `${a}(?:${any}${a})?` : `${a}${any}${b}`;
  }
  if (after) return `${CLASS_RE2[after]}${any}`;
  if (before) return `${any}${CLASS_RE2[before]}`;
  return any;
}

export function wordWildcardPatterns(parts: readonly string[]): WordWildcardPatterns {
  const lower = parts.map((p) => p.toLowerCase());
  const exact = `(?:^| )${lower.map(escapeRe2).join("[^ ]*")}(?: |$)`;
  const approx = `(?i)${lower.map(escapeRe2).join(`[${WORD}${ALL_JOINERS}]*`)}`;
  const edges = lower.map(pieceEdges);
  if (edges.some((e) => e === false)) return { fast: undefined, approx, exact };
  const sides = edges as Array<{ start: Joined | null; end: Joined | null }>;
  // A word never starts or ends with a joiner.
  if (sides[0]!.start || sides.at(-1)!.end) return { fast: undefined, approx, exact };
  const first = lower[0]!;
  const last = lower.at(-1)!;
  // An empty first or last piece leaves the word's edge to the `*`: accept only edges where
  // nothing could join, whatever the class of the word's first (or last) character.
  const left = first
    ? leftBoundary(firstChar(first))
    : `(?:^|[^${WORD}${ALL_JOINERS}]|(?:^|[^${WORD}])[${ALL_JOINERS}])`;
  const right = last
    ? rightBoundary(lastChar(last))
    : `(?:$|[^${WORD}${ALL_JOINERS}]|[${ALL_JOINERS}](?:$|[^${WORD}]))`;
  let body = escapeRe2(first);
  for (let i = 1; i < lower.length; i++) {
    body += starBetween(sides[i - 1]!.end, sides[i]!.start) + escapeRe2(lower[i]!);
  }
  return { fast: `(?i)${left}${body}${right}`, approx, exact };
}
