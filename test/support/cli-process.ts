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
export async function runCli(
  args: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.env ? { env: options.env } : {}),
  });
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

/** A long-running CLI child (`up`, `forward`) and the listener lines it printed. */
export interface ServiceProcess {
  child: ChildProcess;
  /** The address printed on the `  <name>  <address>` line, if any. */
  listener(name: string): string | undefined;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the CLI with `args` and waits until it printed the `  <readyListener> …` line. */
export async function startService(
  args: string[],
  readyListener: string,
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ServiceProcess> {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.env ? { env: options.env } : {}),
  });
  let out = "";
  child.stdout!.on("data", (d) => {
    out += d;
  });
  child.stderr!.on("data", (d) => {
    out += d;
  });
  const line = (name: string) => new RegExp(`^ {2}${name}\\s+(\\S+)`, "m").exec(out)?.[1];
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (line(readyListener) === undefined) {
    if (child.exitCode !== null) throw new Error(`logpipe ${args[0]} exited ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`logpipe ${args[0]} did not start in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    listener: line,
    output: () => out,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, "exit");
      child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

/** A `logpipe up` child and the addresses it printed. */
export interface UpProcess {
  child: ChildProcess;
  forward: URL;
  http: URL;
  api: string;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startUp(args: string[], timeoutMs = 60_000): Promise<UpProcess> {
  const service = await startService(["up", ...args], "api", { timeoutMs });
  return {
    child: service.child,
    forward: new URL(service.listener("forward") ?? "tcp://invalid:0"),
    http: new URL(service.listener("http") ?? "http://invalid:0"),
    api: service.listener("api")!,
    output: service.output,
    stop: service.stop,
  };
}
