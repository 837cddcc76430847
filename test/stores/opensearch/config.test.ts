import { describe, expect, it } from "vitest";
import { z } from "zod";
import { OPENSEARCH } from "../../../core/limits.js";
import { effectiveOpType, OpenSearchStoreConfigSchema } from "../../../stores/opensearch/config.js";

const ENDPOINT = "https://search-logs.eu-west-1.es.amazonaws.com";

describe("OpenSearchStoreConfigSchema", () => {
  it("fills defaults from just an endpoint", () => {
    const config = OpenSearchStoreConfigSchema.parse({ endpoint: ENDPOINT });
    expect(config).toEqual({
      endpoint: ENDPOINT,
      auth: { type: "none" },
      index_prefix: "logs-",
      data_stream: false,
      max_bulk_bytes: OPENSEARCH.BULK_DEFAULT_MAX_BYTES,
      retry: { max_attempts: 8, max_elapsed_ms: 30_000, initial_delay_ms: 200, max_delay_ms: 5_000 },
      template: { name: "logpipe-logs" },
      ism: { enabled: true, policy_id: "logpipe-logs", delete_after_days: 14, rollover_size: "30gb" },
      request_timeout_ms: 30_000,
    });
  });

  it("requires an http(s) endpoint", () => {
    expect(OpenSearchStoreConfigSchema.safeParse({}).success).toBe(false);
    expect(OpenSearchStoreConfigSchema.safeParse({ endpoint: "ftp://x" }).success).toBe(false);
    expect(OpenSearchStoreConfigSchema.safeParse({ endpoint: "not a url" }).success).toBe(false);
  });

  it("rejects unknown keys at every level", () => {
    for (const extra of [
      { indexPrefix: "x" },
      { retry: { attempts: 3 } },
      { template: { fields: 10 } },
      { ism: { days: 3 } },
      { auth: { type: "none", user: "x" } },
    ]) {
      expect(OpenSearchStoreConfigSchema.safeParse({ endpoint: ENDPOINT, ...extra }).success).toBe(false);
    }
  });

  it("requires a region for sigv4 and defaults the service to es", () => {
    expect(
      OpenSearchStoreConfigSchema.safeParse({ endpoint: ENDPOINT, auth: { type: "sigv4" } }).success,
    ).toBe(false);
    const config = OpenSearchStoreConfigSchema.parse({
      endpoint: ENDPOINT,
      auth: { type: "sigv4", region: "eu-west-1" },
    });
    expect(config.auth).toEqual({ type: "sigv4", region: "eu-west-1", service: "es" });
  });

  it("requires username and password for basic auth", () => {
    const result = OpenSearchStoreConfigSchema.safeParse({
      endpoint: ENDPOINT,
      auth: { type: "basic", username: "u" },
    });
    expect(result.error?.issues[0]?.path).toEqual(["auth", "password"]);
  });

  it("rejects an unknown auth type", () => {
    expect(OpenSearchStoreConfigSchema.safeParse({ endpoint: ENDPOINT, auth: { type: "iam" } }).success).toBe(
      false,
    );
  });

  it.each(["Logs-", "_logs", "-logs", "logs*", "logs/", "", ".hidden-"])(
    "rejects index prefix %j",
    (prefix) => {
      expect(
        OpenSearchStoreConfigSchema.safeParse({ endpoint: ENDPOINT, index_prefix: prefix }).success,
      ).toBe(false);
    },
  );

  it("refuses op_type index with data streams, which accept only create", () => {
    const result = OpenSearchStoreConfigSchema.safeParse({
      endpoint: ENDPOINT,
      data_stream: true,
      op_type: "index",
    });
    expect(result.error?.issues[0]?.path).toEqual(["op_type"]);
  });

  it("uses create for data streams and index for daily indices unless told otherwise", () => {
    expect(effectiveOpType({ data_stream: true })).toBe("create");
    expect(effectiveOpType({ data_stream: false })).toBe("index");
    expect(effectiveOpType({ data_stream: false, op_type: "create" })).toBe("create");
  });

  it("bounds max_bulk_bytes", () => {
    expect(OpenSearchStoreConfigSchema.safeParse({ endpoint: ENDPOINT, max_bulk_bytes: 10 }).success).toBe(
      false,
    );
    expect(
      OpenSearchStoreConfigSchema.safeParse({ endpoint: ENDPOINT, max_bulk_bytes: 2 ** 31 }).success,
    ).toBe(false);
  });

  it("rejects a max delay below the initial delay", () => {
    const result = OpenSearchStoreConfigSchema.safeParse({
      endpoint: ENDPOINT,
      retry: { initial_delay_ms: 1000, max_delay_ms: 10 },
    });
    expect(result.error?.issues[0]?.path).toEqual(["retry", "max_delay_ms"]);
  });

  it("describes every field", () => {
    type Node = { description?: string; properties?: Record<string, Node>; oneOf?: Node[]; anyOf?: Node[] };
    const json = z.toJSONSchema(OpenSearchStoreConfigSchema, { io: "input" }) as Node;
    const missing: string[] = [];
    const visit = (node: Node, path: string) => {
      for (const [key, prop] of Object.entries(node.properties ?? {})) {
        if (!prop.description) missing.push(`${path}${key}`);
        visit(prop, `${path}${key}.`);
      }
      for (const variant of [...(node.oneOf ?? []), ...(node.anyOf ?? [])]) visit(variant, path);
    };
    visit(json, "");
    expect(missing).toEqual([]);
  });
});
