// Webhook delivery from the embedded store's outbox to a real receiver on 127.0.0.1: signed
// bodies, a failed attempt retried after its backoff, events of a type the webhook did not ask
// for never sent, and the delivery state kept for GET /admin/events.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Webhook } from '../../src/config/loader.js';
import { webhookId } from '../../src/events/event-body.js';
import { createDeliverer, type Deliverer } from '../../src/events/deliverer.js';
import { crossingPoint } from '../../src/limits/thresholds.js';
import { verify } from '../../src/events/signature.js';
import { createLogger } from '../../src/log/logger.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { CounterCheck, Store } from '../../src/store/types.js';
import { systemClock } from '../../src/core/clock.js';
import { plainReservation } from '../store/contract.js';

const SECRET = 'whsec-test-0123456789abcdef';

interface Received { id: string | undefined; signature: string; body: string; status: number }

async function receiver(statuses: number[]) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const status = statuses.shift() ?? 200;
      received.push({ id: req.headers['tollgate-event-id'] as string | undefined, signature: String(req.headers['tollgate-signature']), body, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, close: () => new Promise((r) => server.close(r)) };
}

describe('webhook deliverer', () => {
  let deliverer: Deliverer | null = null;
  let store: Store | null = null;
  afterEach(async () => {
    await deliverer?.stop();
    await store?.close();
  });

  it('delivers each event signed, retries a failed attempt, and skips types the webhook did not ask for', async () => {
    const hook = await receiver([500, 500]);
    store = createMemoryStore();
    const webhook: Webhook = { url: hook.url, secret_env: 'HOOK', secret: SECRET, events: ['threshold'] };
    deliverer = createDeliverer({ outbox: store.outbox, webhooks: [webhook], clock: systemClock, logger: createLogger('silent'),
      settings: { timeout_ms: 300, backoff_ms: 50, max_backoff_ms: 100, poll_ms: 20 } });
    await deliverer.start();

    const limited: CounterCheck = { dimension: 'messages', window: 'day', limit: 2, fixed: 1, perOutput: 0,
      thresholds: [0.5, 1].map((f) => ({ label: String(f), point: crossingPoint(2, f) })) };
    for (let i = 0; i < 3; i++) {
      const r = await store.reserve(plainReservation({ userId: 'ann', requestId: `r${i}`, checks: [limited] }));
      if (r.ok) await store.settle({ userId: 'ann', requestId: `r${i}`, checks: [limited], conversationRoot: null,
        actual: { requests: 0, messages: 1, tokens: 0, credits: 0, spend_micros: 0 },
        record: { requestId: `r${i}`, time: 1, user: 'ann', model: 'm', conversation: null, promptTokens: 0, completionTokens: 0,
          cachedTokens: 0, reasoningTokens: 0, costMicros: 0, outcome: 'ok', estimated: false } });
    }
    const events = await store.outbox.recent('ann', 10);
    expect(events.map((e) => e.type)).toEqual(['refused', 'threshold', 'threshold']);

    const id = webhookId(hook.url);
    // The two first attempts were refused: the state says so until the retry.
    await expect.poll(async () => [...(await store!.outbox.states(events, [id])).values()].flat().map((s) => s.lastError)).toContain('HTTP 500');
    await expect.poll(() => hook.received.filter((r) => r.status === 200).length, { timeout: 10_000 }).toBe(2);

    const now = Math.floor(Date.now() / 1000);
    for (const r of hook.received) {
      expect(verify(SECRET, r.body, r.signature, now)).toBe(true);
      expect(verify('another-secret-0123456789', r.body, r.signature, now)).toBe(false);
      expect(verify(SECRET, `${r.body} `, r.signature, now)).toBe(false);
      expect(verify(SECRET, r.body, r.signature, now + 3600)).toBe(false);
      expect(JSON.parse(r.body)).toMatchObject({ id: r.id, type: 'threshold', user: 'ann', limit: { dimension: 'messages', window: 'day', scope: 'user', limit: 2 } });
    }
    expect(new Set(hook.received.map((r) => r.id))).toEqual(new Set(events.filter((e) => e.type === 'threshold').map((e) => e.id)));
    expect(hook.received.map((r) => r.status)).toEqual([500, 500, 200, 200]);
    // The deliverer records the outcome just after the receiver answered.
    await expect.poll(async () => {
      const states = await store!.outbox.states(events, [id]);
      return events.map((e) => states.get(e.id)?.[0]).map((s) => [s?.status, s?.attempts]);
    }).toEqual([['skipped', 1], ['delivered', 2], ['delivered', 2]]);
    await hook.close();
  });
});
