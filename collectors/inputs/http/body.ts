import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { HttpInputError } from "./errors.js";

export interface BodyLimits {
  /** Cap on bytes as sent (compressed size for gzip). */
  maxWireBytes: number;
  /** Cap on bytes after inflation. */
  maxDecodedBytes: number;
}

export interface ReadBodyResult {
  body: Buffer;
  wireBytes: number;
}

function gzipError(error: NodeJS.ErrnoException): HttpInputError {
  if (error.code === "Z_BUF_ERROR") {
    return new HttpInputError(400, "truncated_gzip", "gzip body is truncated (unexpected end of file)", {
      cause: error,
    });
  }
  return new HttpInputError(400, "invalid_gzip", `gzip body is not valid: ${error.message}`, {
    cause: error,
  });
}

/**
 * Reads a request body into memory under both caps, inflating gzip as it streams. Inflation
 * stops the moment the decoded size passes its cap, so a small compressed bomb costs at most
 * the cap, never its full expansion. On failure the source is left paused and unconsumed; the
 * caller decides whether to drain it or close the connection.
 */
export function readBody(source: Readable, gzip: boolean, limits: BodyLimits): Promise<ReadBodyResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let wire = 0;
    let decoded = 0;
    let settled = false;
    const inflater = gzip ? createGunzip() : undefined;

    const cleanup = (): void => {
      source.off("data", onData);
      source.off("end", onEnd);
      source.off("error", onAbort);
      source.off("close", onClose);
      if (inflater) {
        inflater.off("data", take);
        inflater.off("end", done);
        inflater.off("error", onInflateError);
        // A late zlib error after destroy has nobody to tell; swallow it instead of crashing.
        inflater.on("error", () => undefined);
        inflater.destroy();
      }
    };
    const fail = (error: HttpInputError): void => {
      if (settled) return;
      settled = true;
      cleanup();
      source.pause();
      reject(error);
    };
    function done(): void {
      if (settled) return;
      settled = true;
      cleanup();
      resolve({ body: Buffer.concat(chunks, decoded), wireBytes: wire });
    }
    function take(chunk: Buffer): void {
      if (settled) return;
      decoded += chunk.length;
      if (decoded > limits.maxDecodedBytes) {
        fail(
          new HttpInputError(
            413,
            gzip ? "decompressed_too_large" : "body_too_large",
            `body is over ${limits.maxDecodedBytes} bytes${gzip ? " after decompression" : ""}`,
          ),
        );
        return;
      }
      chunks.push(chunk);
    }
    function onData(chunk: Buffer): void {
      wire += chunk.length;
      if (wire > limits.maxWireBytes) {
        fail(new HttpInputError(413, "body_too_large", `body is over ${limits.maxWireBytes} bytes`));
        return;
      }
      if (!inflater) {
        take(chunk);
        return;
      }
      if (!inflater.write(chunk)) {
        source.pause();
        inflater.once("drain", () => {
          if (!settled) source.resume();
        });
      }
    }
    function onEnd(): void {
      if (inflater) inflater.end();
      else done();
    }
    function onAbort(error?: unknown): void {
      fail(new HttpInputError(400, "client_aborted", "the client aborted the request", { cause: error }));
    }
    function onClose(): void {
      if (!source.readableEnded) onAbort();
    }
    function onInflateError(error: NodeJS.ErrnoException): void {
      fail(gzipError(error));
    }

    if (inflater) {
      inflater.on("data", take);
      inflater.on("end", done);
      inflater.on("error", onInflateError);
    }
    source.on("data", onData);
    source.on("end", onEnd);
    source.on("error", onAbort);
    source.on("close", onClose);
  });
}
