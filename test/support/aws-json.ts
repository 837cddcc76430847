import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

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

/**
 * A request as the fakes' services read it: the operation `x-amz-target` names (less the
 * service's `prefix`) and the raw body. Read before it is checked, so a refused request is still
 * recorded under its operation.
 */
export async function readAwsJsonRequest(
  req: IncomingMessage,
  prefix: string,
): Promise<{ operation: string; bytes: Buffer }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const target = String(req.headers["x-amz-target"] ?? "");
  return {
    operation: target.startsWith(prefix) ? target.slice(prefix.length) : target,
    bytes: Buffer.concat(chunks),
  };
}

/**
 * Refuses what the real services refuse before reading a body: anything but `POST /`, another
 * content type, and (when `signed`) a request without SigV4. Then parses the body, which must be
 * a JSON object (empty counts as `{}`). Throws `ServiceError`s with the services' types.
 */
export function checkAwsJsonRequest(
  req: IncomingMessage,
  bytes: Buffer,
  options: { signed: boolean; notPost: ServiceError },
): Record<string, unknown> {
  if (req.method !== "POST" || req.url !== "/") throw options.notPost;
  if (!String(req.headers["content-type"] ?? "").startsWith("application/x-amz-json-1.1")) {
    throw new ServiceError("SerializationException", "expected content-type application/x-amz-json-1.1");
  }
  if (options.signed && !req.headers.authorization?.startsWith("AWS4-HMAC-SHA256 ")) {
    throw new ServiceError("MissingAuthenticationTokenException", "Missing Authentication Token");
  }
  try {
    const text = bytes.toString("utf8");
    const parsed: unknown = text === "" ? {} : JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new Error("not an object");
    return parsed as Record<string, unknown>;
  } catch {
    throw new ServiceError("SerializationException", "request body is not a JSON object");
  }
}
