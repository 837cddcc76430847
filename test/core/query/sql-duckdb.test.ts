import { listValue } from "@duckdb/node-api";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileToSql } from "../../../core/query/sql.js";
import { analyze, phrasePattern, TOKEN_RE2, wordWildcardPatterns } from "../../../core/query/text.js";
import { createEventsTable, type EventsTable } from "./events-table.js";
import { ALL_IDS, allBut, FIXTURE_EVENTS } from "./fixture-events.js";

let table: EventsTable;

beforeAll(async () => {
  table = await createEventsTable(FIXTURE_EVENTS);
});

afterAll(() => {
  table.close();
});

async function run(query: string): Promise<string[]> {
  const { where, params } = compileToSql(query);
  return table.ids(where, params);
}

/** [query, ids it must return] — the answers OpenSearch gives for the same documents. */
const CASES: Array<[string, string[]]> = [
  // keywords: exact and case-sensitive
  ["level:error", ["e01", "e04", "e17"]],
  ["level:ERROR", []],
  ["level:(error or fatal)", ["e01", "e04", "e10", "e17"]],
  ["level:error and service:checkout", ["e01"]],
  ["service:checkout and not level:error", ["e02", "e10", "e18"]],
  // precedence: and binds tighter than or
  ["level:error or level:warn and service:checkout", ["e01", "e02", "e04", "e17"]],
  ["(level:error or level:warn) and service:checkout", ["e01", "e02"]],
  // a missing field does not match, so its negation does
  ["not env:prod", allBut("e01", "e02", "e06")],
  ["level:info and not (env:prod or env:staging)", ["e07", "e09", "e11", "e12", "e14", "e15", "e18"]],
  ["not (level:error or level:warn)", allBut("e01", "e02", "e04", "e08", "e13", "e16", "e17")],
  ["not http.status:200", allBut("e02", "e03")],
  ["env:*", ["e01", "e02", "e03", "e06"]],
  ["http:*", ["e01", "e02", "e03", "e10", "e13", "e18"]],
  // wildcards on keywords
  ["service:check*", ["e01", "e02", "e04", "e10", "e18"]],
  ["http.path:/health*", ["e02", "e03"]],
  ["level:error and service:checkout and not path:/health*", ["e01"]],
  ["method:GET", ["e02", "e03", "e13", "e18"]],
  // numbers
  ["http.status >= 200 and http.status < 300", ["e01", "e02", "e03"]],
  ["http.status >= 500", ["e10"]],
  ["http.latency_ms > 100", ["e02", "e10"]],
  ["http.client_ip:10.0.0.1", ["e13"]],
  // message: whole words, case-insensitive
  ["message:order", ["e01", "e10", "e11", "e12"]],
  ['message:"order placed"', ["e01", "e10", "e11"]],
  ["alice timed", ["e01", "e02", "e06"]],
  ['"logged in"', ["e06"]],
  ["message:db", []],
  ["message:db.internal", ["e04"]],
  ["message:5432", ["e04"]],
  ["message:example", []],
  ["message:example.com", ["e06"]],
  ["message:done", []],
  ["message:done_now", ["e07"]],
  ["message:it's", ["e07"]],
  ["message:usage 91.5", ["e16"]],
  ["message:91", []],
  ["message:ord*", ["e01", "e10", "e11", "e12"]],
  ["message:*order", ["e01", "e05", "e10", "e11", "e12"]],
  ["message:échec", ["e17"]],
  ["ÉCHEC", ["e17"]],
  ['message:"!!!"', []],
  ['not message:"!!!"', ALL_IDS],
  // attrs
  ["attrs.user.id:42", ["e01", "e18"]],
  ["user.id:42", ["e01", "e18"]],
  ["attrs.user.id:4*", ["e01", "e18"]],
  ["tenant:acme", ["e01"]],
  ["attrs:*", ["e01", "e02", "e05", "e06", "e07", "e16", "e18"]],
  ["attrs.duration_ms > 1000", ["e02", "e18"]],
  ["not attrs.duration_ms > 1000", allBut("e02", "e18")],
  ["attrs.duration_ms < abd", ["e02", "e05", "e16", "e18"]],
  ["constructor:x or __proto__:y", []],
  // timestamps: a date names a span
  ["@timestamp:2026-01-05", allBut("e14", "e16", "e17", "e18", "e19", "e20")],
  ["@timestamp > 2026-01-05", ["e14"]],
  ["@timestamp >= 2026-01-06", ["e14"]],
  ["@timestamp <= 2026-01-04", ["e16", "e17", "e18", "e19", "e20"]],
  ['@timestamp < "2026-01-05T10:05:00Z"', ["e01", "e16", "e17", "e18", "e19", "e20"]],
  ['timestamp >= "2026-01-05T23:59:59.999Z"', ["e14", "e15"]],
  ['@timestamp:"2026-01-05T12:00:00+02:00"', ["e01"]],
  // match all
  ["", ALL_IDS],
  ["*", ALL_IDS],
];

