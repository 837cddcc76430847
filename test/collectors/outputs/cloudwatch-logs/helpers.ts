export { instantClock, makeEvent, T0 } from "../../../support/aws-output.js";

export function at(ms: number): string {
  return new Date(ms).toISOString();
}
