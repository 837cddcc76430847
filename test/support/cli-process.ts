import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The built CLI: `npm test` builds dist/ before running the tests that start it as a child. */
export const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion. */
export async function runCli(args: string[], options: { timeoutMs?: number } = {}): Promise<RunResult> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** A long-running `logpipe up` child and the addresses it printed. */
export interface UpProcess {
  child: ChildProcess;
  forward: URL;
  http: URL;
  api: string;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startUp(args: string[], timeoutMs = 60_000): Promise<UpProcess> {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, "up", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => {
    out += d;
  });
  child.stderr!.on("data", (d) => {
    out += d;
  });
  const deadline = Date.now() + timeoutMs;
  while (!/^ {2}api\s+(\S+)/m.test(out)) {
    if (child.exitCode !== null) throw new Error(`logpipe up exited ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`logpipe up did not start in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const find = (name: string) => new RegExp(`^ {2}${name}\\s+(\\S+)`, "m").exec(out)?.[1];
  return {
    child,
    forward: new URL(find("forward") ?? "tcp://invalid:0"),
    http: new URL(find("http") ?? "http://invalid:0"),
    api: find("api")!,
    output: () => out,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = (await once(child, "exit")) as [number | null];
      return code;
    },
  };
}
