import { type FileHandle, mkdir, open, readdir, readFile, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fsyncDir } from "./lake-fs.js";

/**
 * The local store's ingest journal: NDJSON files of events the store has accepted but not yet
 * loaded into its hot table, like OpenSearch's translog. An append returns once its bytes are
 * on disk (fdatasync), so the store can answer a write without waiting for DuckDB; the store
 * then loads a whole file in one insert, which costs DuckDB a third less per row than the small
 * inserts of each write did, and removes the file once the rows are committed.
 *
 * A file holds only whole appends: a failed append is cut off again before it is answered. A
 * crash can still leave a torn last append (or, after a power loss, unsynced garbage), but that
 * append was never answered, so the durable buffer delivers its events again; the store drops
 * whatever of such a file does not parse.
 */

const SUFFIX = ".ndjson";

export interface JournalFile {
  path: string;
  /** Lines appended; for a file found at open, 0 until the store has measured it. */
  rows: number;
  /** Oldest and newest `@timestamp` appended, epoch ms; every time for a file found at open, until measured. */
  from: number;
  to: number;
  /** Whether the file may hold an event (id and `@timestamp`) twice; always for a file found at open. */
  repeats: boolean;
  /** Found at open: a previous process appended to it and did not load it. */
  recovered: boolean;
}

/** Epoch ms bounds that contain every `@timestamp` the store accepts. */
const ALL_TIME = { from: Date.UTC(0, 0, 1), to: Date.UTC(9999, 11, 31, 23, 59, 59, 999) };

const fileNumber = (name: string) => Number(name.slice(0, -SUFFIX.length));

export class IngestJournal {
  private handle: FileHandle | undefined;
  private current: JournalFile | undefined;
  /** Files closed after an append failed and could not be cut back; loaded with the next seal. */
  private setAside: JournalFile[] = [];
  /** Bytes of whole appends in the current file. */
  private length = 0;

  private constructor(
    private readonly dir: string,
    private next: number,
  ) {}

  /**
   * Opens the journal in `dir`; `leftovers` are the files a previous process appended to and did
   * not load, oldest first.
   */
  static async open(dir: string): Promise<{ journal: IngestJournal; leftovers: JournalFile[] }> {
    await mkdir(dir, { recursive: true });
    const numbers = (await readdir(dir))
      .filter((name) => name.endsWith(SUFFIX) && /^\d+$/.test(name.slice(0, -SUFFIX.length)))
      .map(fileNumber)
      .sort((a, b) => a - b);
    const leftovers = numbers.map((n) => ({
      path: join(dir, `${n}${SUFFIX}`),
      rows: 0,
      ...ALL_TIME,
      repeats: true,
      recovered: true,
    }));
    return { journal: new IngestJournal(dir, (numbers.at(-1) ?? 0) + 1), leftovers };
  }

  /** Events appended to the current file and to files set aside. */
  get rows(): number {
    return this.setAside.reduce((n, f) => n + f.rows, this.current?.rows ?? 0);
  }

  /**
   * Appends `bytes` (whole NDJSON lines of `rows` events within `[from, to]`, `repeats` when
   * one of them may be in the file already) and syncs them.
   * On failure the file is cut back to its previous length (or, if that fails too, closed and
   * set aside with only whole appends counted as lost to the store: they were never answered).
   */
  async append(bytes: Uint8Array, rows: number, from: number, to: number, repeats: boolean): Promise<void> {
    if (this.handle === undefined || this.current === undefined) {
      const path = join(this.dir, `${this.next++}${SUFFIX}`);
      const handle = await open(path, "wx");
      try {
        // The file's name must survive a power loss as surely as its bytes.
        await fsyncDir(this.dir);
      } catch (error) {
        await handle.close();
        await unlink(path).catch(() => undefined);
        throw error;
      }
      this.handle = handle;
      this.current = { path, rows: 0, from, to, repeats: false, recovered: false };
      this.length = 0;
    }
    const handle = this.handle;
    try {
      let written = 0;
      while (written < bytes.length) {
        const { bytesWritten } = await handle.write(
          bytes,
          written,
          bytes.length - written,
          this.length + written,
        );
        written += bytesWritten;
      }
      await handle.datasync();
    } catch (error) {
      await handle.truncate(this.length).catch(async () => {
        // The file may end in part of this append; a fresh file keeps later appends whole.
        const file = await this.close();
        if (file !== undefined) this.setAside.push(file);
      });
      throw error;
    }
    this.length += bytes.length;
    const file = this.current;
    file.rows += rows;
    if (repeats) file.repeats = true;
    if (from < file.from) file.from = from;
    if (to > file.to) file.to = to;
  }

