import type { Client } from "@opensearch-project/opensearch";
import { openSearchIndexTemplate } from "../../core/event/projections/opensearch.js";
import { classifyRequestError } from "./classify.js";
import { OpenSearchApi } from "./client.js";
import type { OpenSearchStoreConfig } from "./config.js";
import { indexPatternFor } from "./naming.js";

export interface SetupOptions {
  /** `_index_template/<name>`. */
  templateName: string;
  /** Index names start with it; default `logs-`. */
  indexPrefix?: string;
  dataStream?: boolean;
  totalFieldsLimit?: number;
  shards?: number;
  replicas?: number;
  /** `_plugins/_ism/policies/<id>`; without it no ISM policy is installed (OpenSearch Serverless). */
  ismPolicyId?: string;
  /** Indices are deleted this many days after creation. */
  deleteAfterDays: number;
  /** Data streams only: roll the write index over at this size (or after a day). Default `30gb`. */
  rolloverSize?: string;
}

export type IsmOutcome = "created" | "updated" | "unchanged" | "skipped";

export interface SetupResult {
  template: { name: string; body: Record<string, unknown> };
  ism: { id?: string; outcome: IsmOutcome };
}

/** A setup step OpenSearch refused. */
export class OpenSearchSetupError extends Error {
  override name = "OpenSearchSetupError";
  constructor(
    readonly step: "index_template" | "ism_policy",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The setup options a store config implies (what `logpipe opensearch setup` installs). */
export function setupOptionsFromConfig(config: OpenSearchStoreConfig): SetupOptions {
  const t = config.template;
  return {
    templateName: t.name,
    indexPrefix: config.index_prefix,
    dataStream: config.data_stream,
    ...(t.total_fields_limit !== undefined ? { totalFieldsLimit: t.total_fields_limit } : {}),
    ...(t.shards !== undefined ? { shards: t.shards } : {}),
    ...(t.replicas !== undefined ? { replicas: t.replicas } : {}),
    ...(config.ism.enabled ? { ismPolicyId: config.ism.policy_id } : {}),
    deleteAfterDays: config.ism.delete_after_days,
    rolloverSize: config.ism.rollover_size,
  };
}

/**
 * The index template body: the event schema's projection (mappings and settings), applied to
 * every index the store writes. The policy is attached by the policy's own `ism_template`
 * rather than the index setting, which newer OpenSearch versions no longer accept.
 */
export function indexTemplateBody(options: Omit<SetupOptions, "templateName" | "deleteAfterDays">) {
  return openSearchIndexTemplate({
    indexPatterns: [indexPatternFor(options.indexPrefix ?? "logs-")],
    ...(options.totalFieldsLimit !== undefined ? { totalFieldsLimit: options.totalFieldsLimit } : {}),
    ...(options.shards !== undefined ? { shards: options.shards } : {}),
    ...(options.replicas !== undefined ? { replicas: options.replicas } : {}),
    ...(options.dataStream ? { dataStream: true } : {}),
  });
}

/**
 * The ISM policy: indices stay `hot` and are deleted `deleteAfterDays` after creation. Data
 * streams also roll over in `hot` (daily indices need no rollover: the name changes each day).
 * `ism_template` attaches the policy to new indices matching the store's pattern.
 */
export function ismPolicyBody(
  options: Pick<SetupOptions, "indexPrefix" | "dataStream" | "deleteAfterDays" | "rolloverSize">,
) {
  const rollover = options.dataStream
    ? [{ rollover: { min_size: options.rolloverSize ?? "30gb", min_index_age: "1d" } }]
    : [];
  return {
    policy: {
      description: `logpipe: delete log indices ${options.deleteAfterDays} days after creation`,
      default_state: "hot",
      states: [
        {
          name: "hot",
          actions: rollover,
          transitions: [
            { state_name: "delete", conditions: { min_index_age: `${options.deleteAfterDays}d` } },
          ],
        },
        { name: "delete", actions: [{ delete: {} }], transitions: [] },
      ],
      ism_template: [{ index_patterns: [indexPatternFor(options.indexPrefix ?? "logs-")], priority: 100 }],
    },
  };
}

/**
 * True when every key of `desired` is in `actual` with an equal value (arrays element by
 * element). OpenSearch adds defaults and timestamps to a stored policy (`retry` on each action,
 * `last_updated_time`, `schema_version`), so equality would never hold; containment does.
 */
export function containsSubset(actual: unknown, desired: unknown): boolean {
  if (Array.isArray(desired)) {
    return (
      Array.isArray(actual) &&
      actual.length === desired.length &&
      desired.every((d, i) => containsSubset(actual[i], d))
    );
  }
  if (typeof desired === "object" && desired !== null) {
    if (typeof actual !== "object" || actual === null || Array.isArray(actual)) return false;
    const a = actual as Record<string, unknown>;
    return Object.entries(desired).every(([k, v]) => Object.hasOwn(a, k) && containsSubset(a[k], v));
  }
  return Object.is(actual, desired);
}

function refused(step: OpenSearchSetupError["step"], what: string, error: unknown): OpenSearchSetupError {
  const failure = classifyRequestError(error);
  return new OpenSearchSetupError(step, `${what} failed: ${failure.message}`, { cause: error });
}

/**
 * Installs the index template and the ISM policy. Idempotent: the template is put as a whole
 * (same body, same result); the policy is read first and written only when it differs, as an
 * update guarded by its `if_seq_no`/`if_primary_term` (ISM refuses a plain PUT over an existing
 * policy).
 */
export async function setupOpenSearch(client: Client, options: SetupOptions): Promise<SetupResult> {
  const api = new OpenSearchApi(client);
  const template = indexTemplateBody(options);
  try {
    await api.putIndexTemplate(options.templateName, template);
  } catch (error) {
    throw refused("index_template", `PUT _index_template/${options.templateName}`, error);
  }
  const result: SetupResult = {
    template: { name: options.templateName, body: template },
    ism: { outcome: "skipped" },
  };
  const id = options.ismPolicyId;
  if (id === undefined) return result;

  const desired = ismPolicyBody(options);
  let current: Awaited<ReturnType<OpenSearchApi["getIsmPolicy"]>>;
  try {
    current = await api.getIsmPolicy(id);
  } catch (error) {
    throw refused("ism_policy", `GET _plugins/_ism/policies/${id}`, error);
  }
  if (current && containsSubset(current.policy, desired.policy))
    return { ...result, ism: { id, outcome: "unchanged" } };
  try {
    await api.putIsmPolicy(id, desired, current);
  } catch (error) {
    throw refused("ism_policy", `PUT _plugins/_ism/policies/${id}`, error);
  }
  return { ...result, ism: { id, outcome: current ? "updated" : "created" } };
}
