// Runs one hostile case against a real gateway and checks what must hold after it: the gateway
// is still up, a rejected request reached no upstream and cost nothing, nothing is left in flight.
// Each case's figures go to HOSTILE_REPORT for `npm run verify:hostile`.
import net from 'node:net';
import { expect } from 'vitest';
import { createMemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/types.js';
import { reportHostile } from '../support/hostile-report.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';

export interface Hostile {
  readonly gw: TestGateway;
  readonly upstream: TestUpstream;
  readonly key: string;
  readonly user: string;
  post(body: string | Buffer, headers?: Record<string, string>, path?: string): Promise<Response>;
  /** Runs a case: `send` returns the status the client saw (0 when the connection was closed). */
  check(name: string, send: () => Promise<number>, expected: { status: number | number[]; rejected: boolean }): Promise<void>;
  usage(): Promise<number>;
  /** What the user pays: `usage()` without the request counts (a request sent upstream counts, failed or not). */
  paid(): Promise<number>;
  /** The user's request count today. */
  requests(): Promise<number>;
  /** Parallel-request slots the user holds now. */
  slots(): Promise<number>;
  close(): Promise<void>;
}

/** `overrides`: config, or config made from the test upstream's URL (to name it in `upstreams`). */
export async function createHostile(overrides: Record<string, unknown> | ((upstreamUrl: string) => Record<string, unknown>) = {}, store: Store = createMemoryStore()): Promise<Hostile> {
  const upstream = await createTestUpstream();
  const more = typeof overrides === 'function' ? overrides(upstream.url) : overrides;
  const gw = await startGateway({ upstreamUrl: upstream.url, store, overrides: { 'server.body_limit_bytes': 1024 * 1024, ...more } });
  const user = 'mallory';
  const key = await gw.userWithKey(user, { tokens_per_day: 10_000_000, requests_per_day: 100_000, max_parallel_requests: 64 });
  const post: Hostile['post'] = (body, headers = {}, path = '/v1/chat/completions') => fetch(gw.url + path, {
    method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
  });
  const quota = async () =>
    ((await (await fetch(`${gw.url}/v1/quota`, { headers: { authorization: `Bearer ${key}` } })).json()) as { limits: Array<{ dimension: string; window: string; used: number; reserved: number }> }).limits;
  const sum = (skip: readonly string[]) => async () => (await quota()).filter((l) => !skip.includes(l.dimension)).reduce((n, l) => n + l.used + l.reserved, 0);
  const usage = sum(['parallel_requests']);
  const paid = sum(['parallel_requests', 'requests']);
  const requests = async () => (await quota()).find((l) => l.dimension === 'requests' && l.window === 'day')?.used ?? 0;
  const slots = async () => (await quota()).find((l) => l.dimension === 'parallel_requests')?.used ?? 0;
  return {
    gw, upstream, key, user, post, usage, paid, requests, slots,
    async check(name, send, expected) {
      const calls = upstream.state.started;
      const before = await usage();
      const status = await send().catch(() => 0);
      await expect.poll(() => gw.inFlight.requests + gw.inFlight.settling, { timeout: 5000 }).toBe(0);
      const alive = await fetch(`${gw.url}/healthz`).then((r) => r.ok, () => false);
      const upstreamCalls = expected.rejected ? upstream.state.started - calls : 0;
      const charges = expected.rejected ? (await usage()) - before : 0;
      const leaks = gw.inFlight.requests + gw.inFlight.listeners + gw.inFlight.settling + (await slots());
      reportHostile({ name, crashes: alive ? 0 : 1, upstreamCalls, charges, leaks });
      const wanted = Array.isArray(expected.status) ? expected.status : [expected.status];
      expect({ name, status, expected: wanted.includes(status) }).toEqual({ name, status, expected: true });
      expect({ alive, upstreamCalls, charges, leaks }).toEqual({ alive: true, upstreamCalls: 0, charges: 0, leaks: 0 });
    },
    async close() {
      await gw.close();
      await upstream.close();
      await store.close();
    },
  };
}

/**
 * Sends raw bytes over a socket, `gapMs` apart, then closes its side; returns the HTTP status the
 * server answered (0 if it closed without one) and the body.
 */
export function rawExchange(url: string, chunks: Array<string | Buffer>, gapMs = 0): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let answer = '';
    socket.on('data', (d) => {
      answer += d.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({
      status: Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0),
      body: answer.slice(answer.indexOf('\r\n\r\n') + 4),
    }));
    socket.on('connect', async () => {
      for (const c of chunks) {
        if (socket.destroyed) return;
        socket.write(c);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
      setTimeout(() => socket.end(), 200);
    });
  });
}

/** The status of a raw exchange, after checking that an error came in OpenAI's shape. */
export async function rawRequest(url: string, chunks: Array<string | Buffer>, gapMs = 0): Promise<number> {
  const { status, body } = await rawExchange(url, chunks, gapMs);
  if (status >= 400) expect((JSON.parse(body) as { error?: { message?: string } }).error?.message, `an OpenAI-shaped error for ${status}`).toBeTruthy();
  return status;
}

/** A request line and then one header trickled a byte at a time, `n` pieces in all. */
export const trickledHeaders = (n: number): string[] =>
  ['POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nx-slow: ', ...Array.from({ length: n - 1 }, () => 'a')];
