import { Counter as PromCounter, Gauge as PromGauge, Histogram as PromHistogram, Registry, collectDefaultMetrics } from 'prom-client';
import { assert } from '../platform/assert.js';
import type { Counter, Gauge, Histogram, Labels, MetricsSink } from '../platform/metrics.js';

type Kind = 'gauge' | 'counter' | 'histogram';

interface Registered {
  kind: Kind;
  labelNames: readonly string[];
  adapter: Gauge | Counter | Histogram;
}

export interface PromMetricsSinkOptions {
  /** Defaults to a fresh registry, so two nodes in one process (tests) never share metrics. */
  registry?: Registry;
  /** process_* and nodejs_* metrics (CPU, memory, event loop lag). Default true. */
  collectDefaultMetrics?: boolean;
}

/**
 * platform/metrics.ts over prom-client. Idempotent: asking again for a name returns the same metric,
 * so components can ask for their metrics without coordinating; asking with another kind or other
 * label names is a programming error.
 */
export class PromMetricsSink implements MetricsSink {
  readonly registry: Registry;
  private readonly metrics = new Map<string, Registered>();

  constructor(options: PromMetricsSinkOptions = {}) {
    this.registry = options.registry ?? new Registry();
    if (options.collectDefaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.getOrCreate(name, 'gauge', labelNames, () => {
      const gauge = new PromGauge({ name, help, labelNames, registers: [this.registry] });
      return { set: (value, labels) => (labels === undefined ? gauge.set(value) : gauge.set(labels, value)) };
    }) as Gauge;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.getOrCreate(name, 'counter', labelNames, () => {
      const counter = new PromCounter({ name, help, labelNames, registers: [this.registry] });
      return { inc: (amount = 1, labels?: Labels) => (labels === undefined ? counter.inc(amount) : counter.inc(labels, amount)) };
    }) as Counter;
  }

  histogram(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []): Histogram {
    return this.getOrCreate(name, 'histogram', labelNames, () => {
      const histogram = new PromHistogram({ name, help, buckets: [...buckets], labelNames, registers: [this.registry] });
      return { observe: (value, labels) => (labels === undefined ? histogram.observe(value) : histogram.observe(labels, value)) };
    }) as Histogram;
  }

  /** The Prometheus text exposition of everything registered. */
  async metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private getOrCreate(name: string, kind: Kind, labelNames: readonly string[], create: () => Gauge | Counter | Histogram): Gauge | Counter | Histogram {
    const existing = this.metrics.get(name);
    if (existing !== undefined) {
      assert(existing.kind === kind, () => `metric ${name} is a ${existing.kind}, asked for as a ${kind}`);
      assert(sameLabels(existing.labelNames, labelNames), () => `metric ${name} has labels [${existing.labelNames.join(',')}], asked with [${labelNames.join(',')}]`);
      return existing.adapter;
    }
    const adapter = create();
    this.metrics.set(name, { kind, labelNames: [...labelNames], adapter });
    return adapter;
  }
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().every((name, i) => name === [...b].sort()[i]);
}
