// The tallied histogram writes what prom-client's Histogram writes for the same observations:
// scrapers and dashboards see no difference.
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { TalliedHistogram } from '../../src/metrics/histogram.js';

const BUCKETS = [0.005, 0.025, 0.1, 0.5, 1];

function pair() {
  const ours = new Registry();
  const theirs = new Registry();
  const a = new TalliedHistogram('t_seconds', 'help text', BUCKETS, 'route', ours);
  const b = new Histogram({ name: 't_seconds', help: 'help text', labelNames: ['route'], buckets: BUCKETS, registers: [theirs] });
  const c = new TalliedHistogram('u_seconds', 'unlabelled', BUCKETS, null, ours);
  const d = new Histogram({ name: 'u_seconds', help: 'unlabelled', buckets: BUCKETS, registers: [theirs] });
  const observe = (route: string | null, v: number) => {
    if (route === null) {
      c.observe(v);
      d.observe(v);
    } else {
      a.observe(v, route);
      b.observe({ route }, v);
    }
  };
  const same = async () => {
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
  };
  return { ours, theirs, observe, same };
}

describe('tallied histogram', () => {
  it('exports what prom-client exports: before any observation, on bounds, past the last bucket, per label', async () => {
    const { ours, theirs, observe, same } = pair();
    await same();
    for (const [route, v] of [['chat', 0.005], ['chat', 0.0051], ['messages', 3], [null, 0], [null, 0.3], ['chat', 0.1], ['embeddings', 1e-9]] as const) observe(route, v);
    await same();
    ours.setDefaultLabels({ pod: 'a' });
    theirs.setDefaultLabels({ pod: 'a' });
    await same();
    ours.resetMetrics();
    theirs.resetMetrics();
    await same();
    observe('chat', 0.2);
    await same();
  });

  it('refuses a value that is not a number, as prom-client does', () => {
    const h = new TalliedHistogram('v_seconds', 'help', BUCKETS, 'route', new Registry());
    expect(() => h.observe(Number.NaN, 'chat')).toThrow(TypeError);
  });
});
