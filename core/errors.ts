/** The pipeline stage an error or drop belongs to. */
export type Stage = "receiving" | "processing" | "sending";

/**
 * An error the pipeline reports: which stage, a short stable code, and whether data was
 * intentionally dropped. Work that will be retried is never reported as dropped.
 */
export class PipelineError extends Error {
  override name = "PipelineError";
  readonly stage: Stage;
  readonly code: string;
  constructor(stage: Stage, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.stage = stage;
    this.code = code;
  }
}
