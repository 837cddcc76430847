import type { Client } from "@opensearch-project/opensearch";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeOpenSearch } from "../../support/fake-opensearch.js";
import { fakeClient } from "./helpers.js";

/** The fake must fail the way OpenSearch does, or the store tests prove nothing. */

let fake: FakeOpenSearch;
let client: Client;

beforeEach(async () => {
  fake = await FakeOpenSearch.start();
  client = fakeClient(fake);
});

afterEach(async () => {
  await client.close();
  await fake.close();
});

function ndjson(...lines: unknown[]): string {
  return `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`;
}

async function bulk(body: string) {
  return (await client.transport.request({ method: "POST", path: "/_bulk", bulkBody: body })).body as {
    errors: boolean;
    items: Array<
      Record<string, { status: number; result?: string; error?: { type: string; reason: string } }>
    >;
  };
}

async function putTemplate(name: string, body: Record<string, unknown>) {
  await client.transport.request({ method: "PUT", path: `/_index_template/${name}`, body });
}

describe("fake _bulk", () => {
  it("answers items like OpenSearch: created, updated, conflict", async () => {
    const doc = { "@timestamp": "2026-01-05T00:00:00Z", n: 1 };
    const first = await bulk(
      ndjson({ index: { _index: "a", _id: "1" } }, doc, { create: { _index: "a", _id: "2" } }, doc),
    );
    expect(first.errors).toBe(false);
    expect(first.items[0]!["index"]).toMatchObject({
      _index: "a",
      _id: "1",
      _version: 1,
      result: "created",
      status: 201,
    });
    const second = await bulk(
      ndjson({ index: { _index: "a", _id: "1" } }, doc, { create: { _index: "a", _id: "2" } }, doc),
    );
    expect(second.errors).toBe(true);
    expect(second.items[0]!["index"]).toMatchObject({ _version: 2, result: "updated", status: 200 });
    expect(second.items[1]!["create"]).toMatchObject({
      status: 409,
      error: {
        type: "version_conflict_engine_exception",
        reason: "[2]: version conflict, document already exists (current version [1])",
      },
    });
  });

  it("refuses a body without the final newline", async () => {
    const body = ndjson({ index: { _index: "a", _id: "1" } }, {}).slice(0, -1);
    await expect(bulk(body)).rejects.toMatchObject({ meta: { statusCode: 400 } });
  });

  it("refuses an upper-case index name per item", async () => {
    const answer = await bulk(ndjson({ index: { _index: "Logs", _id: "1" } }, { a: 1 }));
    expect(answer.items[0]!["index"]!.error!.type).toBe("invalid_index_name_exception");
  });

  it("maps new fields dynamically and refuses the one that crosses the field limit", async () => {
    await putTemplate("t", {
      index_patterns: ["x-*"],
      template: { settings: { "index.mapping.total_fields.limit": 5 } },
    });
    const lines = Array.from({ length: 8 }, (_, i) => [
      { index: { _index: "x-1", _id: String(i) } },
      { [`f${i}`]: i },
    ]).flat();
    const answer = await bulk(ndjson(...lines));
    const statuses = answer.items.map((i) => i["index"]!.status);
    expect(statuses).toEqual([201, 201, 201, 201, 201, 400, 400, 400]);
    expect(answer.items[5]!["index"]!.error).toMatchObject({
      type: "illegal_argument_exception",
      reason: "Limit of total fields [5] has been exceeded",
    });
    expect(fake.fieldCount("x-1")).toBe(5);
  });

  it("adds no fields for unknown keys when dynamic is false, nor for flat_object keys", async () => {
    await putTemplate("t", {
      index_patterns: ["x-*"],
      template: { mappings: { dynamic: false, properties: { attrs: { type: "flat_object" } } } },
    });
    await bulk(
      ndjson(
        { index: { _index: "x-1", _id: "1" } },
        { other: 1, attrs: { a: "1", "b.c": "2", d: { e: "3" } } },
      ),
    );
    expect(fake.fieldCount("x-1")).toBe(1);
  });

  it("refuses unknown fields under strict dynamic mapping", async () => {
    await putTemplate("t", {
      index_patterns: ["x-*"],
      template: { mappings: { dynamic: "strict", properties: {} } },
    });
    const answer = await bulk(ndjson({ index: { _index: "x-1", _id: "1" } }, { nope: 1 }));
    expect(answer.items[0]!["index"]!.error!.type).toBe("strict_dynamic_mapping_exception");
  });

  it("refuses values that do not fit the mapped type", async () => {
    await putTemplate("t", {
      index_patterns: ["x-*"],
      template: {
        mappings: {
          properties: { n: { type: "integer" }, t: { type: "date" }, o: { type: "object", properties: {} } },
        },
      },
    });
    const answer = await bulk(
      ndjson(
        { index: { _index: "x-1", _id: "1" } },
        { n: "abc" },
        { index: { _index: "x-1", _id: "2" } },
        { t: "yesterday" },
        { index: { _index: "x-1", _id: "3" } },
        { o: "flat" },
        { index: { _index: "x-1", _id: "4" } },
        { n: 2 ** 40 },
      ),
    );
    expect(answer.items.map((i) => i["index"]!.error?.type)).toEqual(
      Array(4).fill("mapper_parsing_exception"),
    );
  });

  it("refuses writes other than create to a data stream", async () => {
    await putTemplate("t", { index_patterns: ["ds-*"], data_stream: {} });
    const answer = await bulk(
      ndjson({ index: { _index: "ds-a", _id: "1" } }, { "@timestamp": "2026-01-05T00:00:00Z" }),
    );
    expect(answer.items[0]!["index"]!.error!.reason).toMatch(/op_type of create/);
  });
});

describe("fake _search", () => {
  it("refuses a query type it does not know, as OpenSearch does", async () => {
    await bulk(ndjson({ index: { _index: "a", _id: "1" } }, { x: 1 }));
    await expect(
      client.transport.request({
        method: "POST",
        path: "/a/_search",
        body: { query: { query_string: { query: "x" } } },
      }),
    ).rejects.toMatchObject({ meta: { statusCode: 400, body: { error: { type: "parsing_exception" } } } });
  });

  it("answers 404 for a missing concrete index", async () => {
    await expect(
      client.transport.request({ method: "POST", path: "/missing/_search", body: {} }),
    ).rejects.toMatchObject({
      meta: { statusCode: 404 },
    });
  });
});

describe("fake templates and ISM", () => {
  it("refuses a mapping type OpenSearch does not have", async () => {
    await expect(
      putTemplate("t", {
        index_patterns: ["x-*"],
        template: { mappings: { properties: { a: { type: "flattened" } } } },
      }),
    ).rejects.toMatchObject({ meta: { statusCode: 400 } });
  });

  it("refuses a plain PUT over an existing policy", async () => {
    const policy = { policy: { default_state: "a", states: [{ name: "a", actions: [], transitions: [] }] } };
    await client.transport.request({ method: "PUT", path: "/_plugins/_ism/policies/p", body: policy });
    await expect(
      client.transport.request({ method: "PUT", path: "/_plugins/_ism/policies/p", body: policy }),
    ).rejects.toMatchObject({ meta: { statusCode: 409 } });
  });
});
