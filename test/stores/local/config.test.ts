import { describe, expect, it } from "vitest";
import { LocalStoreConfigSchema, LocalStoreSettingsSchema } from "../../../stores/local/config.js";

describe("LocalStoreConfigSchema", () => {
  it("fills every default from just a directory", () => {
    const config = LocalStoreConfigSchema.parse({ dir: "/data/store" });
    expect(config.refresh).toEqual({ interval_ms: 2_000, max_rows: 125_000, max_backlog_rows: 2_000_000 });
    expect(config.flush).toEqual({ max_rows: 1_000_000, interval_ms: 60_000 });
    expect(config.compaction).toMatchObject({ enabled: true, max_files: 8 });
    expect(config.retention).toMatchObject({ hot: "7d", lake: "30d" });
    expect(config.sql_max_rows).toBe(10_000);
  });

  it("accepts durations with any supported unit", () => {
    const config = LocalStoreConfigSchema.parse({ dir: "d", retention: { hot: "36h", lake: "1w2d" } });
    expect(config.retention).toMatchObject({ hot: "36h", lake: "1w2d" });
  });

  it.each(["7 days", "", "-1d", "10", "d7", "0d"])("rejects the retention duration %j", (hot) => {
    const result = LocalStoreConfigSchema.safeParse({ dir: "d", retention: { hot } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(["retention", "hot"]);
  });

  it("rejects unknown keys at every level", () => {
    expect(LocalStoreConfigSchema.safeParse({ dir: "d", flsh: {} }).success).toBe(false);
    expect(LocalStoreConfigSchema.safeParse({ dir: "d", flush: { max_row: 5 } }).success).toBe(false);
  });

  it("rejects a memory limit that is not a size", () => {
    expect(LocalStoreConfigSchema.safeParse({ dir: "d", memory_limit: "lots" }).success).toBe(false);
    expect(LocalStoreConfigSchema.parse({ dir: "d", memory_limit: "512MB" }).memory_limit).toBe("512MB");
  });

  it("needs a directory, which the settings of a config file leave out", () => {
    expect(LocalStoreConfigSchema.safeParse({}).success).toBe(false);
    expect(LocalStoreSettingsSchema.safeParse({ dir: "d" }).success).toBe(false);
    expect(LocalStoreSettingsSchema.parse({}).flush.max_rows).toBe(1_000_000);
  });

  it("describes every field", () => {
    const undocumented: string[] = [];
    const visited: string[] = [];
    const visit = (schema: unknown, path: string) => {
      const s = schema as {
        description?: string;
        def?: { type: string; innerType?: unknown; shape?: Record<string, unknown> };
      };
      let inner = s;
      while (
        inner.def &&
        ["default", "optional", "prefault", "pipe"].includes(inner.def.type) &&
        inner.def.innerType
      ) {
        if (inner.description) break;
        inner = inner.def.innerType as typeof s;
      }
      if (path) visited.push(path);
      if (path && !s.description && !inner.description) undocumented.push(path);
      const shape =
        (inner.def?.type === "object"
          ? (inner as unknown as { shape: Record<string, unknown> }).shape
          : undefined) ?? {};
      for (const [key, child] of Object.entries(shape)) visit(child, path ? `${path}.${key}` : key);
    };
    visit(LocalStoreConfigSchema, "");
    expect(visited).toEqual(
      expect.arrayContaining(["dir", "flush.max_rows", "compaction.min_file_bytes", "retention.lake"]),
    );
    expect(undocumented).toEqual([]);
  });
});
