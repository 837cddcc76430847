import { PipelineError } from "../../../core/errors.js";

/**
 * A request the HTTP input refuses as a whole, with the status it answers. Always stage
 * `receiving`: nothing of the request was acknowledged, so nothing was dropped.
 */
export class HttpInputError extends PipelineError {
  override name = "HttpInputError";
  readonly status: number;
  constructor(status: number, code: string, message: string, options?: { cause?: unknown }) {
    super("receiving", code, message, options);
    this.status = status;
  }
}
