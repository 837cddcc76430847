import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** What a running `logpipe up` leaves in its data directory so the CLI can find it. */
export interface RunState {
  pid: number;
  api: string;
  startedAt: string;
}

const FILE = "logpipe.run.json";

export async function writeRunState(dataDir: string, state: RunState): Promise<void> {
  await writeFile(join(dataDir, FILE), `${JSON.stringify(state)}\n`);
}

export async function clearRunState(dataDir: string): Promise<void> {
  await rm(join(dataDir, FILE), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The running stack for this data directory, or undefined when none runs (stale files ignored). */
export async function readRunState(dataDir: string): Promise<RunState | undefined> {
  try {
    const state = JSON.parse(await readFile(join(dataDir, FILE), "utf8")) as RunState;
    return alive(state.pid) ? state : undefined;
  } catch {
    return undefined;
  }
}
