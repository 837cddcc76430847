import { describe, expect, it } from "vitest";
import { leafFields } from "../../../core/event/schema.js";
import { QueryFieldError } from "../../../core/query/errors.js";
import { queryableFields, resolveField } from "../../../core/query/fields.js";

describe("resolveField", () => {
  it("sends a bare value to message", () => {
    expect(resolveField(null)).toEqual({
      type: "column",
      path: "message",
      segments: ["message"],
      kind: "text",
      nullable: false,
    });
  });

  it("reads timestamp as @timestamp", () => {
    expect(resolveField("timestamp")).toEqual(resolveField("@timestamp"));
    expect(resolveField("@timestamp")).toMatchObject({ type: "column", kind: "timestamp", nullable: false });
  });

  it("addresses a struct member by its dotted path, nullable with its group", () => {
    expect(resolveField("http.status")).toEqual({
      type: "column",
      path: "http.status",
      segments: ["http", "status"],
      kind: "integer",
      nullable: true,
    });
  });

  it("knows a group member by its own name when that name is unique", () => {
    expect(resolveField("status")).toEqual(resolveField("http.status"));
    expect(resolveField("path")).toEqual(resolveField("http.path"));
  });

  it("marks optional fields nullable and required ones not", () => {
    expect(resolveField("env")).toMatchObject({ nullable: true });
    expect(resolveField("level")).toMatchObject({ nullable: false });
  });

  it("reads attrs.<key> as a dotted key of the attrs map", () => {
    expect(resolveField("attrs.user.id")).toEqual({
      type: "attr",
      column: "attrs",
      key: "user.id",
      path: "attrs.user.id",
    });
  });

  it("treats an unknown field name as an attrs key", () => {
    expect(resolveField("user_id")).toEqual({
      type: "attr",
      column: "attrs",
      key: "user_id",
      path: "attrs.user_id",
    });
    expect(resolveField("http.foo")).toMatchObject({ type: "attr", key: "http.foo" });
    expect(resolveField("Level")).toMatchObject({ type: "attr", key: "Level" });
  });

  it("treats names of Object members as attrs keys", () => {
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
      expect(resolveField(name)).toMatchObject({ type: "attr", key: name });
    }
  });

  it("names the attrs map and groups as wholes", () => {
    expect(resolveField("attrs")).toEqual({ type: "attrs", column: "attrs" });
    const http = resolveField("http");
    expect(http.type === "group" && http.children.map((c) => c.path)).toEqual([
      "http.method",
      "http.path",
      "http.status",
      "http.latency_ms",
      "http.user_agent",
      "http.client_ip",
    ]);
  });

  it("refuses an empty attrs key", () => {
    expect(() => resolveField("attrs.")).toThrow(QueryFieldError);
  });

  it("resolves every leaf of the schema to a column of its kind", () => {
    const leaves = leafFields().filter((f) => f.kind !== "flat_map");
    for (const leaf of leaves) {
      expect(resolveField(leaf.path)).toMatchObject({ type: "column", path: leaf.path, kind: leaf.kind });
    }
    expect(queryableFields().map((f) => f.path)).toEqual(leaves.map((f) => f.path));
  });
});
