import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FingerprintSet, IngestJournal } from "../../../stores/local/journal.js";

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const bytes = (text: string) => new TextEncoder().encode(text);

describe("FingerprintSet", () => {
  it("answers whether an (id, @timestamp) pair was added before, across growth and clear", () => {
    const set = new FingerprintSet();
    const at = "2026-01-05T10:00:00.000Z";
    for (let i = 0; i < 50_000; i++) expect(set.add(`evt-${i}`, at)).toBe(false);
    for (let i = 0; i < 50_000; i += 997) expect(set.add(`evt-${i}`, at)).toBe(true);
    expect(set.add("evt-1", "2026-01-05T10:00:00.001Z")).toBe(false);
    // The separator keeps the boundary between id and time: "a" + "bc" is not "ab" + "c".
    expect(set.add("ab", "c")).toBe(false);
    expect(set.add("a", "bc")).toBe(false);
    set.clear();
    expect(set.add("evt-7", at)).toBe(false);
  });
});

describe("IngestJournal", () => {
  it("appends whole lines to one file until sealed, then starts the next", async () => {
    dir = await mkdtemp(join(tmpdir(), "logpipe-journal-"));
    const { journal, leftovers } = await IngestJournal.open(dir);
    expect(leftovers).toEqual([]);
    await journal.append(bytes('{"a":1}\n'), 1, 10, 10, false);
    await journal.append(bytes('{"a":2}\n{"a":3}\n'), 2, 5, 20, true);
    expect(journal.rows).toBe(3);
    const [first, ...rest] = await journal.seal();
    expect(rest).toEqual([]);
    expect(first).toMatchObject({ rows: 3, from: 5, to: 20, repeats: true });
    expect(await readFile(first!.path, "utf8")).toBe('{"a":1}\n{"a":2}\n{"a":3}\n');
    expect(await journal.seal()).toEqual([]);
    await journal.append(bytes('{"a":4}\n'), 1, 1, 1, false);
    const [second] = await journal.seal();
    expect(second!.path).not.toBe(first!.path);
    expect(second).toMatchObject({ rows: 1, repeats: false });
    await journal.remove(first!);
    await journal.remove(first!);
    expect(await readdir(dir)).toEqual([second!.path.slice(dir.length + 1)]);
  });

  it("hands back what an earlier process left, oldest first, and numbers new files after it", async () => {
    dir = await mkdtemp(join(tmpdir(), "logpipe-journal-"));
    await writeFile(join(dir, "10.ndjson"), '{"a":1}\n');
    await writeFile(join(dir, "9.ndjson"), '{"a":0}\n');
    await writeFile(join(dir, "notes.txt"), "not a journal file");
    const { journal, leftovers } = await IngestJournal.open(dir);
    expect(leftovers.map((f) => f.path)).toEqual([join(dir, "9.ndjson"), join(dir, "10.ndjson")]);
    expect(leftovers.every((f) => f.repeats)).toBe(true);
    await journal.append(bytes('{"a":2}\n'), 1, 1, 1, false);
    const [file] = await journal.seal();
    expect(file!.path).toBe(join(dir, "11.ndjson"));
  });

  it("salvages the lines that are JSON objects and rewrites the file with only those", async () => {
    dir = await mkdtemp(join(tmpdir(), "logpipe-journal-"));
    await writeFile(join(dir, "1.ndjson"), '{"a":1}\n[1]\n\n{"a":2}\n{"a":');
    const { leftovers } = await IngestJournal.open(dir);
    const { lines, discarded } = await IngestJournal.salvage(leftovers[0]!);
    expect(lines).toEqual(['{"a":1}', '{"a":2}']);
    expect(discarded).toBe(2);
    expect(await readFile(leftovers[0]!.path, "utf8")).toBe('{"a":1}\n{"a":2}\n');
  });
});