describe("compiled SQL run in DuckDB", () => {
  it.each(CASES)("%s", async (query, expected) => {
    expect(await run(query)).toEqual([...expected].sort());
  });
});

describe("hostile values match literally", () => {
  const HOSTILE: Array<[string, string[]]> = [
    ["service:50%_off", ["e07"]],
    ["service:50%*", ["e07"]],
    ["service:cart_s*", ["e19"]],
    ["service:cart?service", []],
    ['service:"O\'Reilly \\"quoted\\""', ["e08"]],
    ["service:back\\\\slash", ["e09"]],
    ["service:back\\\\*", ["e09"]],
    ['message:"Robert\'); DROP TABLE events;--"', ["e08"]],
    ["service:x' OR '1'='1", []],
    ['"x\') OR 1=1 --":y', []],
    ['"weird\'key":"x\\"y"', ["e07"]],
    ['"a\\") OR TRUE --"', []],
    ["message:\\(?i\\).\\*", []],
  ];

  it.each(HOSTILE)("%s", async (query, expected) => {
    expect(await run(query)).toEqual(expected);
  });

  it("leaves the table intact after the injection attempts", async () => {
    expect(await table.ids("TRUE", [])).toEqual(ALL_IDS);
  });
});

describe("compile options", () => {
  it("numbers placeholders after the offset and qualifies columns with the alias", async () => {
    const { where, params } = compileToSql("level:error and http.status:201", {
      paramOffset: 1,
      qualifier: "e",
    });
    expect(where).toBe('("e"."level" = $2 AND "e"."http"."status" = $3)');
    const reader = await table.connection.runAndReadAll(
      `SELECT e.id FROM events e WHERE e.service = $1 AND ${where} ORDER BY e.id`,
      ["checkout", ...params],
    );
    expect(reader.getRowObjectsJson().map((r) => r["id"])).toEqual(["e01"]);
  });
});

/**
 * The SQL tests words with one boundary-aware regex per word; the reference is the word list
 * `analyze` produces. Both must agree on any text built from letters, digits and the
 * characters that join or split words.
 */
