/**
 * Metrics as the code sees them. The prom-client adapter lives in admin/; the simulator and pure tests use
 * the no-op sink. Names follow the seed guide, or `strata_<subsystem>_<name>_<unit>` for new ones.
 */
export type Labels = Record<string, string>;

export interface Gauge {
  set(value: number, labels?: Labels): void;
}

export interface Counter {
  inc(amount?: number, labels?: Labels): void;
}

export interface Histogram {
  observe(value: number, labels?: Labels): void;
}

export interface MetricsSink {
  gauge(name: string, help: string, labelNames?: readonly string[]): Gauge;
  counter(name: string, help: string, labelNames?: readonly string[]): Counter;
  histogram(name: string, help: string, buckets: readonly number[], labelNames?: readonly string[]): Histogram;
}

const noop = { set() {}, inc() {}, observe() {} };

export const noopMetrics: MetricsSink = {
  gauge: () => noop,
  counter: () => noop,
  histogram: () => noop,
};
