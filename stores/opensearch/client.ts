import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { Client } from "@opensearch-project/opensearch";
import { AwsSigv4Signer } from "@opensearch-project/opensearch/aws-v3";
import type { openSearchIndexTemplate } from "../../core/event/projections/opensearch.js";
import type { OpenSearchStoreConfig } from "./config.js";

/** AWS credentials as the SigV4 signer takes them. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When they stop working; the signer fetches new ones shortly before. */
  expiration?: Date;
}

export interface OpenSearchClientDeps {
  /** Credentials for SigV4; the AWS default chain (`defaultProvider()`) when absent. */
  getCredentials?: () => Promise<AwsCredentials>;
}

/**
 * The OpenSearch client for a store config. `maxRetries: 0` turns the client's own retries off:
 * the store retries through the core retry helper, which resends only the items that failed and
 * owns backoff and the time budget; client retries underneath would resend whole bodies.
 */
export function createOpenSearchClient(
  config: Pick<OpenSearchStoreConfig, "endpoint" | "auth" | "request_timeout_ms">,
  deps: OpenSearchClientDeps = {},
): Client {
  const common = { node: config.endpoint, maxRetries: 0, requestTimeout: config.request_timeout_ms };
  const auth = config.auth;
  switch (auth.type) {
    case "none":
      return new Client(common);
    case "basic":
      return new Client({ ...common, auth: { username: auth.username, password: auth.password } });
    case "sigv4":
      return new Client({
        ...common,
        ...AwsSigv4Signer({
          region: auth.region,
          service: auth.service,
          getCredentials: deps.getCredentials ?? defaultProvider(),
        }),
      });
  }
}

/** The parts of a client promise this module uses: awaitable and abortable. */
interface Abortable<T> extends PromiseLike<T> {
  abort(): void;
}

/** Rejects promptly on abort and aborts the HTTP request, so shutdown never waits for a timeout. */
async function abortable<T>(request: Abortable<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return await request;
  if (signal.aborted) {
    request.abort();
    throw signal.reason;
  }
  const onAbort = () => request.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await request;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** An ISM policy as `GET _plugins/_ism/policies/<id>` returns it. */
export interface StoredIsmPolicy {
  seqNo: number;
  primaryTerm: number;
  policy: Record<string, unknown>;
}

/** The calls the store makes; the only place the OpenSearch client is touched. */
export class OpenSearchApi {
  constructor(readonly client: Client) {}

  /**
   * Sends an NDJSON body as is. The transport's `bulkBody` takes a string without re-serialising
   * it, so the bytes sent are exactly the ones the request builder counted.
   */
  async bulk(body: string, signal?: AbortSignal): Promise<unknown> {
    const response = await abortable(
      this.client.transport.request({ method: "POST", path: "/_bulk", bulkBody: body }),
      signal,
    );
    return response.body;
  }

  async search(index: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<unknown> {
    const response = await abortable(
      this.client.search({
        index,
        body,
        // A pattern that matches nothing yet (a fresh cluster) is an empty answer, not an error.
        ignore_unavailable: true,
        allow_no_indices: true,
      }),
      signal,
    );
    return response.body;
  }

  async putIndexTemplate(name: string, body: ReturnType<typeof openSearchIndexTemplate>): Promise<void> {
    await this.client.indices.putIndexTemplate({ name, body });
  }

  async getIsmPolicy(id: string): Promise<StoredIsmPolicy | undefined> {
    const response = await this.client.transport.request(
      { method: "GET", path: `/_plugins/_ism/policies/${encodeURIComponent(id)}` },
      { ignore: [404] },
    );
    if (response.statusCode === 404) return undefined;
    const body = response.body as Record<string, unknown>;
    const seqNo = body["_seq_no"];
    const primaryTerm = body["_primary_term"];
    const policy = body["policy"];
    if (
      typeof seqNo !== "number" ||
      typeof primaryTerm !== "number" ||
      typeof policy !== "object" ||
      !policy
    ) {
      throw new Error(`unexpected answer to GET _plugins/_ism/policies/${id}`);
    }
    return { seqNo, primaryTerm, policy: policy as Record<string, unknown> };
  }

  /** Creates the policy, or updates it when `current` (from `getIsmPolicy`) is given. */
  async putIsmPolicy(
    id: string,
    body: Record<string, unknown>,
    current?: { seqNo: number; primaryTerm: number },
  ): Promise<void> {
    await this.client.transport.request({
      method: "PUT",
      path: `/_plugins/_ism/policies/${encodeURIComponent(id)}`,
      ...(current
        ? { querystring: { if_seq_no: String(current.seqNo), if_primary_term: String(current.primaryTerm) } }
        : {}),
      body,
    });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