describe("word matching agrees with the word splitter", () => {
  // Few distinct letters, so the same words recur with every kind of separator between them.
  const alphabet = fc.constantFrom(..."aAbé1 2.:',;-_/’É");
  const text = fc.string({ unit: alphabet, maxLength: 14 });
  const dense = fc.string({ unit: fc.constantFrom(..."ab1 .:,'-"), maxLength: 8 });

  function containsRun(words: string[], run: string[]): boolean {
    for (let i = 0; i + run.length <= words.length; i++) {
      if (run.every((w, j) => words[i + j] === w)) return true;
    }
    return false;
  }

  const texts = [
    ...fc.sample(text, { numRuns: 300, seed: 7 }),
    ...fc.sample(dense, { numRuns: 300, seed: 5 }),
  ];

  beforeAll(async () => {
    // Named like the events column, so compiled conditions on `message` run here unchanged.
    await table.connection.run("CREATE TEMP TABLE texts (n INTEGER, message VARCHAR)");
    await table.connection.run("INSERT INTO texts SELECT i - 1, $1[i] FROM range(1, len($1) + 1) r(i)", [
      listValue(texts),
    ]);
  });

  async function matching(where: string, params: readonly (string | number)[]): Promise<number[]> {
    const reader = await table.connection.runAndReadAll(`SELECT n FROM texts WHERE ${where} ORDER BY n`, [
      ...params,
    ]);
    return reader.getRowObjectsJson().map((r) => Number(r["n"]));
  }

  it("phrase patterns match exactly the texts whose words contain the phrase", async () => {
    const phrases = fc
      .sample(fc.tuple(fc.oneof(text, dense), fc.nat(), fc.integer({ min: 1, max: 3 })), {
        numRuns: 120,
        seed: 11,
      })
      .map(([source, at, len]) => {
        const words = analyze(source);
        return words.slice(at % Math.max(words.length, 1)).slice(0, len);
      })
      .filter((p) => p.length > 0);
    expect(phrases.length).toBeGreaterThan(60);
    for (const phrase of phrases) {
      const got = await matching("regexp_matches(message, $1)", [phrasePattern(phrase)]);
      const want = texts.flatMap((t, n) => (containsRun(analyze(t), phrase) ? [n] : []));
      expect({ phrase, got }).toEqual({ phrase, got: want });
    }
  });

  it("splits stored text into the same words as the query side", async () => {
    const reader = await table.connection.runAndReadAll(
      `SELECT regexp_extract_all(lower(message), '${TOKEN_RE2}') AS words FROM texts ORDER BY n`,
    );
    const stored = reader.getRowObjectsJson().map((r) => r["words"]);
    expect(stored).toEqual(texts.map((t) => analyze(t)));
  });

  describe("word wildcards", () => {
    const piece = fc.string({ unit: fc.constantFrom(..."ab1.:,'_A"), maxLength: 3 });
    const globs = fc
      .sample(fc.array(piece, { minLength: 2, maxLength: 3 }), { numRuns: 150, seed: 13 })
      .filter((parts) => parts.some((p) => p !== ""));

    /** The reference: some word of the text matches the glob. */
    function wordMatches(t: string, parts: string[]): boolean {
      const literal = (p: string) => p.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      const glob = new RegExp(`^${parts.map(literal).join(".*")}$`, "u");
      return analyze(t).some((word) => glob.test(word));
    }

    it("the compiled condition matches exactly the texts with a matching word", async () => {
      for (const parts of globs) {
        const { where, params } = compileToSql({ type: "wildcard", field: "message", parts });
        const want = texts.flatMap((t, n) => (wordMatches(t, parts) ? [n] : []));
        expect({ parts, got: await matching(where, params) }).toEqual({ parts, got: want });
      }
    });

    it("the fast test never matches more and the approximate test never less", async () => {
      let decidedFast = 0;
      for (const parts of globs) {
        const { fast, approx } = wordWildcardPatterns(parts);
        const want = texts.flatMap((t, n) => (wordMatches(t, parts) ? [n] : []));
        const wider = await matching("regexp_matches(message, $1)", [approx]);
        expect({ parts, missing: want.filter((n) => !wider.includes(n)) }).toEqual({ parts, missing: [] });
        if (fast === undefined) continue;
        const narrower = await matching("regexp_matches(message, $1)", [fast]);
        expect({ parts, extra: narrower.filter((n) => !want.includes(n)) }).toEqual({ parts, extra: [] });
        decidedFast += narrower.length;
      }
      expect(decidedFast).toBeGreaterThan(100);
    });

    it("matches within a word, never across words", async () => {
      const across = compileToSql({ type: "wildcard", field: "message", parts: ["order", "placed"] });
      const inside = compileToSql(
        { type: "wildcard", field: "message", parts: ["", "order"] },
        { paramOffset: across.params.length },
      );
      const reader = await table.connection.runAndReadAll(
        `SELECT (${across.where}) AS across, (${inside.where}) AS inside FROM (SELECT 'reorder placed' AS message)`,
        [...across.params, ...inside.params],
      );
      expect(reader.getRowObjectsJson()[0]).toEqual({ across: false, inside: true });
    });
  });
});
