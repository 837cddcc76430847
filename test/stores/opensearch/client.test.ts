import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MetricsRegistry } from "../../../core/metrics.js";
import { createOpenSearchClient } from "../../../stores/opensearch/client.js";
import { OpenSearchStore } from "../../../stores/opensearch/store.js";
import { FakeOpenSearch } from "../../support/fake-opensearch.js";
import { instantClock, makeEvents, storeConfig } from "./helpers.js";

let fake: FakeOpenSearch;

beforeEach(async () => {
  fake = await FakeOpenSearch.start();
});

afterEach(async () => {
  await fake.close();
});

const CREDENTIALS = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};

async function writeWith(
  auth: Record<string, unknown>,
  getCredentials?: () => Promise<typeof CREDENTIALS & { sessionToken?: string }>,
) {
  const store = new OpenSearchStore(storeConfig(fake.endpoint, { auth }), {
    metrics: new MetricsRegistry(),
    clock: instantClock(),
    ...(getCredentials ? { getCredentials } : {}),
  });
  try {
    return await store.write(makeEvents(2));
  } finally {
    await store.shutdown();
  }
}

describe("SigV4", () => {
  it("signs bulk requests for Amazon OpenSearch Service", async () => {
    const outcomes = await writeWith({ type: "sigv4", region: "eu-west-1" }, async () => CREDENTIALS);
    expect(outcomes.every((o) => o.status === "accepted")).toBe(true);
    const request = fake.bulkRequests()[0]!;
    const authorization = String(request.headers.authorization);
    expect(authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/es\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(request.headers["x-amz-date"]).toMatch(/^\d{8}T\d{6}Z$/);
    // The signature covers exactly the bytes sent.
    expect(request.headers["x-amz-content-sha256"]).toBe(
      createHash("sha256").update(request.body).digest("hex"),
    );
  });

  it("signs for OpenSearch Serverless with the aoss service and a session token", async () => {
    await writeWith({ type: "sigv4", region: "us-east-1", service: "aoss" }, async () => ({
      ...CREDENTIALS,
      sessionToken: "session-token",
    }));
    const headers = fake.bulkRequests()[0]!.headers;
    expect(String(headers.authorization)).toContain("/us-east-1/aoss/aws4_request");
    expect(headers["x-amz-security-token"]).toBe("session-token");
  });

  it("answers retryable when credentials cannot be loaded, sending nothing unsigned", async () => {
    const outcomes = await writeWith({ type: "sigv4", region: "eu-west-1" }, async () => {
      throw new Error("Could not load credentials from any providers");
    });
    expect(outcomes[0]).toMatchObject({
      status: "retryable",
      reason: expect.stringContaining("Could not load credentials"),
    });
    expect(fake.requests).toHaveLength(0);
  });
});

describe("basic auth", () => {
  it("sends the configured user", async () => {
    fake.basicAuth = { username: "logpipe", password: "s3cret" };
    const outcomes = await writeWith({ type: "basic", username: "logpipe", password: "s3cret" });
    expect(outcomes.every((o) => o.status === "accepted")).toBe(true);
  });

  it("rejects as auth when the cluster refuses the user", async () => {
    fake.basicAuth = { username: "logpipe", password: "s3cret" };
    const outcomes = await writeWith({ type: "basic", username: "logpipe", password: "wrong" });
    expect(outcomes[0]).toMatchObject({
      status: "rejected",
      code: "auth",
      reason: expect.stringContaining("401"),
    });
  });

  it("sends no credentials with auth none", async () => {
    await writeWith({ type: "none" });
    expect(fake.bulkRequests()[0]!.headers.authorization).toBeUndefined();
  });
});

describe("createOpenSearchClient", () => {
  it("turns the client's own retries off, so only the store decides what is resent", async () => {
    const client = createOpenSearchClient(storeConfig(fake.endpoint));
    fake.failRequests({ status: 503 }, { path: /^\/$/ });
    await expect(client.info()).rejects.toMatchObject({ meta: { statusCode: 503 } });
    expect(fake.requests).toHaveLength(1);
    await client.close();
  });
});
