import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";

/**
 * What the fakes of AWS JSON 1.1 services (CloudWatch Logs, Firehose, Athena) share: the error
 * a handler throws to answer `{"__type": …}`, and the response framing the SDK expects.
 */
export class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** Writes one JSON 1.1 response with the headers the real services send. */
export function sendAwsJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/x-amz-json-1.1",
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": randomUUID(),
    ...headers,
  });
  res.end(text);
}
