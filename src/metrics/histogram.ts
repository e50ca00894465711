// A Prometheus histogram with one label or none, observed on every request without prom-client's
// per-call label hashing and validation (a request makes three observations), and read in the
// shape prom-client's own Histogram exports, so that its registry writes the same /metrics text.
import type { Metric, Registry } from 'prom-client';

interface LabelSet {
  readonly labels: Record<string, string>;
  /** Observations per bucket (not cumulative): the first bound each is at or under. */
  readonly counts: number[];
  sum: number;
  count: number;
}

/** One exported value, as prom-client's histogram writes it (its registry reads these fields). */
interface Value {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
  metricName: string;
  exemplar: null | undefined;
}

export class TalliedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly sets = new Map<string, LabelSet>();

  /** `label`: the one label's name, or null for none (then its zeros show before the first observation, as prom-client's do). */
  constructor(readonly name: string, readonly help: string, private readonly buckets: readonly number[], private readonly label: string | null, registry: Registry) {
    if (label === null) this.setOf('');
    registry.registerMetric(this as unknown as Metric);
  }

  private setOf(value: string): LabelSet {
    const set: LabelSet = { labels: this.label === null ? {} : { [this.label]: value }, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
    this.sets.set(value, set);
    return set;
  }

  observe(value: number, labelValue = ''): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const set = this.sets.get(labelValue) ?? this.setOf(labelValue);
    set.sum += value;
    set.count += 1;
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) {
      if (value <= (b[i] as number)) {
        (set.counts[i] as number)++;
        break;
      }
    }
  }

  getForPromString() {
    const values: Value[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.sets.values()) {
      let acc = 0;
      this.buckets.forEach((le, i) => {
        acc += s.counts[i] as number;
        values.push({ labels: { le }, sharedLabels: s.labels, value: acc, metricName: bucket, exemplar: null });
      });
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket, exemplar: null },
        { labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum`, exemplar: undefined },
        { labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count`, exemplar: undefined },
      );
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /** As prom-client's get(): each value's labels with its set's labels merged in. */
  async get() {
    const data = await this.getForPromString();
    return { ...data, values: data.values.map(({ sharedLabels = {}, labels, ...rest }) => ({ ...rest, labels: Object.assign(labels, sharedLabels) })) };
  }

  reset(): void {
    this.sets.clear();
  }
}
