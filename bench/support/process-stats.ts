import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

let clockTicks: number | undefined;

/** Clock ticks per second of /proc's CPU times, asked once, when first needed. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU seconds a process has spent so far in user and in kernel mode, from /proc. */
export function cpuTimes(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the command name.
  return { user: Number(fields[11]) / ticksPerSecond(), system: Number(fields[12]) / ticksPerSecond() };
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const { user, system } = cpuTimes(pid);
  return user + system;
}

/** Peak resident set size in MiB (VmHWM). */
export function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

export const CLI = fileURLToPath(new URL("../../cli/main.js", import.meta.url));

/** Starts the built CLI with `args` and resolves once it printed its listeners. */
export async function startCli(args: string[]): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => {
    out += d;
  });
  child.stderr!.on("data", (d) => {
    out += d;
  });
  const deadline = Date.now() + 60_000;
  while (!/^ {2}(api|metrics)\s+\S+/m.test(out)) {
    if (child.exitCode !== null) throw new Error(`logpipe exited ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) throw new Error(`logpipe did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, output: () => out };
}

export function listener(output: string, name: string): string {
  const found = new RegExp(`^ {2}${name}\\s+(\\S+)`, "m").exec(output)?.[1];
  if (!found) throw new Error(`no ${name} listener in:\n${output}`);
  return found;
}

/** Reads one counter (summed over its label sets matching `labelFilter`) from Prometheus text. */
export async function readCounter(metricsUrl: string, name: string, labelFilter = ""): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (
      line.startsWith(name) &&
      (line[name.length] === "{" || line[name.length] === " ") &&
      line.includes(labelFilter)
    ) {
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return total;
}

/** A measurement to three decimals, as the benches print them. */
export function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
