import { gunzip } from "node:zlib";
import { ForwardProtocolError } from "./errors.js";

/**
 * Inflates a CompressedPackedForward blob (one or more concatenated gzip members) on the
 * libuv thread pool, so one large chunk does not stall other connections. Inflation stops as
 * soon as the output passes `maxBytes`: a gzip bomb costs at most that much memory, never
 * its full inflated size.
 */
export function gunzipBounded(blob: Uint8Array, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    gunzip(blob, { maxOutputLength: maxBytes }, (error, out) => {
      if (!error) {
        resolve(out);
        return;
      }
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ERR_BUFFER_TOO_LARGE") {
        reject(
          new ForwardProtocolError(
            "decompressed_too_large",
            `gzip entries inflate past max_decompressed_bytes (${maxBytes})`,
            { cause: error },
          ),
        );
      } else {
        reject(
          new ForwardProtocolError("bad_gzip", `invalid gzip entries: ${error.message}`, { cause: error }),
        );
      }
    });
  });
}
