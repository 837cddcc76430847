import { describe, expect, it } from "vitest";
import { type LakeFileEntry, planCompaction } from "../../../stores/local/compaction.js";

const MiB = 1024 * 1024;
const closedBefore = Date.parse("2026-01-05T11:00:00Z");

function file(
  path: string,
  bytes: number,
  partition = { service: "api", dt: "2026-01-05", hour: "10" },
): LakeFileEntry {
  return { ...partition, path, bytes, rows: 10 };
}

describe("planCompaction", () => {
  const rules = { maxFiles: 3, minFileBytes: MiB, closedBefore };

  it("merges the small files of a closed hour", () => {
    const jobs = planCompaction([file("b", 10), file("a", 20), file("big", 5 * MiB)], rules);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.inputs.map((f) => f.path)).toEqual(["a", "b"]);
  });

  it("merges every file of an hour that has more than max_files", () => {
    const files = ["a", "b", "c", "d"].map((p) => file(p, 5 * MiB));
    expect(planCompaction(files, rules)[0]!.inputs).toHaveLength(4);
  });

  it("leaves an hour with one small file and a few large ones alone", () => {
    expect(planCompaction([file("a", 10), file("b", 5 * MiB), file("c", 5 * MiB)], rules)).toEqual([]);
  });

  it("never touches the current hour", () => {
    const open = { service: "api", dt: "2026-01-05", hour: "11" };
    expect(planCompaction([file("a", 1, open), file("b", 1, open)], rules)).toEqual([]);
  });

  it("plans each partition separately", () => {
    const other = { service: "web", dt: "2026-01-05", hour: "10" };
    const jobs = planCompaction(
      [file("a", 1), file("b", 1), file("c", 1, other), file("d", 1, other)],
      rules,
    );
    expect(jobs.map((j) => j.partition.service)).toEqual(["api", "web"]);
  });
});
