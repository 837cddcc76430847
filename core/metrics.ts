/**
 * Metrics of the pipeline itself, rendered as Prometheus text. Components count here instead
 * of logging per event on the hot path.
 */
export type Labels = Record<string, string>;

function labelKey(labels: Labels | undefined): string {
  if (!labels) return "";
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return "";
  return `{${keys.map((k) => `${k}="${String(labels[k]).replace(/["\\\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`))}"`).join(",")}}`;
}

interface Family {
  help: string;
  type: "counter" | "gauge" | "histogram";
}

export class Counter {
  readonly values = new Map<string, number>();
  inc(labels?: Labels, by = 1): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  get(labels?: Labels): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
}

export class Gauge {
  readonly values = new Map<string, number>();
  set(value: number, labels?: Labels): void {
    this.values.set(labelKey(labels), value);
  }
  get(labels?: Labels): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
}

export class Histogram {
  readonly series = new Map<string, { buckets: number[]; sum: number; count: number }>();
  constructor(readonly bounds: readonly number[]) {}
  observe(value: number, labels?: Labels): void {
    const key = labelKey(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (let i = 0; i < this.bounds.length; i++) if (value <= this.bounds[i]!) s.buckets[i]!++;
    s.sum += value;
    s.count++;
  }
}

export class MetricsRegistry {
  private readonly families = new Map<string, { family: Family; metric: Counter | Gauge | Histogram }>();

  counter(name: string, help: string): Counter {
    return this.register(name, { help, type: "counter" }, () => new Counter()) as Counter;
  }
  gauge(name: string, help: string): Gauge {
    return this.register(name, { help, type: "gauge" }, () => new Gauge()) as Gauge;
  }
  histogram(name: string, help: string, bounds: readonly number[]): Histogram {
    return this.register(name, { help, type: "histogram" }, () => new Histogram(bounds)) as Histogram;
  }

  private register(name: string, family: Family, make: () => Counter | Gauge | Histogram) {
    const existing = this.families.get(name);
    if (existing) {
      if (existing.family.type !== family.type)
        throw new Error(`metric ${name} registered as ${existing.family.type}`);
      return existing.metric;
    }
    const metric = make();
    this.families.set(name, { family, metric });
    return metric;
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const lines: string[] = [];
    for (const [name, { family, metric }] of this.families) {
      lines.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} ${family.type}`);
      if (metric instanceof Histogram) {
        for (const [key, s] of metric.series) {
          const inner = key ? key.slice(1, -1) : "";
          const sep = inner ? "," : "";
          metric.bounds.forEach((b, i) => {
            lines.push(`${name}_bucket{${inner}${sep}le="${b}"} ${s.buckets[i]}`);
          });
          lines.push(`${name}_bucket{${inner}${sep}le="+Inf"} ${s.count}`);
          lines.push(`${name}_sum${key} ${s.sum}`, `${name}_count${key} ${s.count}`);
        }
      } else {
        for (const [key, value] of metric.values) lines.push(`${name}${key} ${value}`);
      }
    }
    return `${lines.join("\n")}\n`;
  }

  /** Every series as `name{labels}` → value, for stats lines, the API and tests. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, { metric }] of this.families) {
      if (metric instanceof Histogram) {
        for (const [key, s] of metric.series) {
          out[`${name}_count${key}`] = s.count;
          out[`${name}_sum${key}`] = s.sum;
        }
      } else {
        for (const [key, value] of metric.values) out[`${name}${key}`] = value;
      }
    }
    return out;
  }
}
