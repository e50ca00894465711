// A hostile upstream: the client gets what the upstream sent (or a clean error), the user is
// charged correctly — never credited, never charged an absurd figure, nothing for an error but its
// place in the request rate (issue 20) — and
// the gateway stays up with nothing left in flight. Each case is a row of `npm run verify:hostile`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UPSTREAM_KEY } from '../support/gateway.js';
import { reportHostile } from '../support/hostile-report.js';
import { createHostile, type Hostile } from './harness.js';

describe('hostile upstreams', () => {
  let h: Hostile;
  beforeAll(async () => {
    h = await createHostile({ 'upstream.timeouts.idle_ms': 300, 'upstream.max_response_bytes': 1024 * 1024 });
  });
  afterAll(async () => h.close());

  /** Sends one request to a hostile upstream; returns what the client got, what the user was charged and the requests counted. */
  async function through(kind: string, stream = true) {
    const before = await h.paid();
    const requestsBefore = await h.requests();
    const r = await h.post(JSON.stringify({ model: kind.includes(':') ? kind : `hostile:${kind}`, stream, messages: [{ role: 'user', content: 'hi' }] }))
      .catch(() => null);
    const text = r ? await r.text().catch(() => '<cut>') : '<no response>';
    await expect.poll(() => h.gw.inFlight.requests + h.gw.inFlight.settling + h.gw.inFlight.listeners).toBe(0);
    const [record] = await h.gw.store.ledger(h.user, 1);
    const alive = await fetch(`${h.gw.url}/healthz`).then((x) => x.ok, () => false);
    const leaks = h.gw.inFlight.requests + h.gw.inFlight.listeners + h.gw.inFlight.settling + (await h.slots())
      + (text.includes(UPSTREAM_KEY) ? 1 : 0);
    reportHostile({ name: `upstream: ${kind}`, crashes: alive ? 0 : 1, upstreamCalls: 0, charges: 0, leaks });
    expect({ alive, leaks }).toEqual({ alive: true, leaks: 0 });
    return { status: r?.status ?? 0, text, charged: (await h.paid()) - before, requests: (await h.requests()) - requestsBefore, record };
  }

  it('garbage lines and bad JSON among good events: passed through, charged the usage it reported', async () => {
    const g = await through('garbage-sse');
    expect(g.status).toBe(200);
    expect(g.text).toContain('this is not sse');
    expect(g.record).toMatchObject({ promptTokens: 5, completionTokens: 2, estimated: false });
    const b = await through('bad-json-midstream');
    expect(b.text).toContain('{"choices":[{"delta":{"content":"b"\n');
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

  it('a usage with one count negative or non-numeric is not believed at all: counted from the text, flagged estimated', async () => {
    const r = await through('mixed-usage');
    expect(r.record).toMatchObject({ estimated: true });
    expect(r.record?.completionTokens).toBeGreaterThan(0);
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

  it('headers then nothing: the idle timeout ends it and, with nothing generated, it costs nothing but a request', async () => {
    const sse = await through('headers-then-hang');
    expect(sse.record).toMatchObject({ outcome: 'upstream_error', promptTokens: 0, completionTokens: 0 });
    expect(sse).toMatchObject({ charged: 0, requests: 1 });
    const json = await through('json-headers-then-hang', false);
    expect(json.record).toMatchObject({ outcome: 'upstream_error', promptTokens: 0, completionTokens: 0 });
    expect(json).toMatchObject({ charged: 0, requests: 1 });
  });

  it('a stream\'s headers reach the client as soon as the upstream sends them, before any chunk', async () => {
    // The upstream sends its headers and then nothing until the idle timeout (300 ms here) cuts the
    // stream: a client that had not been sent the headers by then would see the connection reset.
    const r = await h.post(JSON.stringify({ model: 'hostile:headers-then-hang', stream: true, messages: [{ role: 'user', content: 'hi' }] }));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/event-stream');
    await r.text().catch(() => '');
  });

  it('a 200 with an HTML body and a 500 with a JSON error pass through as sent and cost nothing but a request', async () => {
    const html = await through('html-200', false);
    expect(html.status).toBe(200);
    expect(html.text).toBe('<html><body>502 Bad Gateway (from a proxy)</body></html>');
    expect(html).toMatchObject({ charged: 0, requests: 1 });
    const e500 = await through('json-500', false);
    expect(e500.status).toBe(500);
    expect(e500.text).toBe('{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}');
    expect(e500).toMatchObject({ charged: 0, requests: 1 });
  });

  it('an error that quotes the upstream key back never shows it to the client', async () => {
    const r = await through('echo-key-401', false);
    expect(r.status).toBe(401);
    expect(r.text).not.toContain(UPSTREAM_KEY);
    expect(r.text).toContain('Incorrect API key provided');
    expect(r).toMatchObject({ charged: 0, requests: 1 });
  });

  it('a body far larger than upstream.max_response_bytes is cut off there', async () => {
    const r = await through('too-large', false);
    expect(r.text.length).toBeLessThan(2 * 1024 * 1024);
    expect(r.record?.outcome).toBe('upstream_error');
  });

  it('a stream far larger than upstream.max_response_bytes passes through (memory stays bounded) and is charged what it reported', async () => {
    const r = await through('too-large-stream');
    expect(r.text.length).toBeGreaterThan(3 * 1024 * 1024);
    expect(r.record).toMatchObject({ outcome: 'ok', completionTokens: 3072, estimated: false });
  });

  it('a connection reset mid-stream: the client sees the cut, the user is charged for what was streamed', async () => {
    const r = await through('reset-stream:openai-chat-stream-no-usage.sse');
    expect(r.record).toMatchObject({ outcome: 'upstream_error', estimated: true });
    expect(r.charged).toBeGreaterThan(0);
  });

  it('an upstream that answers 503: passed through, nothing charged but a request', async () => {
    const r = await through('fail:503', false);
    expect(r.status).toBe(503);
    expect(r).toMatchObject({ charged: 0, requests: 1 });
  });
});
