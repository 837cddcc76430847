import type { ChildProcess } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { readCounter } from "../../bench/support/process-stats.js";
import type { DeadLetter } from "../../collectors/dead-letter/dead-letter.js";
import { type RunResult, runCli, startService } from "./cli-process.js";

/**
 * Runs `logpipe forward` (the built CLI) as a child process for end-to-end tests, with static
 * fake credentials so the real SDK signs requests to the wire-level fakes without looking for
 * real ones.
 */

/** Environment for a child that talks to fakes: static credentials, no instance metadata. */
export function fakeAwsEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith("AWS_")) delete env[key];
  }
  return {
    ...env,
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_REGION: "us-east-1",
    AWS_EC2_METADATA_DISABLED: "true",
  };
}

/** Writes `config` as YAML to `<dir>/logpipe.yaml` and returns its path. */
export async function writeForwardConfig(dir: string, config: Record<string, unknown>): Promise<string> {
  const path = join(dir, "logpipe.yaml");
  await writeFile(path, stringify(config));
  return path;
}

/** A long-running `logpipe forward` child and the addresses it printed. */
export interface ForwardProcess {
  child: ChildProcess;
  /** `tcp://host:port` of the Fluent forward input. */
  forward: URL;
  /** Base URL of the HTTP input. */
  http: URL;
  /** Base URL of the /health and /metrics listener. */
  metrics: string;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `logpipe forward --config FILE` with every port picked free, and waits for its listeners. */
export async function startForward(
  configPath: string,
  dataDir: string,
  timeoutMs = 30_000,
): Promise<ForwardProcess> {
  const args = ["forward", "--config", configPath, "--data-dir", dataDir];
  args.push("--forward-port", "0", "--http-port", "0", "--metrics-port", "0");
  const service = await startService(args, "metrics", { timeoutMs, env: fakeAwsEnv() });
  return {
    child: service.child,
    forward: new URL(service.listener("forward") ?? "tcp://invalid:0"),
    http: new URL(service.listener("http") ?? "http://invalid:0"),
    metrics: service.listener("metrics")!.replace(/\/$/, ""),
    output: service.output,
    stop: service.stop,
  };
}

/** Runs the CLI to completion with the fake credentials. */
export function runCliWithFakeAws(args: string[], timeoutMs = 60_000): Promise<RunResult> {
  return runCli(args, { timeoutMs, env: fakeAwsEnv() });
}

/** Sums one Prometheus metric over the label sets whose text contains `labelFilter`. */
export function readMetric(metricsBase: string, name: string, labelFilter = ""): Promise<number> {
  return readCounter(`${metricsBase}/metrics`, name, labelFilter);
}

/** Polls `check` every `intervalMs` until it returns true; throws with `what` after `timeoutMs`. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** One line of a dead-letter file, as the end-to-end tests read it. */
export type DeadLetterLine = Omit<DeadLetter, "event"> & { event: { attrs: { seq: string } } };

/** The dead-letter files under `dataDir` and every letter in them. */
export async function readDeadLetters(
  dataDir: string,
): Promise<{ files: string[]; letters: DeadLetterLine[] }> {
  const dir = join(dataDir, "dead-letter");
  const files = (await readdir(dir)).filter((f) => f.endsWith(".ndjson")).sort();
  const letters: DeadLetterLine[] = [];
  for (const file of files) {
    for (const line of (await readFile(join(dir, file), "utf8")).split("\n")) {
      if (line.trim() !== "") letters.push(JSON.parse(line) as DeadLetterLine);
    }
  }
  return { files, letters };
}
