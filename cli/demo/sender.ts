import fluent from "fluent-logger";
import { DemoTraffic } from "./traffic.js";

// fluent-logger's typings declare EventTime as an instance; at run time it is the class.
const EventTimeClass = fluent.EventTime as unknown as { fromTimestamp(ms: number): fluent.Timestamp };
const eventTime = (ms: number) => EventTimeClass.fromTimestamp(ms);

export interface DemoSenderOptions {
  host: string;
  port: number;
  /** User requests per second (each makes 2–5 log records). */
  rate: number;
  /** Stop after this many requests (unbounded when absent). */
  maxRequests?: number;
  sharedKey?: string;
  seed?: number;
}

/**
 * Sends demo traffic to a forward input through the real Fluent forward protocol (fluent-logger,
 * PackedForward with acks), so the demo exercises the same path a service's logger would.
 */
export class DemoSender {
  private timer: NodeJS.Timeout | undefined;
  private readonly senders = new Map<string, fluent.FluentSender<Record<string, unknown>>>();
  private readonly traffic: DemoTraffic;
  sent = 0;
  acked = 0;
  failed = 0;

  constructor(private readonly options: DemoSenderOptions) {
    this.traffic = new DemoTraffic(options.seed ?? Date.now() % 1_000_000);
  }

  private senderFor(tag: string): fluent.FluentSender<Record<string, unknown>> {
    let sender = this.senders.get(tag);
    if (!sender) {
      sender = fluent.createFluentSender<Record<string, unknown>>(tag, {
        host: this.options.host,
        port: this.options.port,
        eventMode: "PackedForward",
        requireAckResponse: true,
        ackResponseTimeout: 30_000,
        flushInterval: 200,
        reconnectInterval: 1_000,
        ...(this.options.sharedKey
          ? { security: { clientHostname: "logpipe-demo", sharedKey: this.options.sharedKey } }
          : {}),
        internalLogger: { info: () => undefined, error: () => undefined },
      });
      this.senders.set(tag, sender);
    }
    return sender;
  }

  start(): void {
    if (this.timer) return;
    const tickMs = 100;
    let carry = 0;
    let requests = 0;
    this.timer = setInterval(() => {
      carry += (this.options.rate * tickMs) / 1000;
      const now = Date.now();
      while (carry >= 1) {
        carry -= 1;
        if (this.options.maxRequests !== undefined && requests >= this.options.maxRequests) {
          this.stopTimer();
          return;
        }
        requests++;
        for (const { tag, time, record } of this.traffic.request(now)) {
          const [prefix, label] = tag.split(".") as [string, string];
          this.sent++;
          // EventTime keeps milliseconds; a Date would be sent as whole seconds.
          this.senderFor(prefix).emit(label, record, eventTime(time), (error) => {
            if (error) this.failed++;
            else this.acked++;
          });
        }
      }
    }, tickMs);
  }

  /** True once a bounded run has generated all its requests and every event was answered. */
  get finished(): boolean {
    return this.timer === undefined && this.acked + this.failed >= this.sent;
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops generating and waits (bounded) for outstanding acks. */
  async shutdown(timeoutMs = 5_000): Promise<void> {
    this.stopTimer();
    const deadline = Date.now() + timeoutMs;
    while (this.acked + this.failed < this.sent && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const sender of this.senders.values()) {
      (sender as unknown as { _disconnect?: () => void })._disconnect?.();
    }
  }
}
