import { InvalidArgumentError } from "commander";

/** commander parser for a TCP port option; 0 means "pick a free port". */
export function portOption(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError("expected a port number 0-65535");
  return port;
}

export function positiveIntOption(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError("expected a positive integer");
  return n;
}
