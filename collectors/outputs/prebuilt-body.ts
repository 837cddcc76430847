import type { BuildMiddleware, MetadataBearer, MiddlewareStack } from "@smithy/types";

/**
 * The AWS outputs write their request bodies themselves and hand them to the SDK, which still
 * signs, sends, and parses the answer as for any command. Its generic serialiser walks every
 * value in JavaScript (it escapes each message character by character, and base64-encodes record
 * data byte by byte), which cost more than the rest of an output together; the engine's
 * `JSON.stringify` and Buffer's base64 do the same work natively.
 *
 * Use: `withBody(command, body)` on a command made with a small placeholder input.
 */

/** Where the body is replaced: the build step, ahead of the content-length middleware and of signing. */
const REPLACE_BODY = { step: "build", priority: "high", name: "logpipePrebuiltBody" } as const;

/**
 * Makes `command` send `body` in place of what the SDK would serialise. Given as bytes: a string
 * body of megabytes is converted again on its way to the socket.
 */
export function withBody<I extends object, O extends MetadataBearer>(
  command: { middlewareStack: MiddlewareStack<I, O> },
  body: Uint8Array,
): void {
  const replace: BuildMiddleware<I, O> = (next) => (args) => {
    (args.request as { body?: unknown }).body = body;
    return next(args);
  };
  command.middlewareStack.add(replace, REPLACE_BODY);
}
