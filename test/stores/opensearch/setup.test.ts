import type { Client } from "@opensearch-project/opensearch";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSearchMappings } from "../../../core/event/projections/opensearch.js";
import {
  containsSubset,
  indexTemplateBody,
  ismPolicyBody,
  OpenSearchSetupError,
  setupOpenSearch,
  setupOptionsFromConfig,
} from "../../../stores/opensearch/setup.js";
import { FakeOpenSearch } from "../../support/fake-opensearch.js";
import { fakeClient, storeConfig } from "./helpers.js";

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

const OPTIONS = { templateName: "logpipe-logs", ismPolicyId: "logpipe-logs", deleteAfterDays: 30 };

function writes() {
  return fake.requests.filter((r) => r.method === "PUT" || r.method === "POST").map((r) => r.path);
}

describe("index template", () => {
  it("takes its mappings from the event schema projection", () => {
    const body = indexTemplateBody({ indexPrefix: "logs-" });
    expect(body.template.mappings).toEqual(openSearchMappings());
    expect(body.index_patterns).toEqual(["logs-*"]);
  });

  it("carries the field cap, shards and replicas it is given", () => {
    const body = indexTemplateBody({ totalFieldsLimit: 300, shards: 3, replicas: 2 });
    expect(body.template.settings).toMatchObject({
      "index.mapping.total_fields.limit": 300,
      "index.number_of_shards": 3,
      "index.number_of_replicas": 2,
    });
  });

  it("is installed under its name, covering the prefix", async () => {
    await setupOpenSearch(client, { ...OPTIONS, indexPrefix: "app-logs-" });
    const stored = fake.templates.get("logpipe-logs")!;
    expect(stored["index_patterns"]).toEqual(["app-logs-*"]);
    expect((stored["template"] as { mappings: unknown }).mappings).toEqual(openSearchMappings());
  });

  it("declares a data stream when the store writes to one", async () => {
    await setupOpenSearch(client, { ...OPTIONS, dataStream: true });
    expect(fake.templates.get("logpipe-logs")!["data_stream"]).toEqual({
      timestamp_field: { name: "@timestamp" },
    });
  });
});

describe("ISM policy", () => {
  it("keeps indices hot and deletes them after the retention", () => {
    const { policy } = ismPolicyBody({ deleteAfterDays: 30 });
    expect(policy.default_state).toBe("hot");
    expect(policy.states).toEqual([
      {
        name: "hot",
        actions: [],
        transitions: [{ state_name: "delete", conditions: { min_index_age: "30d" } }],
      },
      { name: "delete", actions: [{ delete: {} }], transitions: [] },
    ]);
    expect(policy.ism_template).toEqual([{ index_patterns: ["logs-*"], priority: 100 }]);
  });

  it("rolls data streams over in the hot state", () => {
    const { policy } = ismPolicyBody({ deleteAfterDays: 7, dataStream: true, rolloverSize: "10gb" });
    expect(policy.states[0]!.actions).toEqual([{ rollover: { min_size: "10gb", min_index_age: "1d" } }]);
  });
});

describe("setupOpenSearch", () => {
  it("installs the template and creates the policy", async () => {
    const result = await setupOpenSearch(client, OPTIONS);
    expect(result.ism).toEqual({ id: "logpipe-logs", outcome: "created" });
    expect(writes()).toEqual(["/_index_template/logpipe-logs", "/_plugins/_ism/policies/logpipe-logs"]);
    expect(fake.policies.get("logpipe-logs")!.policy["default_state"]).toBe("hot");
  });

  it("leaves an identical policy alone on a second run", async () => {
    await setupOpenSearch(client, OPTIONS);
    fake.requests.length = 0;
    const result = await setupOpenSearch(client, OPTIONS);
    expect(result.ism.outcome).toBe("unchanged");
    expect(writes()).toEqual(["/_index_template/logpipe-logs"]);
    expect(fake.policies.get("logpipe-logs")!.version).toBe(1);
  });

  it("updates a changed policy with its seq_no and primary term", async () => {
    await setupOpenSearch(client, OPTIONS);
    const before = fake.policies.get("logpipe-logs")!;
    fake.requests.length = 0;
    const result = await setupOpenSearch(client, { ...OPTIONS, deleteAfterDays: 90 });
    expect(result.ism.outcome).toBe("updated");
    const put = fake.requests.find((r) => r.method === "PUT" && r.path.includes("_ism"))!;
    expect(put.query).toEqual({ if_seq_no: String(before.seqNo), if_primary_term: "1" });
    expect(JSON.stringify(fake.policies.get("logpipe-logs")!.policy)).toContain('"min_index_age":"90d"');
  });

  it("skips ISM when no policy id is given", async () => {
    const result = await setupOpenSearch(client, { templateName: "t", deleteAfterDays: 7 });
    expect(result.ism).toEqual({ outcome: "skipped" });
    expect(fake.policies.size).toBe(0);
  });

  it("derives its options from the store config", async () => {
    const config = storeConfig(fake.endpoint, {
      index_prefix: "svc-",
      template: { name: "svc", total_fields_limit: 500 },
      ism: { policy_id: "svc-retention", delete_after_days: 3 },
    });
    await setupOpenSearch(client, setupOptionsFromConfig(config));
    expect(fake.templates.get("svc")!["index_patterns"]).toEqual(["svc-*"]);
    expect(JSON.stringify(fake.policies.get("svc-retention")!.policy)).toContain('"min_index_age":"3d"');
  });

  it("says which step failed and why", async () => {
    fake.failRequests(
      { status: 403, reason: "no permissions for [cluster:admin/opendistro/ism/policy/write]" },
      {
        path: /_ism/,
      },
    );
    const failure = await setupOpenSearch(client, OPTIONS).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenSearchSetupError);
    expect(failure).toMatchObject({ step: "ism_policy", message: expect.stringContaining("no permissions") });
  });

  it("reports a template the cluster refuses", async () => {
    fake.failRequests(
      { status: 400, type: "illegal_argument_exception", reason: "unknown setting [index.codec]" },
      {
        path: /_index_template/,
      },
    );
    await expect(setupOpenSearch(client, OPTIONS)).rejects.toMatchObject({
      step: "index_template",
      message: expect.stringContaining("unknown setting"),
    });
  });
});

describe("containsSubset", () => {
  it("tolerates the defaults OpenSearch adds to a stored policy", () => {
    const desired = ismPolicyBody({ deleteAfterDays: 5 }).policy;
    const stored = {
      policy_id: "p",
      last_updated_time: 1,
      ...desired,
      states: desired.states.map((s) => ({
        ...s,
        actions: s.actions.map((a) => ({ retry: { count: 3 }, ...a })),
      })),
      ism_template: [{ ...desired.ism_template[0], last_updated_time: 1 }],
    };
    expect(containsSubset(stored, desired)).toBe(true);
    expect(containsSubset(stored, ismPolicyBody({ deleteAfterDays: 6 }).policy)).toBe(false);
  });

  it("does not treat a missing array element as contained", () => {
    expect(containsSubset({ a: [1] }, { a: [1, 2] })).toBe(false);
    expect(containsSubset({ a: "1" }, { a: 1 })).toBe(false);
  });
});
