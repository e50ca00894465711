// A hostile upstream: the client gets what the upstream sent (or a clean error), the user is
// charged correctly — never credited, never charged an absurd figure, nothing for an error — and
// the gateway stays up with nothing left in flight.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostile, type Hostile } from './harness.js';

describe('hostile upstreams', () => {
  let h: Hostile;
  beforeAll(async () => {
    h = await createHostile({ 'upstream.timeouts.idle_ms': 300, 'upstream.max_response_bytes': 1024 * 1024 });
  });
  afterAll(async () => h.close());

  /** Sends one request to a hostile upstream; returns what the client got and what the user was charged. */
  async function through(kind: string, stream = true) {
    const before = await h.usage();
    const r = await h.post(JSON.stringify({ model: `hostile:${kind}`, stream, messages: [{ role: 'user', content: 'hi' }] }));
    const text = await r.text().catch(() => '<cut>');
    await expect.poll(() => h.gw.inFlight.requests + h.gw.inFlight.settling + h.gw.inFlight.listeners).toBe(0);
    const [record] = await h.gw.store.ledger(h.user, 1);
    expect((await fetch(`${h.gw.url}/healthz`)).ok).toBe(true);
    return { status: r.status, text, charged: (await h.usage()) - before, record };
  }

  it('garbage lines and bad JSON among good events: passed through, charged the usage it reported', async () => {
    const g = await through('garbage-sse');
    expect(g.status).toBe(200);
    expect(g.text).toContain('this is not sse');
    expect(g.record).toMatchObject({ promptTokens: 5, completionTokens: 2, estimated: false });
    const b = await through('bad-json-midstream');
    expect(b.record).toMatchObject({ promptTokens: 4, completionTokens: 3, estimated: false });
  });

  it('a 5 MB data line passes through whole and is charged', async () => {
    const r = await through('huge-line');
    expect(r.text.length).toBeGreaterThan(5 * 1024 * 1024);
    expect(r.record).toMatchObject({ promptTokens: 5, completionTokens: 9 });
  });

  it('a stream with no blank-line separators: what came is counted, not lost', async () => {
    const r = await through('no-separators');
    expect(r.status).toBe(200);
    expect(r.charged).toBeGreaterThan(0);
  });

  it('negative counts never credit the user; non-numeric counts are estimated from the text', async () => {
    const neg = await through('negative-usage');
    expect(neg.charged).toBeGreaterThanOrEqual(0);
    expect(neg.record?.promptTokens).toBeGreaterThanOrEqual(0);
    const str = await through('string-usage');
    expect(str.record).toMatchObject({ estimated: true });
    expect(str.charged).toBeGreaterThan(0);
  });

  it('an absurd count (10^15) is capped at the reservation and flagged in the ledger', async () => {
    const r = await through('absurd-usage');
    expect(r.record).toMatchObject({ anomaly: 'usage_capped' });
    expect(r.charged).toBeLessThan(100_000);
  });

  it('a stream that never ends hits the idle timeout: cut, charged for what came', async () => {
    const r = await through('never-ends');
    expect(r.record).toMatchObject({ outcome: 'upstream_error', estimated: true });
    expect(r.charged).toBeGreaterThan(0);
  });

  it('a 200 with an HTML body and a 500 with a JSON error pass through and cost nothing', async () => {
    const html = await through('html-200', false);
    expect(html.status).toBe(200);
    expect(html.text).toContain('Bad Gateway');
    expect(html.charged).toBe(0);
    const e500 = await through('json-500', false);
    expect(e500.status).toBe(500);
    expect(e500.charged).toBe(0);
  });

  it('a response far larger than configured is cut off there', async () => {
    const r = await through('too-large', false);
    expect(r.text.length).toBeLessThan(2 * 1024 * 1024);
    expect(r.record?.outcome).toBe('upstream_error');
  });

  it('a connection reset mid-stream: the client sees the cut, the user is charged for what was streamed', async () => {
    const before = await h.usage();
    const r = await h.post(JSON.stringify({ model: 'reset-stream:openai-chat-stream-no-usage.sse', stream: true, messages: [{ role: 'user', content: 'hi' }] }));
    await r.text().catch(() => '');
    await expect.poll(() => h.gw.inFlight.requests + h.gw.inFlight.settling).toBe(0);
    expect((await h.usage()) - before).toBeGreaterThan(0);
  });
});
