import { type Partition, partitionEnd } from "./layout.js";

/** A lake file as the manifest records it. */
export interface LakeFileEntry extends Partition {
  /** Relative to the lake root, `/`-separated. */
  path: string;
  rows: number;
  bytes: number;
}

export interface CompactionRules {
  /** A partition with more files than this is merged whole. */
  maxFiles: number;
  /** Files below this size are small; two or more small files are merged together. */
  minFileBytes: number;
  /** Only partitions that end at or before this instant (epoch ms) are touched. */
  closedBefore: number;
}

export interface CompactionJob {
  partition: Partition;
  inputs: LakeFileEntry[];
}

const key = (p: Partition) => `${p.service}\u0000${p.dt}\u0000${p.hour}`;

/**
 * Which files to merge. A closed hour with more than `maxFiles` files is merged into one; below
 * that, only its small files are merged, so a large file is not rewritten for a few late rows.
 */
export function planCompaction(files: readonly LakeFileEntry[], rules: CompactionRules): CompactionJob[] {
  const groups = new Map<string, LakeFileEntry[]>();
  for (const file of files) {
    const k = key(file);
    const group = groups.get(k);
    if (group) group.push(file);
    else groups.set(k, [file]);
  }
  const jobs: CompactionJob[] = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    if (partitionEnd(first) > rules.closedBefore) continue;
    const inputs = group.length > rules.maxFiles ? group : group.filter((f) => f.bytes < rules.minFileBytes);
    if (inputs.length < 2) continue;
    const sorted = [...inputs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    jobs.push({ partition: { service: first.service, dt: first.dt, hour: first.hour }, inputs: sorted });
  }
  return jobs.sort((a, b) => (key(a.partition) < key(b.partition) ? -1 : 1));
}
