// Prometheus metrics (prom-client), one registry per app: no global state, so tests can build
// several apps side by side. Label values are bounded: routes and outcomes are fixed sets, and
// models beyond the first 200 seen are counted as "other". No user ids as labels.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { TalliedHistogram } from './histogram.js';

export interface Metrics {
  readonly registry: Registry;
  request(route: string, status: number, outcome: string): void;
  reserveSeconds(seconds: number): void;
  upstreamFirstByte(route: string, seconds: number): void;
  requestSeconds(route: string, seconds: number): void;
  settled(route: string, outcome: string, model: string | null, tokens: number, spendMicros: number): void;
  /** A reserve or settle that failed on its way to or from the store (unreachable, timed out, reset). */
  storeFailure(call: 'reserve' | 'settle'): void;
  /** Reservations released because they expired unsettled: stays at zero while no gateway crashes. */
  reclaimed(count: number): void;
  /** Live values read at scrape time. */
  gauges(read: { inFlight: () => number; journalBacklog: () => number }): void;
}

const MAX_MODELS = 200;

/** One label set's count, not yet handed to prom-client. */
interface Cell { readonly labels: Record<string, string>; n: number }

/**
 * A labelled counter counted per request in maps of our own, keyed by the label values (no string
 * is built), and handed to prom-client when it is read (its collect hook, at every scrape):
 * prom-client hashes and validates the labels of every inc, and a request makes four. The label
 * sets are bounded (routes, statuses, outcomes, at most MAX_MODELS models), and so are the maps.
 */
function tallied(counter: Counter<string>, names: readonly string[]) {
  type Key = string | number;
  type Level = Map<Key, Level | Cell>;
  const root: Level = new Map();
  const cells: Cell[] = [];
  const below = (level: Level, v: Key): Level => {
    let next = level.get(v) as Level | undefined;
    if (!next) level.set(v, (next = new Map()));
    return next;
  };
  return {
    /** Adds `n` to the label set (a, b, c), as many of them as the counter has labels. */
    add(n: number, a: Key, b: Key = '', c: Key = ''): void {
      const depth = names.length;
      const level = depth === 1 ? root : depth === 2 ? below(root, a) : below(below(root, a), b);
      const last = depth === 1 ? a : depth === 2 ? b : c;
      let cell = level.get(last) as Cell | undefined;
      if (!cell) {
        const values = [a, b, c];
        const labels: Record<string, string> = {};
        names.forEach((name, i) => { labels[name] = String(values[i]); });
        level.set(last, (cell = { labels, n: 0 }));
        cells.push(cell);
      }
      cell.n += n;
    },
    flush(): void {
      for (const cell of cells) {
        if (cell.n === 0) continue;
        counter.inc(cell.labels, cell.n);
        cell.n = 0;
      }
    },
  };
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'tollgate_' });
  const requests = tallied(new Counter({ name: 'tollgate_requests_total', help: 'Requests by route, status and outcome', labelNames: ['route', 'status', 'outcome'], registers: [registry],
    collect: () => requests.flush() }), ['route', 'status', 'outcome']);
  const reserve = new TalliedHistogram('tollgate_store_reserve_seconds', 'Store reserve latency', [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.25, 1], null, registry);
  const ttfb = new TalliedHistogram('tollgate_upstream_first_byte_seconds', 'Upstream time to response headers', [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], 'route', registry);
  const duration = new TalliedHistogram('tollgate_request_seconds', 'Metered request duration, to the end of the response body', [0.005, 0.025, 0.1, 0.5, 1, 5, 15, 60, 300], 'route', registry);
  const settledTotal = tallied(new Counter({ name: 'tollgate_settled_total', help: 'Settled requests by route and outcome', labelNames: ['route', 'outcome'], registers: [registry],
    collect: () => settledTotal.flush() }), ['route', 'outcome']);
  const tokens = tallied(new Counter({ name: 'tollgate_tokens_total', help: 'Tokens charged, by model', labelNames: ['model'], registers: [registry],
    collect: () => tokens.flush() }), ['model']);
  const spend = tallied(new Counter({ name: 'tollgate_spend_micros_total', help: 'Spend charged in micro-USD, by model', labelNames: ['model'], registers: [registry],
    collect: () => spend.flush() }), ['model']);
  const storeFailures = new Counter({ name: 'tollgate_store_failures_total', help: 'Reserves and settles that failed in transport (unreachable, timed out, reset)', labelNames: ['call'], registers: [registry] });
  const reclaims = new Counter({ name: 'tollgate_reservations_reclaimed_total', help: 'Reservations released because they expired unsettled (a gateway crashed or lost them); zero while nothing crashes', registers: [registry] });
  const models = new Set<string>();
  const modelLabel = (m: string | null) => {
    const name = m ?? 'unknown';
    if (models.has(name)) return name;
    if (models.size >= MAX_MODELS) return 'other';
    models.add(name);
    return name;
  };

  return {
    registry,
    request: (route, status, outcome) => requests.add(1, route, status, outcome),
    reserveSeconds: (s) => reserve.observe(s),
    upstreamFirstByte: (route, s) => ttfb.observe(s, route),
    requestSeconds: (route, s) => duration.observe(s, route),
    settled(route, outcome, model, t, micros) {
      settledTotal.add(1, route, outcome);
      const label = modelLabel(model);
      if (t > 0) tokens.add(t, label);
      if (micros > 0) spend.add(micros, label);
    },
    storeFailure: (call) => storeFailures.inc({ call }),
    reclaimed: (count) => reclaims.inc(count),
    gauges(read) {
      new Gauge({ name: 'tollgate_in_flight_requests', help: 'Metered requests in flight (streams included)', registers: [registry], collect() { this.set(read.inFlight()); } });
      new Gauge({ name: 'tollgate_journal_backlog', help: 'Charges journaled and not yet replayed to the store', registers: [registry], collect() { this.set(read.journalBacklog()); } });
    },
  };
}
