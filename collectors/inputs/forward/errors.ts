import { PipelineError } from "../../../core/errors.js";

/**
 * Why the forward input gave up on a connection. Stable codes, used as the `code` label of
 * `logpipe_forward_errors_total`.
 */
export type ForwardErrorCode =
  /** Bytes that are not MessagePack (the never-used 0xc1 byte, a broken entry envelope). */
  | "malformed_msgpack"
  /** More bytes buffered (or declared) than `max_frame_bytes` without a complete frame. */
  | "frame_too_large"
  /** Nesting deeper than the decoder follows; no log record needs it, a stack-exhaustion attack does. */
  | "too_deep"
  /** A complete frame that is not `[tag, time, record]`, `[tag, entries]` or `[tag, blob]`. */
  | "bad_frame_shape"
  /** The frame's option map is not a map, or its `chunk` is not a short string. */
  | "bad_option"
  /** A `compressed` option other than `gzip` or `text`. */
  | "unsupported_compression"
  /** A CompressedPackedForward blob that is not a valid gzip stream. */
  | "bad_gzip"
  /** A gzip blob inflating past `max_decompressed_bytes`. */
  | "decompressed_too_large"
  /** The client closed the connection in the middle of a frame. */
  | "truncated_frame"
  /** Data arrived before the shared-key handshake completed. */
  | "handshake_required"
  /** The handshake frame is not a well-formed PING. */
  | "bad_ping"
  /** The PING digest does not match the shared key. */
  | "shared_key_mismatch"
  /** Nothing arrived for `idle_timeout_ms`. */
  | "idle_timeout"
  /** `max_connections` were already open. */
  | "too_many_connections"
  /** The durable buffer refused an append; the chunk is not acked, so the client resends it. */
  | "append_failed"
  /** The socket failed (reset by the peer, ...). */
  | "socket_error"
  /** The TLS handshake failed. */
  | "tls_error";

/**
 * A protocol violation that ends one connection. Stage `receiving`: whatever the connection
 * had not been acked for is resent by the client, so nothing acked is ever dropped.
 */
export class ForwardProtocolError extends PipelineError {
  override name = "ForwardProtocolError";
  declare readonly code: ForwardErrorCode;
  constructor(code: ForwardErrorCode, message: string, options?: { cause?: unknown }) {
    super("receiving", code, message, options);
  }
}
