import type { Counter, Gauge, MetricsRegistry } from "../../../core/metrics.js";

/** The forward input's counters, registered once per registry. */
export class ForwardMetrics {
  readonly connections: Gauge;
  readonly connectionsAccepted: Counter;
  readonly frames: Counter;
  readonly events: Counter;
  readonly entriesRejected: Counter;
  readonly timeDefaulted: Counter;
  readonly acks: Counter;
  readonly duplicates: Counter;
  readonly errors: Counter;

  constructor(registry: MetricsRegistry) {
    this.connections = registry.gauge("logpipe_forward_connections", "Open forward protocol connections");
    this.connectionsAccepted = registry.counter(
      "logpipe_forward_connections_total",
      "Forward protocol connections accepted",
    );
    this.frames = registry.counter("logpipe_forward_frames_total", "Complete msgpack frames received");
    this.events = registry.counter(
      "logpipe_forward_events_total",
      "Events decoded from forward frames and handed to the buffer",
    );
    this.entriesRejected = registry.counter(
      "logpipe_forward_entries_rejected_total",
      "Entries skipped inside otherwise good frames, by code (non_object_record, bad_entry, ...)",
    );
    this.timeDefaulted = registry.counter(
      "logpipe_forward_time_defaulted_total",
      "Entries without a usable time, stamped with the receive time",
    );
    this.acks = registry.counter("logpipe_forward_acks_total", "Chunk acknowledgements sent");
    this.duplicates = registry.counter(
      "logpipe_forward_duplicates_total",
      "Resent chunks acknowledged again without storing them twice",
    );
    this.errors = registry.counter(
      "logpipe_forward_errors_total",
      "Connections closed for a protocol or transport error, by code",
    );
  }
}