  /** Closes the current file: the files to load, oldest first (none when nothing was appended). */
  async seal(): Promise<JournalFile[]> {
    const file = await this.close();
    const sealed = this.setAside;
    this.setAside = [];
    if (file !== undefined) sealed.push(file);
    return sealed;
  }

  private async close(): Promise<JournalFile | undefined> {
    const file = this.current;
    const handle = this.handle;
    this.current = undefined;
    this.handle = undefined;
    await handle?.close();
    if (file !== undefined && this.length === 0) {
      await unlink(file.path).catch(() => undefined);
      return undefined;
    }
    return file;
  }

  /** Removes a loaded file. */
  async remove(file: JournalFile): Promise<void> {
    await unlink(file.path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
  }

  /**
   * The lines of a file that parse as JSON objects, and how many did not; the file is rewritten
   * with only the first. A recovered file's window becomes that of their `@timestamp`s.
   */
  static async salvage(file: JournalFile): Promise<{ lines: string[]; discarded: number }> {
    const lines: string[] = [];
    let discarded = 0;
    let from = Number.POSITIVE_INFINITY;
    let to = Number.NEGATIVE_INFINITY;
    for (const line of (await readFile(file.path, "utf8")).split("\n")) {
      if (line === "") continue;
      try {
        const value: unknown = JSON.parse(line);
        if (typeof value === "object" && value !== null && !Array.isArray(value)) {
          lines.push(line);
          const at = Date.parse(String((value as Record<string, unknown>)["@timestamp"]));
          if (at < from) from = at;
          if (at > to) to = at;
          continue;
        }
      } catch {
        // counted below
      }
      discarded++;
    }
    if (file.recovered && from <= to) {
      file.from = from;
      file.to = to;
    }
    if (discarded > 0) await writeFile(file.path, lines.length > 0 ? `${lines.join("\n")}\n` : "");
    return { lines, discarded };
  }
}

/**
 * Which `(id, @timestamp)` pairs a journal file may hold already, as 64-bit fingerprints in an
 * open-addressed table. A JS Map of the strings cost more than a microsecond per event and kept
 * every string alive into the old generation; this costs a hash over the characters. A match
 * may be a collision, so it never drops an event: it only marks the file as one whose load
 * removes repeats (odds of a false match are about n²/2⁶⁵ for n events).
 */
export class FingerprintSet {
  /** Pairs of 32-bit halves; [0, 0] is an empty slot. */
  private table = new Int32Array(2 * 1024);
  private size = 0;

  /** Adds the pair; true when it (or a colliding pair) was added before. */
  add(id: string, at: string): boolean {
    // FNV-1a twice, with different offsets and primes, over `id`, a separator and `at`.
    let a = 0x811c9dc5;
    let b = 0x050c5d1f;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x01000199);
    }
    a = Math.imul(a ^ 0x0a, 0x01000193);
    b = Math.imul(b ^ 0x0a, 0x01000199);
    for (let i = 0; i < at.length; i++) {
      const c = at.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x01000199);
    }
    if (a === 0 && b === 0) a = 1;
    if (this.insert(a, b)) return true;
    if (++this.size * 2 > this.table.length / 2) this.grow();
    return false;
  }

  clear(): void {
    if (this.size > 0) this.table.fill(0);
    this.size = 0;
  }

  /** True when `(a, b)` is present; else stores it. */
  private insert(a: number, b: number): boolean {
    const table = this.table;
    const mask = table.length / 2 - 1;
    let slot = (a ^ (b >>> 7)) & mask;
    for (;;) {
      const x = table[2 * slot]!;
      const y = table[2 * slot + 1]!;
      if (x === 0 && y === 0) {
        table[2 * slot] = a;
        table[2 * slot + 1] = b;
        return false;
      }
      if (x === a && y === b) return true;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    const old = this.table;
    this.table = new Int32Array(old.length * 2);
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] !== 0 || old[i + 1] !== 0) this.insert(old[i]!, old[i + 1]!);
    }
  }
}
