import { PipelineError } from "../../core/errors.js";

export type BufferErrorCode =
  | "buffer_closed"
  | "buffer_locked"
  | "buffer_write_failed"
  | "unencodable_records"
  | "entry_too_large"
  | "invalid_consumer";

/** A failure of the durable buffer. Nothing it reports was dropped: the append was not acknowledged. */
export class BufferError extends PipelineError {
  override name = "BufferError";
  declare readonly code: BufferErrorCode;
  constructor(code: BufferErrorCode, message: string, options?: { cause?: unknown }) {
    super("receiving", code, message, options);
  }
}
